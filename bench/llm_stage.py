"""Wall time of a full real day's LLM stage, one call at a time vs concurrently.

The day is 2025-07-02, cs.LG + cs.AI (data/realworld, 315 entries, 244 unique candidates after
the seed rules), judged by `LLMJudge` against the loopback OpenAI-compatible test server with a
fixed latency of 1 s per call (answers derived from the labels, title stage on, no drops). Each
setting runs on a fresh store, so nothing comes from the cache. Also reports calls, tokens and
the gpt-4o cost per day, and a rerun of the same day (zero calls).

The server publishes no slot count unless `--slots N` (llama.cpp's /props): without it the judge
starts with one request in flight and doubles while latency shows no queue.

Run: .venv/bin/python bench/llm_stage.py [--latency 1.0] [--concurrency N] [--slots N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers.llm_server import FakeLLM

from papersieve.candidates import select_candidates
from papersieve.judges.interface import JudgeResult
from papersieve.judges.llm import LLMJudge
from papersieve.models import Paper
from papersieve.profile import load_profile
from papersieve.sources.jsonl import listings_from_file
from papersieve.store import open_store

REPO = Path(__file__).resolve().parents[1]
DAY = dt.date(2025, 7, 2)


def day_papers() -> tuple[Paper, ...]:
    """The day's candidates, as the pipeline selects them."""
    listings = []
    for category in ("LG", "AI"):
        listings += listings_from_file(REPO / "data" / "realworld" / f"arxiv-{DAY}-cs.{category}.jsonl")
    return select_candidates(DAY, listings).papers


def run(papers: tuple[Paper, ...], server: FakeLLM, concurrency: int, store_path: Path,
        repeat: bool = False) -> tuple[float, JudgeResult, int]:
    """Seconds, result and server calls of one judge() over the day."""
    profile = load_profile(None, {"judge.concurrency": concurrency, "judge.calls_per_minute": 600,
                                  "judge.cost_cap": 0})
    with open_store(store_path) as store:
        judge = LLMJudge(profile, store, api_key="bench", base_url=server.url)
        if repeat:
            judge.judge(papers)
        before = server.calls
        start = time.perf_counter()
        result = judge.judge(papers)
        return time.perf_counter() - start, result, server.calls - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=None,
                        help="requests in flight (default: the profile default)")
    parser.add_argument("--slots", type=int, default=None,
                        help="the server publishes this many slots (default: none)")
    args = parser.parse_args()
    args.concurrency = args.concurrency or load_profile().settings.judge.concurrency
    papers = day_papers()
    with tempfile.TemporaryDirectory() as tmp, FakeLLM(latency=args.latency,
                                                           published_slots=args.slots) as server:
        os.environ["PAPERSIEVE_HOME"] = tmp
        seq_time, seq, seq_calls = run(papers, server, 1, Path(tmp) / "seq.db")
        con_time, con, con_calls = run(papers, server, args.concurrency, Path(tmp) / "con.db")
        _, _, rerun_calls = run(papers, server, args.concurrency, Path(tmp) / "rerun.db", repeat=True)
    usage = con.usage
    print(f"day {DAY} cs.LG+cs.AI: {len(papers)} candidates, latency {args.latency:g} s per call")
    print(f"sequential (concurrency 1):  {seq_time:6.1f} s, {seq_calls} calls")
    print(f"concurrent (concurrency {args.concurrency}): {con_time:6.1f} s, {con_calls} calls"
          f"  -> {seq_time / con_time:.1f}x faster")
    print(f"tokens per day: {usage.prompt_tokens:,} prompt ({usage.cached_tokens:,} cached), "
          f"{usage.completion_tokens:,} completion; cost "
          + ("unknown (a loopback server is not billed at OpenAI's prices)" if usage.cost is None
             else f"${usage.cost:.2f}"))
    print(f"rerun of the same day: {rerun_calls} calls")
    assert seq.judgements == con.judgements
    print("command: .venv/bin/python bench/llm_stage.py "
          f"--latency {args.latency:g} --concurrency {args.concurrency}"
          + (f" --slots {args.slots}" if args.slots else ""))


if __name__ == "__main__":
    main()
