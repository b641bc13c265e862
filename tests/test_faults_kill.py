"""SIGKILL a real `papersieve run` in fetch, judge and render, then run it again.

After the rerun: the digest equals a clean run's (all but the token table, since the resumed
day's calls are batched differently), no paper was billed twice by the LLM server or recorded
twice in llm_calls, the store passes `PRAGMA integrity_check`, no temporary file is left in the
output folder, and the killed run's stale lock did not block the rerun. Kill points are drawn with
a seeded random, so a failure names a point that can be replayed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    recorded_per_paper,
    run_args,
    run_child,
    spawn,
    store_of,
    wait_until,
    without_usage,
)
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM

SEED = 20250703
RNG = random.Random(SEED)
JUDGE_KILLS = 2
RENDER_FILES = ("2025-07/2025-07-03.json", "2025-07/2025-07-03.md", "latest.json", "feed.atom")


@dataclass(frozen=True)
class Clean:
    """What an undisturbed run of the day made, and how many LLM calls it took."""

    markdown: str
    data: dict[str, Any]
    files: frozenset[str]
    calls: int


def make_profile(folder: Path) -> Path:
    """The default profile (title stage on) on cs.AI alone (a smaller day keeps the suite fast),
    fast limits, no deliveries."""
    init_profile(folder, force=True)
    (folder / "profile.toml").write_text(
        'name = "me"\ncategories = ["cs.AI"]\n[judge]\nconcurrency = 4\ncalls_per_minute = 10000\n',
        "utf-8")
    return folder


def normalised(data: dict[str, Any]) -> dict[str, Any]:
    """The day's JSON without what legitimately differs between runs (usage, run id)."""
    return {k: v for k, v in data.items() if k not in ("usage", "run_id")}


def outputs(out: Path) -> frozenset[str]:
    """Every file in the output folder, relative."""
    return frozenset(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Clean:
    """One clean run of the day, the reference of every test here."""
    tmp = tmp_path_factory.mktemp("clean")
    with FeedServer(dt.date.fromisoformat(DAY)) as feeds, FakeLLM() as llm:
        env = child_env(tmp / "home", feeds.rss_template, llm.url)
        done = run_child(run_args(make_profile(tmp / "profile"), tmp / "out"), env)
        assert done.returncode == 0, done.stderr
        calls = llm.calls
    md = (tmp / "out" / "2025-07" / f"{DAY}.md").read_text("utf-8")
    data = json.loads((tmp / "out" / "2025-07" / f"{DAY}.json").read_text("utf-8"))
    return Clean(md, data, outputs(tmp / "out"), calls)


@dataclass
class World:
    feeds: FeedServer
    llm: FakeLLM
    gate: LLMGate
    profile: Path
    out: Path
    home: Path
    env: dict[str, str]

    @property
    def db(self) -> Path:
        return store_of(self.home)

    def start(self) -> subprocess.Popen[str]:
        return spawn(run_args(self.profile, self.out), self.env)

    def rerun(self) -> subprocess.CompletedProcess[str]:
        return run_child(run_args(self.profile, self.out), self.env)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    gate = LLMGate()
    with FeedServer(dt.date.fromisoformat(DAY)) as feeds, FakeLLM(script=gate) as llm:
        home = tmp_path / "home"
        yield World(feeds, llm, gate, make_profile(tmp_path / "profile"), tmp_path / "out", home,
                    child_env(home, feeds.rss_template, llm.url))
        gate.release(refuse=True)


def assert_recovered(world: World, clean: Clean) -> None:
    """The rerun finished the day exactly as a clean run would have, without double billing."""
    done = world.rerun()
    assert done.returncode == 0, done.stdout + done.stderr
    md = (world.out / "2025-07" / f"{DAY}.md").read_text("utf-8")
    assert without_usage(md) == without_usage(clean.markdown)
    data = json.loads((world.out / "2025-07" / f"{DAY}.json").read_text("utf-8"))
    assert normalised(data) == normalised(clean.data)
    assert outputs(world.out) == clean.files  # no half-written or temporary file left
    for stage in ("title", "abstract"):
        billed = billed_per_paper(world.llm, stage)
        assert billed and max(billed.values()) == 1, billed.most_common(3)
        assert recorded_per_paper(world.db, stage) == billed
    assert integrity(world.db) == "ok"
    statuses = [s for (s,) in query(world.db, "SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] == "done" and "running" not in statuses  # the killed run was closed
    assert query(world.db, "SELECT COUNT(*) FROM run_locks") == [(0,)]


def judge_kill_points(total_calls: int) -> list[int]:
    """`JUDGE_KILLS` distinct call counts after which the judge stage is killed."""
    return sorted(random.Random(SEED).sample(range(1, total_calls), JUDGE_KILLS))


@pytest.mark.parametrize("which", range(JUDGE_KILLS))
def test_killed_while_judging_resumes_without_paying_twice(
    world: World, clean: Clean, which: int
) -> None:
    answered = judge_kill_points(clean.calls)[which]
    world.gate.hold_from = answered
    child = world.start()
    wait_until(lambda: world.gate.held > 0, child, f"LLM call {answered + 1}")

    def all_answers_saved() -> bool:
        done = query(world.db, "SELECT COUNT(*) FROM llm_calls WHERE status = 'ok'")
        if done != [(answered,)]:
            return False
        for stage in ("title", "abstract"):
            asked = {i for e in world.llm.log[:answered] if e.stage == stage for i in e.ids}
            saved = {str(i) for (i,) in query(
                world.db, "SELECT paper_id FROM judgements WHERE stage = ?", (stage,))}
            if not asked <= saved:
                return False
        return True

    wait_until(all_answers_saved, child, f"the child to save {answered} answers")
    kill(child)
    world.gate.release(refuse=True)
    assert query(world.db, "SELECT status FROM runs") == [("running",)]
    assert_recovered(world, clean)
    [(status, message, tokens, spent)] = query(
        world.db, "SELECT status, message, prompt_tokens, (SELECT SUM(prompt_tokens) FROM llm_calls"
        " c WHERE c.run_id = runs.id) FROM runs WHERE id = 1")
    assert (status, tokens) == ("failed", spent)
    assert str(message).startswith("interrupted: process ")


def test_killed_while_fetching_stores_nothing_half_and_reruns(world: World, clean: Clean) -> None:
    world.feeds.slow_seconds = 5.0
    world.feeds.misbehave("cs.AI", "slow")  # the feed's reply is pending
    child = world.start()
    wait_until(lambda: len(world.feeds.requests) >= 1, child, "the feed request")
    time.sleep(RNG.uniform(0.0, 0.05))
    kill(child)
    # The day's listings are stored in one transaction after both feeds: none yet.
    assert query(world.db, "SELECT COUNT(*) FROM listings") in ([], [(0,)])
    assert world.llm.calls == 0
    assert_recovered(world, clean)


@pytest.mark.parametrize("name", [RENDER_FILES[0], RNG.choice(RENDER_FILES[1:])])
def test_killed_while_rendering_rewrites_every_output(world: World, clean: Clean, name: str) -> None:
    child = world.start()
    wait_until(lambda: (world.out / name).exists(), child, f"{name} to be written")
    kill(child)
    calls = world.llm.calls
    assert calls == clean.calls
    assert_recovered(world, clean)
    assert world.llm.calls == calls  # everything came from the judgement cache


def test_killed_at_random_moments_the_day_still_comes_out_whole(world: World, clean: Clean) -> None:
    """Two kills at seeded random moments of one day's life, then a run to the end."""
    moments = sorted(random.Random(SEED + 1).uniform(0.3, 2.0) for _ in range(2))
    for moment in moments:
        child = world.start()
        deadline = time.monotonic() + moment
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.01)
        if child.poll() is None:
            kill(child)
        else:
            child.communicate()
        assert integrity(world.db) == "ok" if world.db.exists() else True
    done = world.rerun()
    assert done.returncode == 0, done.stderr
    md = (world.out / "2025-07" / f"{DAY}.md").read_text("utf-8")
    assert without_usage(md) == without_usage(clean.markdown)
    assert integrity(world.db) == "ok"
    # A call in flight when the child died was answered (and billed) but never received: it
    # may be asked again, once per kill at most. A call that was received is recorded in the
    # same transaction as the judgements it paid for (judges/llm/runner.py `_handle`), so no
    # paper is ever recorded in two answered calls.
    for stage in ("title", "abstract"):
        recorded = recorded_per_paper(world.db, stage)
        assert recorded and max(recorded.values()) == 1, recorded.most_common(3)
        billed = billed_per_paper(world.llm, stage)
        assert set(billed) == set(recorded)
        assert max(billed[p] - recorded[p] for p in billed) <= len(moments), billed.most_common(3)
