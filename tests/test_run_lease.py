"""The run lock as a lease, and a run that is cancelled the way GitHub cancels a job.

Real `papersieve run` children on loopback: a SIGTERM (or SIGINT) while an LLM call is held by
the server ends the run at once (without waiting for that call), the run closed as interrupted,
its lock released and the replies it paid for kept; a rerun on another host then finishes the
day. A lock left by a killed run on another host is respected while its lease lasts and broken,
with a note, once it has expired; a live run renews its lease.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.faultkit import (
    DAY,
    LLMGate,
    integrity,
    kill,
    query,
    run_args,
    run_child,
    spawn,
    wait_until,
)
from tests.faultkit import (
    child_env as child_env_on,
)
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM
from tests.test_faults_kill import make_profile


def child_env(*args: Any, **kwargs: Any) -> dict[str, str]:
    """faultkit.child_env with the child's store the SQLite file in its home even under make
    test-postgres: this module reads that file itself (sqlite3), not yet the store under test."""
    return child_env_on(*args, sqlite_file=True, **kwargs)


def on_host(args: list[str], host: str) -> list[str]:
    """The same command in a process whose host name is `host` (another CI runner)."""
    code = (f"import socket, sys; socket.gethostname = lambda: {host!r};"
            " from papersieve.cli.main import main; sys.argv[0] = 'papersieve'; main(sys.argv[1:])")
    assert args[:3] == [sys.executable, "-m", "papersieve"]
    return [sys.executable, "-c", code, *args[3:]]


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
    gate = LLMGate(hold_from=2)
    with FeedServer(dt.date.fromisoformat(DAY)) as feeds, FakeLLM(script=gate) as llm:
        home = tmp_path / "home"
        yield World(llm, gate, make_profile(tmp_path / "profile"), tmp_path / "out",
                    child_env(home, feeds.rss_template, llm.url), home / "papersieve.db")
        gate.release(refuse=True)


def paid_calls(db: Path) -> int:
    return int(query(db, "SELECT COUNT(*) FROM llm_calls WHERE status = 'ok'")[0][0])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_an_llm_call_closes_the_run_and_releases_the_lock(
        world: World, signum: int) -> None:
    child = spawn(on_host(run_args(world.profile, world.out), "runner-1"), world.env)
    wait_until(lambda: world.gate.held > 0 and paid_calls(world.db) == 2, child,
               "two paid replies and a held call")
    child.send_signal(signum)
    # The held call is never answered while the child ends: it does not wait for calls in flight.
    _, err = child.communicate(timeout=60)
    assert child.returncode == 128 + signum, err
    name = signal.Signals(signum).name
    assert err.strip().splitlines()[-1] == (
        f"interrupted by {name}: the run of me for {DAY} was closed and its lock released;"
        " run it again to finish (replies already paid for are kept)")
    assert "Traceback" not in err
    assert query(world.db, "SELECT COUNT(*) FROM run_locks") == [(0,)]
    [(status, message, tokens)] = query(world.db, "SELECT status, message, prompt_tokens FROM runs")
    assert status == "failed" and str(message).startswith(f"interrupted by {name}")
    assert tokens == query(world.db, "SELECT SUM(prompt_tokens) FROM llm_calls")[0][0]
    assert paid_calls(world.db) == 2 and integrity(world.db) == "ok"
    world.gate.release(refuse=True)

    rerun = run_child(on_host(run_args(world.profile, world.out), "runner-2"), world.env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert [r[0] for r in query(world.db, "SELECT status FROM runs ORDER BY id")] == ["failed", "done"]
    # The two replies paid before the signal were not asked for again.
    [(ids_json,)] = query(world.db, "SELECT paper_ids FROM llm_calls WHERE run_id = 1 AND status = 'ok'"
                          " ORDER BY id LIMIT 1")
    again = query(world.db, "SELECT COUNT(*) FROM llm_calls WHERE run_id = 2 AND paper_ids = ?",
                  (str(ids_json),))
    assert again == [(0,)] and json.loads(str(ids_json))


def test_an_expired_lock_from_another_host_is_broken_with_a_note(world: World) -> None:
    child = spawn(on_host(run_args(world.profile, world.out), "runner-1"), world.env)
    wait_until(lambda: world.gate.held > 0, child, "a held call")
    kill(child)  # SIGKILL: the lock stays, like a runner that vanished
    world.gate.release(refuse=True)
    [(host, expires)] = query(world.db, "SELECT host, expires_at FROM run_locks")
    assert host == "runner-1" and expires

    within_lease = run_child(on_host(run_args(world.profile, world.out), "runner-2"), world.env)
    assert within_lease.returncode == 2
    assert "another run of profile 'me' for 2025-07-03 is in progress" in within_lease.stderr
    assert "on runner-1, since " in within_lease.stderr

    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    with sqlite3.connect(world.db) as conn:
        conn.execute("UPDATE run_locks SET expires_at = ?", (past,))
    rerun = run_child(on_host(run_args(world.profile, world.out), "runner-2"), world.env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (f"Note: broke the run lock of pid {child.pid} on runner-1 (its lease expired at {past});"
            " its unfinished run was closed as interrupted") in rerun.stdout, rerun.stdout
    statuses = query(world.db, "SELECT status, message FROM runs ORDER BY id")
    assert statuses[0] == ("failed", f"interrupted: process {child.pid} ended without finishing the run")
    assert statuses[1][0] == "done"
    assert query(world.db, "SELECT COUNT(*) FROM run_locks") == [(0,)]


def process_state(pid: int) -> str:
    """The state letter of /proc/PID/stat (Z: a zombie)."""
    return Path(f"/proc/{pid}/stat").read_text("ascii").rpartition(")")[2].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_killed_run_not_yet_reaped_on_this_host_gives_its_lock_up_at_once(world: World) -> None:
    """A killed holder that its parent has not waited for is a zombie: kill(pid, 0) still
    succeeds on it, and its lock was respected for the whole 120 s lease."""
    child = spawn(run_args(world.profile, world.out), world.env)
    wait_until(lambda: world.gate.held > 0, child, "a held call")
    child.send_signal(signal.SIGKILL)  # not reaped: no wait(), no poll(), until the end
    deadline = time.monotonic() + 60
    while process_state(child.pid) != "Z":
        assert time.monotonic() < deadline, f"pid {child.pid} never became a zombie"
        time.sleep(0.05)
    world.gate.release(refuse=True)
    try:
        rerun = run_child(run_args(world.profile, world.out), world.env)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert f"Note: broke the run lock of pid {child.pid} on " in rerun.stdout, rerun.stdout
        assert "(its process is gone); its unfinished run was closed as interrupted" in rerun.stdout
        assert query(world.db, "SELECT COUNT(*) FROM run_locks") == [(0,)]
    finally:
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL


def test_a_live_run_renews_its_lease_and_keeps_its_lock(world: World) -> None:
    env = {**world.env, "PAPERSIEVE_LOCK_LEASE": "2"}
    child = spawn(on_host(run_args(world.profile, world.out), "runner-1"), env)
    wait_until(lambda: world.gate.held > 0, child, "a held call")
    [(first,)] = query(world.db, "SELECT expires_at FROM run_locks")
    wait_until(lambda: query(world.db, "SELECT expires_at FROM run_locks") not in ([(first,)], []),
               child, "the lease to be renewed")
    other = run_child(on_host(run_args(world.profile, world.out), "runner-2"), env)
    assert other.returncode == 2 and "is in progress (pid " in other.stderr, other.stderr
    world.gate.release(refuse=False)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert query(world.db, "SELECT COUNT(*) FROM run_locks") == [(0,)]


DEFERRED = """
import os, signal, sys
from papersieve.interrupts import on_termination
from papersieve.store import open_store

store = open_store(sys.argv[1])

def cleanup(signum):
    seen = store.conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    with store.transaction() as conn:  # the cleanup writes too, as the run's does
        conn.execute("INSERT INTO feedback (paper_id, label, source, created_at)"
                     " VALUES ('cleanup', 0, 'test', 'now')")
    print(f"cleanup after {signal.Signals(signum).name} saw {seen} rows", flush=True)

with on_termination(cleanup):
    with store.transaction() as conn:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives inside the transaction
        conn.execute("INSERT INTO feedback (paper_id, label, source, created_at)"
                     " VALUES ('2507.00001', 1, 'test', 'now')")
        print("still in the transaction", flush=True)
    print("not reached", flush=True)
"""


def test_a_signal_inside_a_store_transaction_waits_for_its_commit(tmp_path: Path) -> None:
    """A reply's record and the judgements it paid for are one transaction: a SIGTERM in the
    middle must not roll it back (the reply would be paid and lost) nor leave it half done."""
    db = tmp_path / "store.db"
    result = run_child([sys.executable, "-c", DEFERRED, str(db)],
                       {**child_env(tmp_path / "home", "http://127.0.0.1:9/{category}", "x")})
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert result.stdout == "still in the transaction\ncleanup after SIGTERM saw 1 rows\n"
    assert query(db, "SELECT paper_id FROM feedback ORDER BY id") == [("2507.00001",), ("cleanup",)]


NESTED = """
import os, signal, sys, threading
from papersieve.interrupts import on_termination

threads = threading.active_count()
with on_termination(lambda signum: print("the group's cleanup", flush=True)):
    for member in ("alice", "bob"):
        with on_termination(lambda signum, m=member: print(f"{m}'s cleanup", flush=True)):
            assert threading.active_count() == threads + 1  # the outer block's forwarder only
        print(f"{member} done", flush=True)
    if sys.argv[1] == "between":
        os.kill(os.getpid(), signal.SIGTERM)
    with on_termination(lambda signum: print("carol's cleanup", flush=True)):
        os.kill(os.getpid(), signal.SIGTERM)
print("not reached", flush=True)
"""


@pytest.mark.parametrize("when", ["between", "inside"])
def test_a_block_inside_another_takes_the_signal_with_its_own_cleanup(tmp_path: Path, when: str) -> None:
    """A group's day holds one block (signal handlers and a forwarding thread) around every
    member's run, whose own block only names its cleanup: a signal runs the innermost one."""
    result = run_child([sys.executable, "-c", NESTED, when], {**os.environ, "PAPERSIEVE_HOME": str(tmp_path)})
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    last = "the group's cleanup" if when == "between" else "carol's cleanup"
    assert result.stdout == f"alice done\nbob done\n{last}\n"
