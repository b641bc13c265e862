"""The cold-start scorer: how well a paper matches the profile's own words, before any label.

Key phrases of the topics text count for (relevant) or against (irrelevant, application) a paper,
a phrase in the title more than in the abstract; a TF-IDF similarity between the paper and each
topic's relevant description adds a smooth part so that papers without any key phrase still rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from papersieve.judges.local.text import stem_text
from papersieve.judges.local.topics import Term, TopicTerms

KIND_WEIGHT = {"relevant": 1.0, "irrelevant": -1.0, "application": -1.0}
TITLE_WEIGHT = 2.0
ABSTRACT_WEIGHT = 1.0
_STOP = frozenset({"a", "an", "and", "or", "the", "of", "for", "to", "in", "on", "with", "by",
                   "as", "at", "from", "into", "via"})


@dataclass(frozen=True)
class Match:
    """One key phrase found in a paper, with its contribution to the score."""

    term: Term
    weight: float


@dataclass(frozen=True)
class ColdScore:
    """The cold-start score of one paper and the phrases that drove it."""

    score: float
    matches: tuple[Match, ...]


def _content(stemmed: str) -> str:
    return " " + " ".join(w for w in stemmed.split() if w not in _STOP) + " "


@lru_cache(maxsize=4096)
def _phrase(stemmed: str) -> str:
    return _content(stemmed).strip()


def _count(haystack: str, phrase: str) -> int:
    return haystack.count(" " + phrase + " ")


def score_text(title: str, abstract: str, topics: TopicTerms) -> ColdScore:
    """Weighted key-phrase matches of one paper (each phrase counted once per field)."""
    t = _content(stem_text(title))
    a = _content(stem_text(abstract))
    matches: list[Match] = []
    total = 0.0
    for term in topics.terms:
        phrase = _phrase(term.phrase)
        weight = 0.0
        if _count(t, phrase):
            weight += TITLE_WEIGHT
        if _count(a, phrase):
            weight += ABSTRACT_WEIGHT
        if weight:
            signed = weight * KIND_WEIGHT[term.kind]
            matches.append(Match(term, signed))
            total += signed
    return ColdScore(total, tuple(matches))


def score_papers(texts: Sequence[tuple[str, str]], topics: TopicTerms) -> list[ColdScore]:
    """`score_text` for many (title, abstract) pairs."""
    return [score_text(title, abstract, topics) for title, abstract in texts]
