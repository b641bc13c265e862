"""Peak memory (ru_maxrss of the child process) and wall time of whole runs, each a fresh process:

- `papersieve demo` (local judge, bundled day 2025-07-03, 215 candidates, no network);
- `papersieve run` with the LLM judge on the full day 2025-07-03 (cs.LG + cs.AI, 215 candidates)
  against the loopback arXiv feeds and OpenAI-compatible test servers (no latency), and its rerun
  (everything from the cache);
- `papersieve --help`, for the interpreter's baseline.

Run: .venv/bin/python bench/run_memory.py
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.faultkit import child_env, run_args  # noqa: E402
from tests.servers.feed_server import FeedServer  # noqa: E402
from tests.servers.llm_server import FakeLLM  # noqa: E402


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one child process (its own rusage, via wait4)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{args} failed: {err.decode()[-500:]}")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    from papersieve.profile import init_profile

    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "PAPERSIEVE_HOME": str(tmp / "demo-home")}
        for name in ("OPENAI_API_KEY", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN"):
            env.pop(name, None)
        rows.append(("papersieve --help", *measure([sys.executable, "-m", "papersieve", "--help"], env)))
        rows.append(("papersieve demo (local judge, 215 candidates)",
                     *measure([sys.executable, "-m", "papersieve", "demo"], env)))
        profile = init_profile(tmp / "profile", force=True)
        (profile / "profile.toml").write_text(
            'name = "me"\n[judge]\nconcurrency = 8\ncalls_per_minute = 10000\n', "utf-8")
        with FeedServer(dt.date(2025, 7, 3)) as feeds, FakeLLM() as llm:
            run_env = child_env(tmp / "home", feeds.rss_template, llm.url)
            args = run_args(profile, tmp / "out")
            rows.append(("papersieve run (llm judge, 215 candidates)", *measure(args, run_env)))
            rows.append(("papersieve run again (all cached)", *measure(args, run_env)))
    print("whole runs as fresh processes: wall time and peak resident memory (ru_maxrss)")
    for name, seconds, mib in rows:
        print(f"  {name:<48} {seconds:6.2f} s  {mib:6.0f} MiB")
    print("command: .venv/bin/python bench/run_memory.py")


if __name__ == "__main__":
    main()
