"""Two real `papersieve run` processes of the same profile and day at once.

One holds the run lock while the other refuses with one clear line (RunLockedError, exit 2);
nothing is duplicated: one listing per category, one finished run, one outcome per candidate,
no paper billed twice. Started at the same instant, whichever comes second either refuses or
(if the first already finished) makes the same digest from the cache.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faultkit import (
    DAY,
    LLMGate,
    billed_per_paper,
    child_env,
    integrity,
    query,
    run_args,
    spawn,
    store_of,
    wait_until,
)
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM
from tests.test_faults_kill import make_profile

LOCKED = re.compile(r"^error: another run of profile 'me' for 2025-07-03 is in progress "
                    r"\(pid \d+ on \S+, since [0-9T:+-]+\)$")


@dataclass
class World:
    llm: FakeLLM
    gate: LLMGate
    profile: Path
    out: Path
    env: dict[str, str]
    db: Path


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    gate = LLMGate()
    with FeedServer(dt.date.fromisoformat(DAY)) as feeds, FakeLLM(script=gate) as llm:
        home = tmp_path / "home"
        yield World(llm, gate, make_profile(tmp_path / "profile"), tmp_path / "out",
                    child_env(home, feeds.rss_template, llm.url), store_of(home))
        gate.release(refuse=True)


def assert_nothing_duplicated(world: World) -> None:
    assert integrity(world.db) == "ok"
    assert query(world.db, "SELECT COUNT(*) FROM listings") == [(1,)]  # cs.AI, stored once
    assert query(world.db, "SELECT status FROM runs") == [("done",)]
    [(candidates, distinct)] = query(
        world.db, "SELECT COUNT(*), COUNT(DISTINCT paper_id) FROM run_candidates")
    assert candidates == distinct == 125
    for stage in ("title", "abstract"):
        billed = billed_per_paper(world.llm, stage)
        assert billed and max(billed.values()) == 1
    assert query(world.db, "SELECT COUNT(*) FROM run_locks") == [(0,)]


def test_a_second_run_while_the_first_judges_refuses_in_one_line(world: World) -> None:
    world.gate.hold_from = 2
    first = spawn(run_args(world.profile, world.out), world.env)
    wait_until(lambda: world.gate.held > 0, first, "the first run to be judging")
    second = spawn(run_args(world.profile, world.out), world.env)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 2, out + err
    assert LOCKED.match(err.strip().splitlines()[-1]), err
    assert f"(pid {first.pid} on " in err
    assert out == ""
    world.gate.release(refuse=False)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert_nothing_duplicated(world)


def test_two_runs_started_together_make_one_day(world: World) -> None:
    children = [spawn(run_args(world.profile, world.out), world.env) for _ in range(2)]
    results = [(c.wait(timeout=120), *c.communicate()) for c in children]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, _, err in results:
        if code == 2:
            assert LOCKED.match(err.strip().splitlines()[-1]), err
    if codes == [0, 0]:  # the second started after the first had finished: a cached rerun
        assert query(world.db, "SELECT status FROM runs") == [("done",), ("done",)]
        assert max(billed_per_paper(world.llm, "abstract").values()) == 1
    else:
        assert_nothing_duplicated(world)
    assert (world.out / "2025-07" / f"{DAY}.md").is_file()
