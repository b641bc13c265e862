"""Prompt and completion tokens per day: the `llm` judge vs the `hybrid` judge, on the 25 real
labelled days of the repository (target: hybrid spends at most 40% of llm's tokens).

Each judge lives the days in date order in its own store, through the whole pipeline
(`run_day` on data/candidates, default profile but for judge.kind), against the loopback
OpenAI-compatible test server answering from the labels (a pick gets its label's scores, any
other paper 3 / 3). The hybrid judge's ranker learns from the LLM's verdicts of the days before
(the pipeline retrains it after every run), so it needs a few days of history before it holds
anything back. Recall: the share of the labels' picks that each judge's digest kept.

Run: .venv/bin/python bench/tokens_llm_vs_hybrid.py [--days N] [--target-recall R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers.llm_server import FakeLLM  # noqa: E402

from papersieve.pipeline import run_day  # noqa: E402
from papersieve.profile import load_profile  # noqa: E402
from papersieve.profile.loader import builtin_profile_dir  # noqa: E402
from papersieve.store import open_store  # noqa: E402

CANDIDATES = REPO / "data" / "candidates"
LABELS = REPO / "data" / "labels" / "gpt4o-picks-dev.jsonl"
WARM_UP = 5


def labelled_days() -> dict[str, set[str]]:
    days: dict[str, set[str]] = {}
    for line in LABELS.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            days.setdefault(record["date"], set()).add(record["id"])
    return days


def live(kind: str, dates: list[str], home: Path,
         target_recall: float | None) -> list[tuple[str, int, int, int, int]]:
    """(date, candidates, prompt tokens, completion tokens, picks kept) per day for one judge."""
    os.environ["PAPERSIEVE_HOME"] = str(home)
    picks = labelled_days()
    profile = load_profile(builtin_profile_dir(), {"name": "bench", "judge.kind": kind,
                                                   "judge.concurrency": 8,
                                                   "judge.calls_per_minute": 10_000,
                                                   "judge.cost_cap": 0,
                                                   "judge.target_recall": target_recall})
    rows = []
    with open_store(home / "papersieve.db") as store:
        for date in dates:
            report = run_day(store, profile, dt.date.fromisoformat(date), offline_dir=CANDIDATES,
                             out_dir=home / "out", deliver=False)
            assert report.digest is not None, report.message
            kept = {p.paper.id for p in report.digest.picks} & picks[date]
            usage = report.run_usage
            rows.append((date, len(report.digest.judgements), usage.prompt_tokens,
                         usage.completion_tokens, len(kept)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=25)
    parser.add_argument("--target-recall", type=float, default=None,
                        help="the hybrid's judge.target_recall (default: the profile's, 0.95)")
    args = parser.parse_args()
    dates = sorted(labelled_days())[: args.days]
    os.environ["OPENAI_API_KEY"] = "bench"
    results = {}
    with FakeLLM() as llm, tempfile.TemporaryDirectory() as tmp:
        os.environ["OPENAI_BASE_URL"] = llm.url
        for kind in ("llm", "hybrid"):
            results[kind] = live(kind, dates, Path(tmp) / kind, args.target_recall)
    picks = labelled_days()
    print(f"{len(dates)} labelled days {dates[0]}..{dates[-1]}, loopback LLM answering from labels")
    print(f"{'date':<11}{'cands':>6} {'llm prompt':>11}{'compl':>7} {'hybrid prompt':>14}{'compl':>7}"
          f" {'share':>6} {'picks':>5} {'kept llm/hyb':>12}")
    for a, b in zip(results["llm"], results["hybrid"], strict=True):
        share = (b[2] + b[3]) / max(1, a[2] + a[3])
        print(f"{a[0]:<11}{a[1]:>6} {a[2]:>11,}{a[3]:>7,} {b[2]:>14,}{b[3]:>7,} {share:>6.0%}"
              f" {len(picks[a[0]]):>5} {a[4]:>6}/{b[4]:<5}")
    for label, start in (("all days", 0), (f"after {WARM_UP} days of history", WARM_UP)):
        if start >= len(dates):
            continue
        llm_total = sum(r[2] + r[3] for r in results["llm"][start:])
        hybrid_total = sum(r[2] + r[3] for r in results["hybrid"][start:])
        kept_llm = sum(r[4] for r in results["llm"][start:])
        kept_hybrid = sum(r[4] for r in results["hybrid"][start:])
        print(f"{label}: llm {llm_total:,} tokens, hybrid {hybrid_total:,} tokens ="
              f" {hybrid_total / llm_total:.0%} of llm (target <= 40%); label picks kept:"
              f" llm {kept_llm}, hybrid {kept_hybrid} ({kept_hybrid / max(1, kept_llm):.0%})")
    recall = f" --target-recall {args.target_recall:g}" if args.target_recall else ""
    print(f"command: .venv/bin/python bench/tokens_llm_vs_hybrid.py --days {args.days}{recall}")


if __name__ == "__main__":
    main()
