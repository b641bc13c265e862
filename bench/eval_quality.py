"""Quality and speed of the local and hybrid judges on the repository's labelled days.

Prints the issue-5 table (means over days, over the days that had 0-4 / 5-19 / 20+ labelled
days before them, and over the first 12 / last 13 days as a check against overfitting: settings
were chosen on the first 12) and the wall time of each replay, with the command that produced it.

    .venv/bin/python bench/eval_quality.py [--candidates DIR] [--labels FILE]
        [--method tfidf|embeddings] [--runs local-cold,local,hybrid]
        [--set MODULE.NAME=VALUE ...]

`--method embeddings` needs the `embeddings` extra and preloads the sentence embeddings that
`bench/embed_cache.py` wrote (the replay's stores are temporary, so each would recompute them).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from papersieve.eval import load_days, replay
from papersieve.judges.local import LocalJudge
from papersieve.profile.loader import load_profile
from papersieve.store import open_store

REPO = Path(__file__).resolve().parent.parent
KEYS = ("auc", "recall_at_30", "recall_at_40", "precision_at_k", "precision", "recall", "f1",
        "sent_fraction", "recall_of_picks")


def _mean(rows: list[dict[str, object]], key: str) -> str:
    values = [float(r[key]) for r in rows if isinstance(r.get(key), int | float)]  # type: ignore[arg-type]
    return f"{sum(values) / len(values):.3f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=Path, default=REPO / "data" / "candidates")
    parser.add_argument("--labels", type=Path, default=REPO / "data" / "labels" / "gpt4o-picks-dev.jsonl")
    parser.add_argument("--method", choices=("tfidf", "embeddings"), default="tfidf")
    parser.add_argument("--runs", default="local-cold,local,hybrid")
    parser.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                        help="try another value of a constant of papersieve.judges.local.MODULE"
                        " (or of papersieve.judges.hybrid)")
    args = parser.parse_args()
    for assignment in args.set:
        _assign(assignment)
    profile = load_profile(None, {"judge.local_method": args.method})
    if args.method == "embeddings":
        _preload_embeddings()
    days = load_days(args.candidates)
    print("command: .venv/bin/python " + " ".join(sys.argv))
    print(f"{'run':<18} {'days':<9} " + " ".join(f"{k:>15}" for k in KEYS) + "   seconds")
    runs = {"local-cold": ("local", False), "local": ("local", True), "hybrid": ("hybrid", True)}
    for kind, history in (runs[r] for r in args.runs.split(",")):
        started = time.perf_counter()
        rows = replay(kind, profile, days, args.labels, history=history).per_day
        seconds = time.perf_counter() - started
        name = f"{kind}{'' if history else ' --no-history'}"
        parts = (("all", rows), ("0-4", rows[:5]), ("5-19", rows[5:20]), ("20+", rows[20:]),
                 ("first 12", rows[:12]), ("last 13", rows[12:]))
        for label, part in parts:
            if part:
                print(f"{name:<18} {label:<9} " + " ".join(f"{_mean(part, k):>15}" for k in KEYS)
                      + (f"   {seconds:.1f}" if label == "all" else ""))
    _speed(days[0][1])


def _assign(assignment: str) -> None:
    import importlib

    target, value = assignment.split("=", 1)
    module, name = target.rsplit(".", 1)
    package = "papersieve.judges" if module == "hybrid" else "papersieve.judges.local"
    loaded = importlib.import_module(f"{package}.{module}")
    setattr(loaded, name, type(getattr(loaded, name))(value))


def _preload_embeddings() -> None:
    import numpy as np

    from papersieve.judges.local.features import embeddings

    with np.load(REPO / "artifacts" / "embeddings-minilm.npz") as cache:
        embeddings.remember([str(h) for h in cache["hashes"]], cache["vectors"])


def _speed(papers: list) -> None:  # type: ignore[type-arg]
    """Judging one day's candidates with no model (the cold-start path, all features fresh)."""
    import tempfile

    from papersieve.judges.local.features import paper as features
    from papersieve.judges.local.model import ranker

    features._ROWS.clear()
    ranker._COLD.clear()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "s.db")
        judge = LocalJudge(load_profile(), store)
        judge.judge(papers[:5])  # imports sklearn once (cold features of 5 papers only)
        started = time.perf_counter()
        judge.judge(papers)
        first = time.perf_counter() - started
        started = time.perf_counter()
        judge.judge(papers)
        again = time.perf_counter() - started
    print(f"local judge, {len(papers)} candidates: {first:.2f}s first time,"
          f" {again:.2f}s with cached features")


if __name__ == "__main__":
    main()
