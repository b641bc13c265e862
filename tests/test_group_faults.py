"""SIGKILL a real `papersieve run --all` while it judges, then run it again (issue 19).

Two stored profiles with the LLM judge on the loopback LLM server; the kill comes at a seeded
random call of the group's day (in the first profile's judging or the second's). After the rerun
every profile's digest equals a clean group run's (all but the token table), no paper was billed
twice for one profile (the LLM server's log: the same calls per paper as the clean run), the
store is whole and no lock is left.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from papersieve.profile import init_profile
from tests.faultkit import (
    DAY,
    LLMGate,
    billed_per_paper,
    child_env,
    integrity,
    kill,
    query,
    run_child,
    spawn,
    store_of,
    wait_until,
    without_usage,
)
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM

SEED = 20261203
TOPICS = {"alice": "1. Large language model agents and tool use\n",
          "bob": "1. Planning, search and reasoning in AI systems\n"}


def setup_group(tmp: Path, env: dict[str, str]) -> None:
    """Store the two profiles (cs.AI alone keeps the day small; fast limits, title stage on)."""
    for name, topics in TOPICS.items():
        folder = init_profile(tmp / name, force=True)
        (folder / "profile.toml").write_text(
            'categories = ["cs.AI"]\n[judge]\nkind = "llm"\nconcurrency = 4\n'
            'calls_per_minute = 10000\n', "utf-8")
        (folder / "topics.txt").write_text(topics, "utf-8")
        added = run_child([sys.executable, "-m", "papersieve", "profile", "add", name, str(folder)],
                          env)
        assert added.returncode == 0, added.stderr


def group_args(out: Path) -> list[str]:
    return [sys.executable, "-m", "papersieve", "run", "--all", "--date", DAY, "--out", str(out),
            "--no-deliver"]


def digests(out: Path) -> dict[str, str]:
    return {name: without_usage((out / name / "2025-07" / f"{DAY}.md").read_text("utf-8"))
            for name in TOPICS}


def billed(llm: FakeLLM) -> Counter[str]:
    return billed_per_paper(llm, "title") + billed_per_paper(llm, "abstract")


Clean = tuple[dict[str, str], Counter[str], int, int]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Clean:
    """A clean group run: the digests, the calls billed per paper, the number of calls, and how
    many of them were the first profile's (alice runs first: name order)."""
    tmp = tmp_path_factory.mktemp("clean")
    with FeedServer(dt.date.fromisoformat(DAY)) as feeds, FakeLLM() as llm:
        env = child_env(tmp / "home", feeds.rss_template, llm.url)
        setup_group(tmp, env)
        done = run_child(group_args(tmp / "out"), env)
        assert done.returncode == 0, done.stderr
        [(first,)] = query(store_of(tmp / "home"), "SELECT COUNT(*) FROM llm_calls c JOIN"
                           " runs r ON r.id = c.run_id WHERE r.profile = 'alice'")
        return digests(tmp / "out"), billed(llm), llm.calls, int(str(first))


@pytest.mark.parametrize("whose", ["alice", "bob"])
def test_a_group_killed_while_judging_resumes_without_paying_twice(
        tmp_path: Path, clean: Clean, whose: str) -> None:
    reference, clean_billed, calls, alices = clean
    low, high = (1, alices) if whose == "alice" else (alices + 1, calls)
    answered = random.Random(SEED).randrange(low, high)
    gate = LLMGate(hold_from=answered)
    with FeedServer(dt.date.fromisoformat(DAY)) as feeds, FakeLLM(script=gate) as llm:
        home = tmp_path / "home"
        env = child_env(home, feeds.rss_template, llm.url)
        setup_group(tmp_path, env)
        child = spawn(group_args(tmp_path / "out"), env)
        wait_until(lambda: gate.held > 0, child, f"LLM call {answered + 1}")
        db = store_of(home)
        wait_until(lambda: query(db, "SELECT COUNT(*) FROM llm_calls WHERE status = 'ok'")
                   == [(answered,)], child, f"the child to save {answered} answers")
        kill(child)
        gate.release(refuse=True)
        again: subprocess.CompletedProcess[str] = run_child(group_args(tmp_path / "out"), env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert billed(llm) == clean_billed, f"killed after call {answered}"
    assert digests(tmp_path / "out") == reference
    assert integrity(db) == "ok"
    finished = query(db, "SELECT profile, status FROM runs WHERE status = 'done' ORDER BY profile")
    assert sorted({row[0] for row in finished}) == ["alice", "bob"]
    assert query(db, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM run_locks") == [(0,)]
