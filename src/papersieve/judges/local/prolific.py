"""How prolific a paper's authors are: counts of their papers among the papers seen so far.

The LLM's picks skew towards established authors (the labels' own pipeline dropped papers whose
authors all had a Semantic Scholar h-index below 20), and an author's number of papers among
the candidates already seen is a proxy for that which needs no network. A learned model keeps
the counts of its training papers as two arrays (hashed names, counts); a batch being scored
adds its own papers' counts, so an author who appears twice in a day counts twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from papersieve.authors import normalise_name
from papersieve.models import Paper

N_COLUMNS = 3
"""log(1 + count) of the most and the second most prolific author, log(1 + number of authors)."""


@lru_cache(maxsize=200_000)
def _key(name: str) -> int:
    import mmh3

    return int(mmh3.hash(normalise_name(name)))


def author_keys(paper: Paper) -> np.ndarray:
    """The distinct hashed (normalised) names of the paper's authors."""
    return np.unique(np.fromiter((_key(a) for a in paper.authors), dtype=np.int32,
                                 count=len(paper.authors)))


def count_authors(papers: Sequence[Paper]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted hashed names and, for each, the number of `papers` it signs."""
    keys = [author_keys(p) for p in papers]
    if not keys:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    names, counts = np.unique(np.concatenate(keys), return_counts=True)
    return names, counts.astype(np.int32)


def _lookup(names: np.ndarray, counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if not len(names):
        return np.zeros(len(keys), dtype=np.int32)
    where = np.minimum(np.searchsorted(names, keys), len(names) - 1)
    found: np.ndarray = np.where(names[where] == keys, counts[where], 0)
    return found


def author_features(papers: Sequence[Paper], names: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """One row of `N_COLUMNS` per paper: counts over the known papers (`names`, `counts`) plus
    the batch itself."""
    keys = [author_keys(p) for p in papers]
    batch_names, batch_counts = count_authors(papers)
    out = np.zeros((len(papers), N_COLUMNS))
    for i, mine in enumerate(keys):
        total = np.sort(_lookup(names, counts, mine) + _lookup(batch_names, batch_counts, mine))
        out[i, 0] = total[-1] if len(total) else 0
        out[i, 1] = total[-2] if len(total) > 1 else 0
        out[i, 2] = len(papers[i].authors)
    result: np.ndarray = np.log1p(out)
    return result
