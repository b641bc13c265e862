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

Run: .venv/bin/python bench/tldr_quality.py [--url http://127.0.0.1:18150/v1]
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


def llm(rows: list[dict[str, Any]], url: str) -> dict[str, object]:
    import os

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PAPERSIEVE_HOME"] = tmp
        from papersieve.judges.llm.judge import LLMJudge
        from papersieve.profile import load_profile
        from papersieve.store import open_store

        profile = load_profile(None, {"outputs.tldr": True, "judge.title_stage": False,
                                      "judge.concurrency": 1})
        papers = [Paper(r["id"], r["title"], r["abstract"], ()) for r in rows]
        started = time.monotonic()
        with open_store() as store:
            result = LLMJudge(profile, store, api_key="sk-local", base_url=url).judge(papers)
        wall = time.monotonic() - started
    by_id = {r["id"]: r for r in rows}
    tldrs = {j.paper_id: j.tldr for j in result.judgements if j.tldr}
    restating = [pid for pid, t in tldrs.items() if restates_first(t, by_id[pid])]
    return {"papers": len(rows), "judged": sum(1 for j in result.judgements if j.has_scores),
            "with_tldr": len(tldrs), "restates_first_sentence": len(restating),
            "calls": result.calls, "wall_s": round(wall, 1),
            "examples": [{"id": pid, "tldr": t} for pid, t in list(tldrs.items())[:3]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="a real OpenAI-compatible server (part 2)")
    args = parser.parse_args()
    rows = load()
    print(json.dumps({"extractive": extractive(rows)}), flush=True)
    if args.url:
        print(json.dumps({"llm": llm(rows, args.url)}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
