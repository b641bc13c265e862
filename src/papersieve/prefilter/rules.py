"""Rules applied before judging: pinned authors and keyword include/exclude lists.

Pinned-author papers are always selected and ranked first (DESIGN.md); they are still sent to
the judge so that their scores are kept. An exclude keyword drops a paper before judging
(Outcome.FILTERED_KEYWORD) unless an include keyword or a pinned author also matches.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from papersieve.authors import normalise_name
from papersieve.models import Judgement, Outcome, Paper
from papersieve.profile import Profile

RULES_JUDGE = "rules"


@dataclass(frozen=True)
class PrefilterResult:
    """The papers to judge, the pinned ones, and the papers decided here."""

    to_judge: tuple[Paper, ...]
    pinned: Mapping[str, str]
    """Paper id -> the pinned author it matched."""
    decided: tuple[Judgement, ...] = ()
    included: frozenset[str] = frozenset()
    """Ids that matched an include keyword."""


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A case-insensitive whole-word (or whole-phrase) match of `keyword`."""
    return re.compile(r"(?<!\w)" + re.escape(keyword.strip()) + r"(?!\w)", re.IGNORECASE)


def first_keyword(paper: Paper, keywords: Iterable[str]) -> str | None:
    """The first keyword found in the title or abstract, or None."""
    if not keywords:  # most profiles have no keyword rule: no text to build per paper
        return None
    text = f"{paper.title}\n{paper.abstract}"
    for keyword in keywords:
        if keyword.strip() and keyword_pattern(keyword).search(text):
            return keyword
    return None


def pinned_author(paper: Paper, keys: Mapping[str, str]) -> str | None:
    """The pinned author (as written in authors.txt) among the paper's authors, or None."""
    if not keys:  # most profiles pin no one: no name to normalise
        return None
    for name in paper.authors:
        found = keys.get(normalise_name(name))
        if found:
            return found
    return None


def prefilter(papers: Sequence[Paper], profile: Profile) -> PrefilterResult:
    """Apply the profile's pinned authors and keyword rules to the day's candidates."""
    keys = {a.key: a.name for a in profile.pinned_authors if a.key}
    filters = profile.settings.filters
    if not keys and not filters.include_keywords and not filters.exclude_keywords:
        return PrefilterResult(tuple(papers), {})  # no rule: every paper goes to the judge
    pinned: dict[str, str] = {}
    included: set[str] = set()
    to_judge: list[Paper] = []
    decided: list[Judgement] = []
    for paper in papers:
        author = pinned_author(paper, keys)
        if author:
            pinned[paper.id] = author
        if first_keyword(paper, filters.include_keywords):
            included.add(paper.id)
        excluded = first_keyword(paper, filters.exclude_keywords)
        if excluded and not author and paper.id not in included:
            decided.append(Judgement(paper.id, Outcome.FILTERED_KEYWORD, RULES_JUDGE,
                                     detail=f"exclude keyword: {excluded}"))
        else:
            to_judge.append(paper)
    return PrefilterResult(tuple(to_judge), pinned, tuple(decided), frozenset(included))


def apply_pins(judgements: Iterable[Judgement], pinned: Mapping[str, str]) -> list[Judgement]:
    """Turn the judge's verdict on a pinned-author paper into Outcome.PINNED_AUTHOR, scores kept."""
    out = []
    for j in judgements:
        author = pinned.get(j.paper_id)
        if author is None:
            out.append(j)
            continue
        note = f"pinned author: {author}"
        detail = f"{note}; judge outcome: {j.outcome.value}" if j.outcome is not Outcome.JUDGED else note
        out.append(dataclasses.replace(j, outcome=Outcome.PINNED_AUTHOR, detail=detail))
    return out
