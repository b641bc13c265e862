"""Which papers to ask a new user about (`papersieve teach`, the web's "teach me" page, `eval
--onboarding`): the ones whose answer teaches the local judge most.

Active learning by uncertainty and diversity (as Scholar Inbox, Flicke et al. 2025, bootstraps a
new user's model from a few ratings): the judge is least sure about papers near its own cutoff,
the place in the day's ranking where about `pass_share` of the papers lie above; among those, the
questions should not all be about one subject. So the candidates are the papers ranked within
`BAND` pick shares of the cutoff, and they are taken greedily by maximal marginal relevance:
closeness to the cutoff minus `DIVERSITY` x the greatest similarity (in the semantic space) to a
paper already chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from papersieve.judges.local.model.ranker import Ranker
from papersieve.models import Paper

QUESTIONS = 10
"""Papers asked about by default."""
BAND = 3.0
"""Candidates: papers ranked within this many pick shares of the day's cutoff, either side."""
DIVERSITY = 0.5
"""Weight of the similarity to the papers already chosen against closeness to the cutoff."""


def choose_questions(ranker: Ranker, papers: Sequence[Paper], count: int = QUESTIONS,
                     pass_share: float = 0.08, skip: set[str] | None = None) -> list[Paper]:
    """Up to `count` papers of `papers` to ask about, most useful first (none in `skip`)."""
    papers = [p for p in papers if p.id not in (skip or set())]
    if not papers or count <= 0:
        return []
    scores = ranker.scores(papers)
    order = np.argsort(-scores, kind="stable")
    place = np.empty(len(papers))
    place[order] = (np.arange(len(papers)) + 0.5) / len(papers)
    share = min(max(pass_share, 0.01), 0.3)
    closeness = 1.0 - np.abs(place - share) / (BAND * share)
    pool = [int(i) for i in np.argsort(-closeness, kind="stable") if closeness[i] > 0]
    if len(pool) < count:  # a small batch: every paper is a candidate
        pool = [int(i) for i in np.argsort(-closeness, kind="stable")]
    vectors = ranker.dense([papers[i] for i in pool]).vectors
    return [papers[pool[i]] for i in _diverse(closeness[pool], vectors, count)]


def _diverse(value: np.ndarray, vectors: np.ndarray, count: int) -> list[int]:
    """Greedy maximal marginal relevance: value minus DIVERSITY x the nearest chosen one."""
    chosen = [0]
    nearest = vectors @ vectors[0]
    while len(chosen) < min(count, len(value)):
        gain = value - DIVERSITY * nearest
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        nearest = np.maximum(nearest, vectors @ vectors[best])
    return chosen
