"""Relevance 1-10 that means something on its own: a day with nothing on the profile's topics has
no paper at 8 or more.

The local score orders a day; where the order is cut comes from two things. The share of papers
that reach 8 is the LLM's own pick rate (learned from its stored verdicts, `DEFAULT_PICK_RATE`
before any), widened by `PICK_SHARE_FACTOR` because a pick rate's worth of the top holds fewer
of the LLM's picks than the share it keeps (F1 at the cutoff is highest a little wider). And no
paper may reach 8 without absolute evidence that it is on topic: a key phrase of the topics text
in its title or abstract, or, once the judge has learned from at least `MIN_LEARNED_PICKS` picks
or likes, a similarity in meaning of at least `MIN_SIMILARITY` to one of the topics. The
similarity alone is no evidence before that: the shipped semantic space was built from machine
learning papers, and a profile about coral reefs sits at 0.3-0.6 from ordinary ML papers in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from papersieve.judges.local.features.dense import profile_vectors
from papersieve.judges.local.features.paper import ColdFeatures
from papersieve.judges.local.features.semantic import paper_vectors
from papersieve.judges.local.model.scoring import relevance_scale
from papersieve.judges.local.text.topics import TopicTerms
from papersieve.models import Paper

PICK_SHARE_FACTOR = 1.3
"""The share scaled to 8-10 is the LLM's pick rate times this (chosen on the 25 labelled days:
mean F1 at the cutoff after 5 days 0.502 at 1.0, 0.531 at 1.0 x 0.10, 0.536 at 1.2-1.4)."""
MIN_SIMILARITY = 0.3
"""Least cosine to a topic line in the semantic space that counts as evidence (with history)."""
MIN_LEARNED_PICKS = 20
"""Positive labels (a like counting as several picks) before similarity alone counts."""
OFF_TOPIC_CEILING = 5.0
"""Highest relevance of a paper without evidence: below the 6-7 band of near misses."""


@dataclass(frozen=True)
class Evidence:
    """What says, on an absolute scale, that a paper is about one of the profile's topics."""

    phrases: np.ndarray
    """Weight of the profile's relevant key phrases found (2 in the title, 1 in the abstract)."""
    similarity: np.ndarray
    """Best cosine to a topic line or a relevant keyword in the semantic space."""


def topic_evidence(papers: Sequence[Paper], colds: Sequence[ColdFeatures],
                   topics: TopicTerms, space: str) -> Evidence:
    """The evidence of each paper in the ranker's semantic space (vectors cached per paper text
    by `paper_vectors`)."""
    phrases = np.array([sum(m.weight for m in c.matches if m.weight > 0) for c in colds],
                       dtype=float)
    lines = profile_vectors(topics, space)
    vectors = paper_vectors(papers, space)
    similarity = np.zeros(len(papers))
    for rows in (lines.topics, lines.relevant):
        if len(rows) and len(papers):
            similarity = np.maximum(similarity, (vectors @ rows.T).max(axis=1))
    return Evidence(phrases, similarity)


def on_topic(evidence: Evidence, learned_picks: int) -> np.ndarray:
    """True where a paper may be picked."""
    matched = evidence.phrases > 0
    if learned_picks < MIN_LEARNED_PICKS:
        return matched
    result: np.ndarray = matched | (evidence.similarity >= MIN_SIMILARITY)
    return result


def calibrated(scores: np.ndarray, reference: np.ndarray, pick_rate: float,
               allowed: np.ndarray) -> np.ndarray:
    """Relevance 1-10: the day's order cut at the widened pick rate, off-topic papers capped."""
    scaled = relevance_scale(scores, reference, pick_rate * PICK_SHARE_FACTOR)
    result: np.ndarray = np.where(allowed, scaled, np.minimum(scaled, OFF_TOPIC_CEILING))
    return result
