"""TL;DR quality on 50 real abstracts labelled by hand (bench/tldr_labels.jsonl).

The labels: 50 papers of the arXiv listing of 2025-07-03 (every 30th line of
../shared/data/realworld/arxiv-2025-07-03-all.jsonl, from public listing archives; arXiv metadata
is CC0), each with the abstract's sentence that states the paper's contribution (what it does),
chosen by reading the abstract, not by the code.

1. Extractive (local judge, no key): how often `contribution_sentence` returns the labelled
   sentence; beside it, how often the first sentence is the labelled one (a "first sentence"
   TL;DR would be right that often).
2. LLM (`--url`, a real OpenAI-compatible server): the 50 papers judged by the `llm` judge with
   `[outputs] tldr = true` (same call, same schema as a run); a TLDR "restates the first sentence"
   when at least 60% of its distinct content stems are in the abstract's first sentence and it
   shares more of them with the first sentence than with the labelled contribution sentence.

Run: .venv/bin/python bench/tldr_quality.py [--url http://127.0.0.1:18150/v1 [--chunk 10]]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from papersieve.judges.local.text.contribution import contribution_sentence
from papersieve.judges.local.text.sentences import split_sentences
from papersieve.judges.local.text.words import stems, stop_words
from papersieve.models import Paper

LABELS = Path(__file__).resolve().parent / "tldr_labels.jsonl"
RESTATES = 0.6


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LABELS.read_text("utf-8").splitlines() if line.strip()]


def extractive(rows: list[dict[str, Any]]) -> dict[str, object]:
    hits = sum(contribution_sentence(r["title"], r["abstract"]) == r["contribution"] for r in rows)
    first = sum(split_sentences(r["abstract"])[0] == r["contribution"] for r in rows)
    misses = [r["id"] for r in rows if contribution_sentence(r["title"], r["abstract"]) != r["contribution"]]
    return {"papers": len(rows), "extractive_is_contribution": hits, "first_is_contribution": first,
            "misses": misses}


def restates_first(tldr: str, row: dict[str, Any]) -> bool:
    words = {s for s in stems(tldr) if s not in stop_words() and len(s) > 2}
    if not words:
        return False
    first = set(stems(split_sentences(row["abstract"])[0]))
    contribution = set(stems(row["contribution"]))
    in_first = len(words & first)
    return in_first >= RESTATES * len(words) and in_first > len(words & contribution)


def llm(rows: list[dict[str, Any]], url: str, chunk: int) -> None:
    """Judge the papers `chunk` at a time, printing the running figures after each chunk (a slow
    server can be stopped at any point and the papers so far still count)."""
    import os

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PAPERSIEVE_HOME"] = tmp
        from papersieve.judges.llm.judge import LLMJudge
        from papersieve.profile import load_profile
        from papersieve.store import open_store

        profile = load_profile(None, {"outputs.tldr": True, "judge.title_stage": False,
                                      "judge.concurrency": 1, "judge.abstract_batch": 2,
                                      "judge.timeout": 900})
        by_id = {r["id"]: r for r in rows}
        tldrs: dict[str, str] = {}
        judged = calls = 0
        started = time.monotonic()
        with open_store() as store:
            judge = LLMJudge(profile, store, api_key="sk-local", base_url=url)
            for at in range(0, len(rows), chunk):
                part = rows[at:at + chunk]
                papers = [Paper(r["id"], r["title"], r["abstract"], ()) for r in part]
                result = judge.judge(papers)
                judged += sum(1 for j in result.judgements if j.has_scores)
                calls += result.calls
                tldrs.update({j.paper_id: j.tldr for j in result.judgements if j.tldr})
                restating = [pid for pid, t in tldrs.items() if restates_first(t, by_id[pid])]
                print(json.dumps({"llm": {
                    "papers": at + len(part), "judged": judged, "with_tldr": len(tldrs),
                    "restates_first_sentence": len(restating), "calls": calls,
                    "wall_s": round(time.monotonic() - started, 1),
                    "restating": restating}}, ensure_ascii=False), flush=True)
        for pid, tldr in tldrs.items():
            print(json.dumps({"id": pid, "tldr": tldr}, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="a real OpenAI-compatible server (part 2)")
    parser.add_argument("--chunk", type=int, default=10, help="papers per judge() call")
    args = parser.parse_args()
    rows = load()
    print(json.dumps({"extractive": extractive(rows)}), flush=True)
    if args.url:
        llm(rows, args.url, args.chunk)


if __name__ == "__main__":
    main()
