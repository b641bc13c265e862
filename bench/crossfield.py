"""The local judge out of machine learning: `papersieve eval` on the cross-field development set.

For each of the 13 profiles of `../shared/data/realworld/crossfield-dev` (see its README: real
listings of quantum/condensed matter, math/statistics, q-bio and astrophysics days, weak labels
"primary subcategory = X") this replays the profile's archive cold (`--no-history`, as a new user
meets the judge) through `papersieve.eval.replay`, the code behind `papersieve eval`, and prints
the mean over days of AUC, recall at 40% and precision at k, next to the plain TF-IDF cosine of
the profile's topic names and "Relevant:" lines (the set's own baseline, `tfidf_baseline.py`
there: TfidfVectorizer(stop_words="english") fitted on the day, cosine with those lines).

    nice -n 10 .venv/bin/python bench/crossfield.py [--data DIR] [--header own|default|both]
        [--topics own|template]

`--topics template` replaces each profile's hand-written topics with what `papersieve init
--field X` writes for its subcategory X (our own short descriptions of arXiv's categories).

`--header default` swaps each profile's neutral header sentence for the default profile's
("... focus on foundational research ... Avoid purely application-driven work."), as a user who
keeps the default file's first lines would have it.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from pathlib import Path

import numpy as np

from papersieve.eval import load_days, replay
from papersieve.eval.labels import LabelBook
from papersieve.eval.metrics import day_metrics, mean
from papersieve.models import Paper
from papersieve.profile.fields import field_template
from papersieve.profile.loader import Profile, load_profile

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "realworld" / "crossfield-dev"
RUNS = [("quantum-condmat", "quant-ph"), ("quantum-condmat", "cond-mat.str-el"),
        ("quantum-condmat", "cond-mat.stat-mech"), ("math-stat", "math.OC"), ("math-stat", "math.NA"),
        ("math-stat", "stat.ME"), ("q-bio", "q-bio.NC"), ("q-bio", "q-bio.PE"), ("q-bio", "q-bio.QM"),
        ("astro-ga-he", "astro-ph.GA"), ("astro-ga-he", "astro-ph.HE"), ("grqc-he", "gr-qc"),
        ("grqc-he", "astro-ph.HE")]
KEYS = ("auc", "recall_at_40", "precision_at_k")
HEADER = re.compile(r"^Use the following relevance criteria.*$", re.M)


def default_header() -> str:
    """The default profile's header sentence (the line after "## Relevant Topics")."""
    found = HEADER.search(load_profile().prompts.topics)
    assert found is not None, "the default topics.txt has no header sentence"
    return found.group(0)


def with_topics(profile: Profile, topics: str) -> Profile:
    """The profile with another topics text."""
    return dataclasses.replace(profile, prompts=dataclasses.replace(profile.prompts, topics=topics))


def with_header(profile: Profile, header: str) -> Profile:
    """The profile with its header sentence replaced by `header`."""
    return with_topics(profile, HEADER.sub(header, profile.prompts.topics, count=1))


def relevant_only(topics: str) -> str:
    """Numbered topic names and the text of every "Relevant:" line (as tfidf_baseline.py)."""
    keep = []
    for line in topics.splitlines():
        s = line.strip().strip("*").strip()
        if re.match(r"^\d+[.)]", s):
            keep.append(s)
        m = re.match(r"^[-*]?\s*relevant\s*:\s*(.*)$", s, re.I)
        if m:
            keep.append(m.group(1))
    return "\n".join(keep)


def tfidf_scores(papers: list[Paper], text: str) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(stop_words="english")
    matrix = vec.fit_transform([f"{p.title}. {p.abstract}" for p in papers])
    return np.asarray((matrix @ vec.transform([text]).T).todense()).ravel()


def tfidf_baseline(profile: Profile, days: list[tuple], labels: Path) -> dict[str, float | None]:  # type: ignore[type-arg]
    query = relevant_only(profile.prompts.topics)
    book = LabelBook(labels)
    rows = []
    for date, papers in days:
        order = [p.id for p in papers]
        picks = set(book.reveal(date)).intersection(order)
        if picks:
            scores = dict(zip(order, map(float, tfidf_scores(papers, query)), strict=True))
            rows.append(day_metrics(scores, order, picks))
    return {k: mean([r[k] for r in rows]) for k in KEYS}


def local_cold(profile: Profile, days: list[tuple], labels: Path) -> dict[str, float | None]:  # type: ignore[type-arg]
    rows = replay("local", profile, days, labels, history=False).per_day
    return {k: mean([r[k] for r in rows if r["picks"]]) for k in KEYS}  # type: ignore[misc]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--header", choices=("own", "default", "both"), default="both")
    parser.add_argument("--topics", choices=("own", "template"), default="own")
    args = parser.parse_args()
    print("command: .venv/bin/python " + " ".join(sys.argv))
    headers = ["own", "default"] if args.header == "both" else [args.header]
    print("| profile | archive | TF-IDF AUC | " + " | ".join(
        f"local AUC ({h} header) | r40 | P@k" for h in headers) + " |")
    print("|---|---|---|" + "---|---|---|" * len(headers))
    totals: dict[str, list[float]] = {}
    started = time.perf_counter()
    for archive, sub in RUNS:
        profile = load_profile(args.data / "profiles" / sub)
        if args.topics == "template":
            profile = with_topics(profile, field_template(sub).topics)
        days = load_days(args.data / "candidates" / archive)
        labels = args.data / "labels" / f"{archive}-{sub}.jsonl"
        base = tfidf_baseline(profile, days, labels)
        totals.setdefault("tfidf", []).append(float(base["auc"] or 0))
        cells = [sub, archive, _fmt(base["auc"])]
        for header in headers:
            chosen = with_header(profile, default_header()) if header == "default" else profile
            local = local_cold(chosen, days, labels)
            totals.setdefault(header, []).append(float(local["auc"] or 0))
            cells += [_fmt(local[k]) for k in KEYS]
        print("| " + " | ".join(cells) + " |", flush=True)
    means = " | ".join(f"{name} {sum(v) / len(v):.3f}" for name, v in totals.items())
    print(f"\nmean AUC over {len(RUNS)} profiles: {means}")
    print(f"wall s: {time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
