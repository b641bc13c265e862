"""CPU time of the local judge on a day of 300 papers, for a non-ML profile (the joint semantic
space: LSA + static word vectors) and for the default ML profile (the LSA space alone).

Papers: the three first quantum-condmat days of crossfield-dev (126 + 95 + 79 = 300 papers) with
its quant-ph profile, and the first 300 candidates of data/candidates' first day with the
built-in profile. Each judged in a fresh store with no model (cold start, self-training on):
"first" includes reading the shipped spaces (once per process), "again" is a second day of 300
new papers once they are loaded (every per-paper cache emptied).

    nice -n 10 .venv/bin/python bench/fields_speed.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from papersieve.eval import load_days
from papersieve.judges.local import LocalJudge
from papersieve.judges.local.features import paper as features
from papersieve.judges.local.features import semantic
from papersieve.judges.local.model import ranker
from papersieve.models import Paper
from papersieve.profile.loader import Profile, load_profile
from papersieve.store import open_store

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "realworld" / "crossfield-dev"


def _forget() -> None:
    features._ROWS.clear()
    features._TITLE_ROWS.clear()
    ranker._COLD.clear()
    semantic._VECTORS.clear()


def _cpu(profile: Profile, papers: list[Paper]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "s.db")
        judge = LocalJudge(profile, store)
        started = time.process_time()
        judge.judge(papers)
        spent = time.process_time() - started
        store.close()
    return spent


def main() -> None:
    print("command: .venv/bin/python " + " ".join(sys.argv))
    quantum = [p for _, day in load_days(DATA / "candidates" / "quantum-condmat")[:3] for p in day]
    ml_days = load_days(REPO / "data" / "candidates")
    cases = [("quant-ph (joint space)", load_profile(DATA / "profiles" / "quant-ph"), quantum,
              [p for _, day in load_days(DATA / "candidates" / "math-stat")[:2] for p in day][:300]),
             ("default ML (LSA space)", load_profile(), ml_days[0][1][:300], ml_days[1][1][:300])]
    _cpu(load_profile(), ml_days[2][1][:5])  # imports, once
    for name, profile, papers, other in cases:
        _forget()
        first = _cpu(profile, papers)
        _forget()
        again = _cpu(profile, other)
        print(f"{name}: {len(papers)} papers, {first:.2f} CPU s first (spaces read), "
              f"{again:.2f} CPU s for {len(other)} new papers once loaded")


if __name__ == "__main__":
    main()
