"""The LLM judge for a group (issue 19): calls and tokens of N profiles on one day, against the
loopback OpenAI-compatible server of the tests (tests/servers/llm_server.py, answers derived from
labels, cached prompt tokens counted by common prefix with earlier requests as a provider would).

The profiles and day are bench/crowd_setup.py's (one per arXiv category, then pairs), the day cut
to its first `--papers` papers. Each profile judges through `LLMCrowd` (one rate limit, one bound
on requests in flight, one budget), title stage on, as the seed system did.

Run: nice -n 10 .venv/bin/python bench/crowd_llm.py --profiles 100 --papers 200
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
    parser.add_argument("--profiles", type=int, default=100)
    parser.add_argument("--papers", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["PAPERSIEVE_HOME"] = home
        os.environ["OPENAI_API_KEY"] = "bench-key"
        print(json.dumps(measure(Path(home), args.profiles, args.papers)))


def measure(home: Path, n: int, count: int) -> dict[str, object]:
    """Run the crowd's LLM judges over the day; returns calls and tokens."""
    from tests.servers.llm_server import FakeLLM

    import crowd_setup as setup
    from papersieve.ingest import load_offline_day
    from papersieve.judges.llm.crowd import LLMCrowd
    from papersieve.models import Usage
    from papersieve.profile.loader import builtin_profile_dir, profile_from_files, read_profile_folder
    from papersieve.store import open_store

    setup.build_day(home / "day")
    files = read_profile_folder(builtin_profile_dir())
    with FakeLLM(models=("gpt-4o",)) as server, open_store() as store:
        fetched = load_offline_day(store, home / "day", setup.DAY, setup.CATEGORIES)
        papers = list({e.paper.id: e.paper for x in fetched.listings for e in x.entries}.values())[:count]
        overrides = {"judge.kind": "llm", "judge.base_url": server.url, "judge.model": "gpt-4o",
                     "judge.calls_per_minute": 10_000, "judge.concurrency": 8, "judge.cost_cap": 0}
        profiles = [profile_from_files({**files, "topics.txt": topics}, name, overrides)
                    for name, topics, _ in setup.profile_topics(n)]
        crowd = LLMCrowd(store, profiles)
        usage, calls = Usage(), 0
        start = time.perf_counter()
        for profile in profiles:
            result = crowd.judge_for(profile).judge(papers)
            usage, calls = usage + result.usage, calls + result.calls
        seconds = time.perf_counter() - start
        requests = server.calls
    return {"profiles": n, "papers": len(papers), "calls": calls, "server_requests": requests,
            "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "cached_prompt_tokens": usage.cached_tokens,
            "cached_share": round(usage.cached_tokens / max(usage.prompt_tokens, 1), 3),
            "per_profile_calls": round(calls / n, 1), "seconds": round(seconds, 1),
            "servers": crowd.servers}


if __name__ == "__main__":
    main()
