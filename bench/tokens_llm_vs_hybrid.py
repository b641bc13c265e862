"""Prompt and completion tokens per day: the `llm` judge vs the `hybrid` judge, on the 25 real
labelled days of the repository (target: hybrid spends at most 40% of llm's tokens).

Each judge lives the days in date order in its own store, through the whole pipeline
(`run_day` on data/candidates, default profile but for judge.kind), against the loopback
OpenAI-compatible test server answering from the labels (a pick gets its label's scores, any
other paper 3 / 3). The hybrid judge's ranker learns from the LLM's verdicts of the days before
(the pipeline retrains it after every run), so it needs a few days of history before it holds
anything back. Recall: the share of the labels' picks that each judge's digest kept.

The labels do not say what the seed system's title pre-filter dropped, so by default the
loopback title stage drops nothing. `--title-keep F` makes it pass every pick and only the share F
of the other papers (the same papers for both judges): with `--title-order topical` the ones whose
titles are nearest the topics text (TF-IDF cosine: a title filter keeps on-topic titles, which the
local ranker also ranks high, so this is the pessimistic case for the hybrid), with `random` a
fixed hash sample (the optimistic case). `--calibrate` prints the llm judge's prompt tokens on the
two seed days for a range of F, next to the seed digests' own token tables. `--oracle` adds a
third judge: the `llm` judge given only each day's picks, i.e. what a hybrid with a perfect ranker
would send (a floor for any hybrid that keeps every pick).

Run: .venv/bin/python bench/tokens_llm_vs_hybrid.py [--days N] [--target-recall R]
        [--title-keep F --title-order topical|random] [--calibrate] [--oracle]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers.llm_server import FakeLLM  # noqa: E402

from papersieve.eval import load_days  # noqa: E402
from papersieve.pipeline import run_day  # noqa: E402
from papersieve.profile import load_profile  # noqa: E402
from papersieve.profile.loader import builtin_profile_dir  # noqa: E402
from papersieve.store import open_store  # noqa: E402

CANDIDATES = REPO / "data" / "candidates"
LABELS = REPO / "data" / "labels" / "gpt4o-picks-dev.jsonl"
WARM_UP = 5
SEED_DAYS = {"2025-07-02": 33_705, "2025-07-03": 28_429}
"""Prompt tokens in the token tables of the two seed digests (data/seeds): the real gpt-4o runs
of those days, after the seed system's h-index filter and title pre-filter."""


def labelled_days() -> dict[str, set[str]]:
    days: dict[str, set[str]] = {}
    for line in LABELS.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            days.setdefault(record["date"], set()).add(record["id"])
    return days


def title_drops(dates: list[str], keep: float, order: str) -> set[str]:
    """The non-picks that the simulated title stage drops: all but the share `keep` of each day's
    non-picks, the least topical titles first (or a hash sample with `order="random"`)."""
    if keep >= 1:
        return set()
    from sklearn.feature_extraction.text import TfidfVectorizer

    picks = labelled_days()
    topics = (REPO / "src" / "papersieve" / "defaults" / "profile" / "topics.txt").read_text("utf-8")
    drops: set[str] = set()
    for date, papers in load_days(CANDIDATES):
        day = date.isoformat()
        if day not in dates:
            continue
        others = [p for p in papers if p.id not in picks[day]]
        if order == "random":
            rank = [int(hashlib.sha256(p.id.encode()).hexdigest()[:8], 16) for p in others]
        else:
            vectoriser = TfidfVectorizer(stop_words="english", sublinear_tf=True)
            matrix = vectoriser.fit_transform([topics, *(p.title for p in others)])
            rank = list(-(matrix[1:] @ matrix[0].T).toarray().ravel())
        ordered = [p.id for _, p in sorted(zip(rank, others, strict=True), key=lambda t: t[0])]
        drops.update(ordered[round(keep * len(ordered)):])
    return drops


def picks_only(folder: Path) -> None:
    """Candidate files in `folder` holding only each labelled day's picks."""
    picks = labelled_days()
    folder.mkdir()
    for path in CANDIDATES.glob("arxiv-*.jsonl"):
        day = picks.get(path.name[6:16], set())
        lines = [line for line in path.read_text("utf-8").splitlines()
                 if line.strip() and json.loads(line)["id"] in day]
        (folder / path.name).write_text("".join(f"{line}\n" for line in lines), "utf-8")


def live(kind: str, dates: list[str], home: Path, target_recall: float | None,
         candidates: Path = CANDIDATES) -> list[tuple[str, int, int, int, int]]:
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
            report = run_day(store, profile, dt.date.fromisoformat(date), offline_dir=candidates,
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
    parser.add_argument("--title-keep", type=float, default=1.0,
                        help="share of the non-picks the title stage passes (default 1: all)")
    parser.add_argument("--title-order", choices=("topical", "random"), default="topical")
    parser.add_argument("--oracle", action="store_true",
                        help="also the llm judge on the picks only (a perfect ranker's hybrid)")
    parser.add_argument("--calibrate", action="store_true",
                        help="llm judge's prompt tokens on the seed days for several --title-keep")
    args = parser.parse_args()
    os.environ["OPENAI_API_KEY"] = "bench"
    if args.calibrate:
        calibrate(args.title_order)
        return
    dates = sorted(labelled_days())[: args.days]
    results = {}
    drops = title_drops(dates, args.title_keep, args.title_order)
    with FakeLLM(title_drops=drops) as llm, tempfile.TemporaryDirectory() as tmp:
        os.environ["OPENAI_BASE_URL"] = llm.url
        for kind in ("llm", "hybrid"):
            results[kind] = live(kind, dates, Path(tmp) / kind, args.target_recall)
        if args.oracle:
            picks_only(Path(tmp) / "picks")
            results["oracle"] = live("llm", dates, Path(tmp) / "oracle", None, Path(tmp) / "picks")
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
        if "oracle" in results:
            oracle = sum(r[2] + r[3] for r in results["oracle"][start:])
            print(f"{label}: the llm judge on the picks only (a perfect ranker) {oracle:,} tokens ="
                  f" {oracle / llm_total:.0%} of llm")
    recall = f" --target-recall {args.target_recall:g}" if args.target_recall else ""
    if args.title_keep < 1:
        recall += f" --title-keep {args.title_keep:g} --title-order {args.title_order}"
    if args.oracle:
        recall += " --oracle"
    print(f"command: .venv/bin/python bench/tokens_llm_vs_hybrid.py --days {args.days}{recall}")


def calibrate(order: str) -> None:
    """The llm judge's prompt tokens on the seed days, each in a fresh store, for several shares
    of non-picks passed by the title stage, against the seed digests' real counts."""
    print("seed digests' prompt tokens: " + ", ".join(f"{d} {t:,}" for d, t in SEED_DAYS.items()))
    for keep in (1.0, 0.5, 0.3, 0.2, 0.15, 0.1, 0.05):
        counts = []
        for date in SEED_DAYS:
            with FakeLLM(title_drops=title_drops([date], keep, order)) as llm, \
                    tempfile.TemporaryDirectory() as tmp:
                os.environ["OPENAI_BASE_URL"] = llm.url
                counts.append(live("llm", [date], Path(tmp), None)[0][2])
        print(f"--title-keep {keep:<5g}: " + ", ".join(f"{d} {c:,}" for d, c in
                                                        zip(SEED_DAYS, counts, strict=True)))
    print(f"command: .venv/bin/python bench/tokens_llm_vs_hybrid.py --calibrate --title-order {order}")


if __name__ == "__main__":
    main()
