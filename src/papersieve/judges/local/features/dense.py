"""Dense features of the local judge: a paper's place in the semantic space and the profile's.

The profile's lines (each topic's name with its "Relevant" description, the relevant keywords,
the irrelevant and application keywords) are embedded in the shipped semantic space
(`semantic.space_named`: the field's); a paper's semantic score is its best similarity to a relevant line
minus its best similarity to an irrelevant or application line. The learned model reads the
paper's vector, the cold-start components and these similarities side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from papersieve.judges.local.features.paper import ColdFeatures
from papersieve.judges.local.features.semantic import JOINT, paper_vectors, space_named
from papersieve.judges.local.features.unit import unit_vectors
from papersieve.judges.local.text.topics import TopicTerms
from papersieve.models import Paper


@dataclass(frozen=True)
class ProfileVectors:
    """The profile's lines in the semantic space (rows are unit vectors, maybe none)."""

    topics: np.ndarray
    """One row per numbered topic: its name and its relevant description."""
    relevant: np.ndarray
    """Relevant keywords (and, for free text, every line)."""
    against: np.ndarray
    """Irrelevant and application keywords."""
    centre: np.ndarray
    """The unit mean of the topic and relevant-keyword rows (one row; none when both are empty)."""


@dataclass(frozen=True)
class DenseFeatures:
    """What the dense part reads from a batch of papers."""

    vectors: np.ndarray
    semantic: np.ndarray
    """The semantic score of each paper (relevant minus against)."""
    matrix: np.ndarray
    """Vector, cold-start components and similarities: the learned dense model's input."""


def _lines(topics: TopicTerms) -> tuple[list[str], list[str], list[str]]:
    described = [f"{t.name}. {t.relevant}" for t in topics.topics]
    keywords = [t.text for t in topics.terms if t.topic == "" and t.kind == "relevant"]
    against = [t.text for t in topics.terms if t.topic == "" and t.kind != "relevant"]
    if not described and not keywords:
        keywords = [t.text for t in topics.terms if t.kind == "relevant"]
    return described, keywords, against


PROFILES_KEPT = 2048
"""Profiles whose lines a process keeps embedded (a group's day judges up to ~1,000 profiles,
each asking three times; a few tens of kB each)."""


@lru_cache(maxsize=PROFILES_KEPT)
def profile_vectors(topics: TopicTerms, space_name: str = JOINT) -> ProfileVectors:
    """Embed the profile's relevant and irrelevant lines once per topics text and space."""
    space = space_named(space_name)
    described, keywords, against = _lines(topics)
    return _profile(space.embed(described), space.embed(keywords), space.embed(against))


@lru_cache(maxsize=8)
def profile_embeddings(topics: TopicTerms) -> ProfileVectors:
    """The profile's lines as sentence embeddings (the `embeddings` method)."""
    from papersieve.judges.local.features.embeddings import embed_lines

    described, keywords, against = _lines(topics)
    return _profile(embed_lines(described), embed_lines(keywords), embed_lines(against))


def _profile(topics: np.ndarray, relevant: np.ndarray, against: np.ndarray) -> ProfileVectors:
    wanted = np.vstack([topics, relevant])
    centre = unit_vectors(wanted.mean(axis=0, keepdims=True)) if len(wanted) else wanted
    return ProfileVectors(topics, relevant, against, centre)


def _best(vectors: np.ndarray, lines: np.ndarray) -> np.ndarray:
    if not len(lines) or not len(vectors):
        return np.zeros(len(vectors))
    result: np.ndarray = (vectors @ lines.T).max(axis=1)
    return result


def _similarities(vectors: np.ndarray, profile: ProfileVectors,
                  centre: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The semantic score and the four similarity columns of each paper.

    With `centre` the score is the similarity to the centre of all the profile's relevant lines,
    less the best similarity to an irrelevant one; without, the best single relevant line's (as
    before issue 25), which let a paper near one keyword outrank papers near the whole profile
    (crossfield-dev cold AUC 0.907 -> 0.911 with this change alone; bench/RESULTS.md)."""
    on_topic = _best(vectors, profile.topics)
    keyword = _best(vectors, profile.relevant)
    against = _best(vectors, profile.against)
    wanted = _best(vectors, profile.centre) if centre else np.maximum(on_topic, keyword)
    semantic = wanted - against
    mean_topic = (vectors @ profile.topics.T).mean(axis=1) if len(profile.topics) else on_topic
    return semantic, np.c_[on_topic, mean_topic, keyword, against]


def _z(values: np.ndarray) -> np.ndarray:
    spread = float(values.std()) if len(values) > 1 else 0.0
    result: np.ndarray = (values - values.mean()) / spread if spread > 0 else values - values.mean()
    return result


def dense_features(papers: Sequence[Paper], colds: Sequence[ColdFeatures],
                   topics: TopicTerms, embedded: np.ndarray | None = None,
                   space: str = JOINT, centre: bool = True) -> DenseFeatures:
    """Semantic scores and the dense model's input rows for `papers`.

    With `embedded` (one sentence embedding per paper, the `embeddings` method) those stand next
    to the LSA vectors: the semantic score is the sum of both standardised semantic scores, and
    the dense model reads both vectors and both sets of similarities. `centre`: see
    `_similarities`."""
    cold = np.array([[c.phrases, c.application, c.theory, c.category] for c in colds],
                    dtype=np.float32).reshape(len(papers), 4)
    vectors = paper_vectors(papers, space)
    semantic, similarities = _similarities(vectors, profile_vectors(topics, space), centre)
    if embedded is None:
        return DenseFeatures(vectors, semantic, np.hstack([vectors, cold, similarities]))
    semantic_e, sims_e = _similarities(embedded, profile_embeddings(topics), centre)
    both = np.hstack([vectors, embedded])
    return DenseFeatures(both, _z(semantic) + _z(semantic_e),
                         np.hstack([both, cold, similarities, sims_e]))
