"""A profile's library and feedback as training papers: recency weights, stand-in negatives.

Recency: zotero-arxiv-daily (TideDra/zotero-arxiv-daily, `recommender.rerank_paper`) sorts the
Zotero corpus newest addition first and weighs the i-th paper (0-based) by 1 / (1 + log10(i + 1)),
so that what a researcher saved lately counts most while her whole library still counts. The same
weights here multiply a library paper's weight as a positive label.

Stand-in negatives: a library (or a few likes) alone has no negative label, and a classifier needs
two classes. As arxiv-sanity-lite does for a tag, the papers the user did not mark are taken as
its negatives: the newest stored candidates, each weighing `BACKGROUND_WEIGHT`.
"""

from __future__ import annotations

import hashlib

import numpy as np

from papersieve.models import Paper
from papersieve.store.db import Store
from papersieve.store.library import library_examples
from papersieve.store.papers import get_papers

LIBRARY_PREFIX = "library:"
"""Id prefix of a library paper the store does not hold (never an arXiv id)."""
MAX_LIBRARY = 2000
"""Newest library papers trained on: every retraining refits them (a 30,000-entry export would
make each one refit 30,000 papers), and past the 2,000th the recency weight is below 0.25."""
BACKGROUND_PAPERS = 1000
"""Newest stored papers taken as stand-in negatives when there is no negative label."""
BACKGROUND_WEIGHT = 0.3
"""Weight of one stand-in negative (class weights are balanced anyway; these are uncertain)."""


def recency_weights(count: int) -> np.ndarray:
    """zotero-arxiv-daily's time decay: 1 / (1 + log10(rank + 1)), the newest (rank 0) 1.0."""
    weights: np.ndarray = 1.0 / (1.0 + np.log10(np.arange(count) + 1.0))
    return weights


def library_papers(store: Store, profile: str) -> list[tuple[Paper, float]]:
    """The profile's library as (paper, recency weight), newest first: the stored paper when the
    store holds its arXiv id, else a paper made of the entry's own title and abstract."""
    examples = library_examples(store, profile)[:MAX_LIBRARY]
    stored = get_papers(store, [e.paper_id for e in examples if e.paper_id])
    weights = recency_weights(len(examples))
    out = []
    for example, weight in zip(examples, weights, strict=True):
        paper = stored.get(example.paper_id) or Paper(
            id=library_id(example.key), title=example.title, abstract=example.abstract,
            authors=())
        out.append((paper, float(weight)))
    return out


def library_id(key: str) -> str:
    """The id of a library paper the store may not hold: stable per key, never an arXiv id."""
    return LIBRARY_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def background_papers(store: Store, exclude: set[str]) -> list[Paper]:
    """The newest stored papers (by first listing) not in `exclude`: stand-in negatives."""
    rows = store.conn.execute(
        "SELECT id FROM papers ORDER BY first_listed DESC, pk DESC LIMIT ?",
        (BACKGROUND_PAPERS + len(exclude),)).fetchall()
    ids = [str(r[0]) for r in rows if str(r[0]) not in exclude][:BACKGROUND_PAPERS]
    found = get_papers(store, ids)
    return [found[i] for i in ids if i in found]
