"""Seconds from SIGTERM (or SIGINT) to the exit of a `papersieve run` that is waiting on an LLM
call, the call never answered. GitHub sends SIGINT, then SIGTERM 7.5 s later, then SIGKILL.

A real child process on loopback (tests/faultkit.py): the loopback arXiv feed of 2025-07-03
(cs.AI), the loopback LLM server answering the first two calls and holding every later one.
The signal is sent once a call is held; the time runs until the child has exited (run closed as
interrupted, lock released, store committed).

Run: .venv/bin/python bench/interrupt_exit.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faultkit import DAY, LLMGate, child_env, run_args, spawn, wait_until
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM
from tests.test_faults_kill import make_profile


def once(signum: int) -> float:
    """Seconds from the signal to the child's exit."""
    gate = LLMGate(hold_from=2)
    with tempfile.TemporaryDirectory() as tmp, FeedServer(dt.date.fromisoformat(DAY)) as feeds, \
            FakeLLM(script=gate) as llm:
        folder = Path(tmp)
        env = child_env(folder / "home", feeds.rss_template, llm.url)
        child = spawn(run_args(make_profile(folder / "profile"), folder / "out"), env)
        wait_until(lambda: gate.held > 0, child, "a held call")
        start = time.perf_counter()
        child.send_signal(signum)
        child.wait(timeout=60)
        elapsed = time.perf_counter() - start
        child.communicate()
        gate.release(refuse=True)
        assert child.returncode == 128 + signum, child.returncode
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    for signum in (signal.SIGTERM, signal.SIGINT):
        times = [once(signum) for _ in range(repeat)]
        print(f"{signal.Signals(signum).name}: exit after " + ", ".join(f"{t:.3f}" for t in times)
              + " s (the LLM call still unanswered)")


if __name__ == "__main__":
    main()
