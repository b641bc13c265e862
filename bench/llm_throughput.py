"""The LLM stage's throughput against one serving engine, as a function of `judge.concurrency`
(issue 20, item 3).

The engine is the loopback OpenAI-compatible server of the tests (tests/servers/llm_server.py)
made to act like vLLM: every request takes `--latency` seconds and at most `--engine-limit`
requests are computed at once (vLLM's `--max-num-seqs`); the others wait in its queue
(`--when-full queue`, as vLLM does) or are turned away with 429 and `Retry-After`
(`--when-full 429`, as a proxy in front of one may; `--retry-after`). `--profiles` profiles
(bench/crowd_setup.py's, the day cut to its first `--papers` papers, title stage off) are judged
one after another through one `LLMCrowd`, as `papersieve run --all` does; each concurrency gets a
fresh store.

Run: nice -n 19 .venv/bin/python bench/llm_throughput.py --profiles 3 --papers 40 --batch 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=3)
    parser.add_argument("--papers", type=int, default=40)
    parser.add_argument("--batch", type=int, default=2, help="judge.abstract_batch")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--engine-limit", type=int, default=4)
    parser.add_argument("--when-full", choices=("queue", "429"), default="queue")
    parser.add_argument("--retry-after", default="0", help="Retry-After of a 429 (seconds)")
    parser.add_argument("--concurrency", default="1,2,4,8,16")
    args = parser.parse_args()
    os.environ["OPENAI_API_KEY"] = "bench-key"
    for concurrency in (int(c) for c in args.concurrency.split(",")):
        with tempfile.TemporaryDirectory() as home:
            os.environ["PAPERSIEVE_HOME"] = home
            print(json.dumps(measure(Path(home), args, concurrency)), flush=True)


def measure(home: Path, args: argparse.Namespace, concurrency: int) -> dict[str, object]:
    """Judge the day for every profile at `concurrency`; returns papers/s, calls/s and what the
    engine saw."""
    from tests.servers.llm_server import FakeLLM

    import crowd_setup as setup
    from papersieve.ingest import load_offline_day
    from papersieve.judges.llm.crowd import LLMCrowd
    from papersieve.models import Outcome
    from papersieve.profile.loader import builtin_profile_dir, profile_from_files, read_profile_folder
    from papersieve.store import open_store

    setup.build_day(home / "day")
    files = read_profile_folder(builtin_profile_dir())
    with FakeLLM(models=("test-model",), latency=args.latency, max_in_flight=args.engine_limit,
                 when_full=args.when_full, retry_after=args.retry_after) as engine, open_store() as store:
        fetched = load_offline_day(store, home / "day", setup.DAY, setup.CATEGORIES)
        papers = list({e.paper.id: e.paper for x in fetched.listings for e in x.entries}.values())
        papers = papers[:args.papers]
        overrides = {"judge.kind": "llm", "judge.base_url": engine.url, "judge.model": "test-model",
                     "judge.calls_per_minute": 10_000, "judge.concurrency": concurrency,
                     "judge.abstract_batch": args.batch, "judge.title_stage": False, "judge.cost_cap": 0}
        profiles = [profile_from_files({**files, "topics.txt": topics}, name, overrides)
                    for name, topics, _ in setup.profile_topics(args.profiles)]
        crowd = LLMCrowd(store, profiles)
        judged = calls = 0
        start = time.perf_counter()
        for profile in profiles:
            result = crowd.judge_for(profile).judge(papers)
            judged += sum(j.outcome is Outcome.JUDGED for j in result.judgements)
            calls += result.calls
        seconds = time.perf_counter() - start
    return {"concurrency": concurrency, "engine_limit": args.engine_limit, "when_full": args.when_full,
            "retry_after": args.retry_after,
            "latency_s": args.latency, "profiles": args.profiles, "papers_judged": judged,
            "expected": args.profiles * len(papers), "calls": calls, "engine_requests": engine.calls,
            "turned_away": engine.turned_away, "most_in_flight": engine.most_in_flight,
            "most_computing": engine.most_computing, "seconds": round(seconds, 2),
            "papers_per_s": round(judged / seconds, 2), "calls_per_s": round(engine.calls / seconds, 2)}


if __name__ == "__main__":
    main()
