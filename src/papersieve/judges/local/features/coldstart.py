"""The cold-start scorer: how well a paper matches the profile's own words, before any label.

Key phrases of the topics text count for (relevant) or against (irrelevant, application) a paper,
a phrase in the title more than in the abstract; a TF-IDF similarity between the paper and each
topic's relevant description adds a smooth part so that papers without any key phrase still rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from papersieve.judges.local.text.topics import Term, TopicTerms
from papersieve.judges.local.text.words import stems

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


@dataclass(frozen=True)
class _Matcher:
    """The topics' phrases ready to match: one-word phrases by set lookup, the rest by substring."""

    terms: tuple[Term, ...]
    single: dict[str, tuple[int, ...]]
    """A one-word phrase -> the indices of the terms that have it."""
    multi: dict[str, tuple[tuple[int, str], ...]]
    """First word -> (term index, " phrase ") for phrases of several words ('' for none)."""


_MATCHERS: dict[int, tuple[TopicTerms, _Matcher]] = {}


def _matcher(topics: TopicTerms) -> _Matcher:
    # Keyed by identity: hashing a TopicTerms walks all its terms, once per paper otherwise.
    found = _MATCHERS.get(id(topics))
    if found is not None and found[0] is topics:
        return found[1]
    single: dict[str, list[int]] = {}
    multi: dict[str, list[tuple[int, str]]] = {}
    for i, term in enumerate(topics.terms):
        phrase = _phrase(term.phrase)
        if phrase and " " not in phrase:
            single.setdefault(phrase, []).append(i)
        else:
            multi.setdefault(phrase.split(" ")[0], []).append((i, " " + phrase + " "))
    matcher = _Matcher(topics.terms, {k: tuple(v) for k, v in single.items()},
                       {k: tuple(v) for k, v in multi.items()})
    if len(_MATCHERS) > 16:
        _MATCHERS.clear()
    _MATCHERS[id(topics)] = (topics, matcher)
    return matcher


def _field_hits(matcher: _Matcher, content: list[str]) -> set[int]:
    # A one-word phrase is in the padded content string exactly when it is one of its words; a
    # longer one can be only when its first word is (the substring test then decides).
    present = set(content)
    hits = {i for w in present.intersection(matcher.single) for i in matcher.single[w]}
    starts = present.intersection(matcher.multi)
    if "" in matcher.multi:
        starts.add("")
    if starts:
        padded = " " + " ".join(content) + " "
        hits.update(i for w in starts for i, phrase in matcher.multi[w] if phrase in padded)
    return hits


def score_stems(title: list[str], abstract: list[str], topics: TopicTerms) -> ColdScore:
    """Weighted key-phrase matches of one paper given its title's and abstract's stems."""
    matcher = _matcher(topics)
    in_title = _field_hits(matcher, [w for w in title if w not in _STOP])
    in_abstract = _field_hits(matcher, [w for w in abstract if w not in _STOP])
    matches: list[Match] = []
    total = 0.0
    for i in sorted(in_title | in_abstract):
        term = matcher.terms[i]
        weight = (TITLE_WEIGHT if i in in_title else 0.0) + (ABSTRACT_WEIGHT if i in in_abstract else 0.0)
        signed = weight * KIND_WEIGHT[term.kind]
        matches.append(Match(term, signed))
        total += signed
    return ColdScore(total, tuple(matches))


def score_text(title: str, abstract: str, topics: TopicTerms) -> ColdScore:
    """Weighted key-phrase matches of one paper (each phrase counted once per field)."""
    return score_stems(stems(title), stems(abstract), topics)


def score_papers(texts: Sequence[tuple[str, str]], topics: TopicTerms) -> list[ColdScore]:
    """`score_text` for many (title, abstract) pairs."""
    return [score_text(title, abstract, topics) for title, abstract in texts]
