"""What each part of the local judge's cold prior buys (issue 25), cold start, no history.

    nice -n 10 .venv/bin/python bench/cold_prior.py [--data DIR] [--realworld DIR]

1. The 13 profiles of `../shared/data/realworld/crossfield-dev` (as `bench/crossfield.py`, own
   header), each day scored by `Ranker.scores` with the prior's settings (`PriorSettings`:
   semantic weight, category indicator weight, key phrases weighed by the day's document
   frequency, semantic score against the centre of the profile's lines) set to the ML field's
   (the prior before issue 25), to the general prior, and to the general prior with one setting
   put back. With no stored model and a fresh store this is the score `papersieve eval
   --no-history` ranks by (`bench/crossfield.py` prints the same means for "before" and "general").
2. A check on days nobody tuned on: the three mixed cs listing days of `../shared/data/realworld`
   (2025-07-01..03, cs.LG + cs.AI + cs.CL + cs.CV + stat.ML, 323-651 papers), a profile per
   category X written by `papersieve init --field X` (our templates), subscribed to all five
   listings, weak labels "primary category = X". Those profiles fall in the ML field; the
   prior is set here explicitly, so the two priors are compared on the same space.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from crossfield import DATA, RUNS
from papersieve.eval import load_days
from papersieve.eval.labels import LabelBook
from papersieve.eval.metrics import roc_auc
from papersieve.judges.local.model.ranker import Ranker
from papersieve.judges.local.text.lexicon import GENERAL_PRIOR, PriorSettings, lexicon_for
from papersieve.models import Paper
from papersieve.profile.fields import field_template
from papersieve.profile.loader import Profile, load_profile

REALWORLD = DATA.parent
ML = lexicon_for(["cs.LG"])
BEFORE = ML.prior if ML is not None else GENERAL_PRIOR
VARIANTS = {
    "before (the ML field's prior)": BEFORE,
    "general": GENERAL_PRIOR,
    "general, semantic weight 0.5": dataclasses.replace(GENERAL_PRIOR, semantic_weight=0.5),
    "general, no category indicator": dataclasses.replace(GENERAL_PRIOR, listed_weight=0.0),
    "general, key phrases unweighted": dataclasses.replace(GENERAL_PRIOR, phrase_idf=False),
    "general, best single line": dataclasses.replace(GENERAL_PRIOR, semantic_centre=False),
}
CS = ("cs.LG", "cs.AI", "cs.CL", "cs.CV", "stat.ML")


def day_auc(profile: Profile, prior: PriorSettings, papers: Sequence[Paper], picks: set[str]) -> float:
    ranker = Ranker(profile, None, {})
    ranker.prior = prior
    return float(roc_auc(list(map(float, ranker.scores(papers))), [p.id in picks for p in papers]) or 0)


def crossfield(data: Path) -> None:
    table: dict[str, list[float]] = {name: [] for name in VARIANTS}
    print("| profile | archive | " + " | ".join(VARIANTS) + " |")
    print("|---|---|" + "---|" * len(VARIANTS))
    for archive, sub in RUNS:
        profile = load_profile(data / "profiles" / sub)
        book = LabelBook(data / "labels" / f"{archive}-{sub}.jsonl")
        days = [(papers, set(book.reveal(date))) for date, papers in load_days(data / "candidates" / archive)]
        days = [(papers, picks) for papers, picks in days if picks.intersection(p.id for p in papers)]
        cells = []
        for name, prior in VARIANTS.items():
            table[name].append(float(np.mean([day_auc(profile, prior, p, picks) for p, picks in days])))
            cells.append(f"{table[name][-1]:.3f}")
        print(f"| {sub} | {archive} | " + " | ".join(cells) + " |", flush=True)
    print("| **mean** | | " + " | ".join(f"**{np.mean(v):.4f}**" for v in table.values()) + " |")


def cs_days(realworld: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for day in ("01", "02", "03"):
            (Path(folder) / f"arxiv-2025-07-{day}-{'+'.join(CS)}.jsonl").symlink_to(
                realworld / f"arxiv-2025-07-{day}-all.jsonl")
        days = load_days(Path(folder))
    chosen = {k: VARIANTS[k] for k in ("before (the ML field's prior)", "general",
                                       "general, no category indicator")}
    table: dict[str, list[float]] = {name: [] for name in chosen}
    print("\n| profile (init --field X, 5 listings) | " + " | ".join(chosen) + " |")
    print("|---|" + "---|" * len(chosen))
    for sub in CS:
        template = field_template(sub)
        base = load_profile(None, {"categories": list(CS)})
        profile = dataclasses.replace(base, prompts=dataclasses.replace(base.prompts, topics=template.topics))
        for name, prior in chosen.items():
            table[name].append(float(np.mean([day_auc(profile, prior, papers, {
                p.id for p in papers if p.primary_category == sub}) for _, papers in days])))
        print(f"| {sub} | " + " | ".join(f"{v[-1]:.3f}" for v in table.values()) + " |", flush=True)
    print("| **mean** | " + " | ".join(f"**{np.mean(v):.4f}**" for v in table.values()) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--realworld", type=Path, default=REALWORLD)
    args = parser.parse_args()
    crossfield(args.data)
    cs_days(args.realworld)


if __name__ == "__main__":
    main()
