"""Whether a paper's primary category is one of the profile's own, or it was cross-listed in.

A researcher subscribes to categories; a paper whose authors filed it under one of them is, on
real labels, more often wanted than one cross-listed from elsewhere: on the 25 labelled ML days
(the LLM's picks, not a category rule) this indicator alone ranks at AUC 0.616. It is a prior
from the profile's categories, not from any one field (issue 25).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from papersieve.models import Paper

ALIASES = {"cs.NA": "math.NA", "cs.SY": "eess.SY", "cs.IT": "math.IT", "math-ph": "math.MP",
           "stat.TH": "math.ST", "econ.GN": "q-fin.EC"}
"""arXiv's category aliases (one subject under two names), to the name used here."""


def _canonical(category: str) -> str:
    return ALIASES.get(category, category)


def is_listed(primary: str, categories: Sequence[str]) -> bool:
    """True when `primary` is one of `categories` or lies in one of them given as an archive
    ("q-bio" holds "q-bio.QM")."""
    primary = _canonical(primary)
    return any(primary == c or primary.startswith(c + ".") for c in map(_canonical, categories))


@lru_cache(maxsize=65_536)
def _listed(primary: str, categories: tuple[str, ...]) -> float:
    return 1.0 if is_listed(primary, categories) else 0.0


def listed_primary(papers: Sequence[Paper], categories: Sequence[str]) -> np.ndarray:
    """1.0 for each paper whose primary category is one of `categories`, else 0.0 (a group's
    profiles ask about the same few primaries and category lists: answered once each)."""
    wanted = tuple(categories)
    return np.array([_listed(p.primary_category or "", wanted) for p in papers])
