"""A day ranked by one collection: the local judge's learned model trained on the collection.

As arxiv-sanity-lite ranks by a tag, and as the local judge learns from likes: the collection's
papers are the positives, the newest stored papers (`library.background_papers`, the stand-in
negatives the judge takes when a profile has only likes) the negatives, fitted by the judge's own
`train_text_model` (TF-IDF over hashed n-grams and the title model; the dense model is left out:
its rows carry the profile's topic similarities, which are not the collection's, and it needs 20
positives). A trained model is kept in memory per collection and retrained only when the
collection's papers change, and in the store's `collection_models` so that a restarted app reads
it instead of training (and importing scikit-learn) again. Each ranked paper gets a
reason as the local judge's comments give one: the words that raised its score most, and the
paper of the collection nearest in meaning when it is among the day's closest.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from papersieve.judges.local.features.paper import TOKEN_PATTERN, hashed_columns, paper_text
from papersieve.judges.local.features.semantic import JOINT, paper_vectors
from papersieve.judges.local.model.learned import TextModel, train_text_model
from papersieve.judges.local.model.library import BACKGROUND_WEIGHT, background_papers
from papersieve.judges.local.text.words import ngram_analyzer
from papersieve.models import Paper
from papersieve.store import open_store
from papersieve.store.db import Store, utcnow
from papersieve.store.papers import get_papers
from papersieve.web.collections import Collection
from papersieve.web.queries import Item

MAX_WORDS = 3
"""Words named in a reason."""
NEAR_SHARE = 0.1
"""Share of a day's papers whose nearest paper of the collection is named in their reason."""
CACHED = 64
"""Trained collection models kept in memory (least recently used dropped first)."""


@dataclass(frozen=True)
class Ranked:
    """A candidate ranked by a collection: the model's score (standardised) and the reason."""

    item: Item
    score: float
    reason: str


@dataclass(frozen=True)
class _Trained:
    key: str
    model: TextModel


_MODELS: OrderedDict[tuple[Path, int], _Trained] = OrderedDict()
_LOCK = threading.Lock()
trainings = 0
"""Models fitted by this process so far (what a test reads to see the cache at work)."""


def fingerprint(members: Sequence[Paper]) -> str:
    """What a collection's model depends on: its papers, as they read now."""
    text = "|".join(sorted(f"{p.id}:{p.content_hash}" for p in members))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def train(store: Store, members: Sequence[Paper]) -> TextModel | None:
    """The local judge's learned model with the collection's papers as positives and the newest
    other stored papers as negatives (None when the store holds no other paper)."""
    negatives = background_papers(store, {p.id for p in members})
    if not members or not negatives:
        return None
    papers = [*members, *negatives]
    targets = [1] * len(members) + [0] * len(negatives)
    weights = [1.0] * len(members) + [BACKGROUND_WEIGHT] * len(negatives)
    return train_text_model(papers, targets, weights)


def model_for(store: Store, read_only: bool, collection: Collection,
              members: Sequence[str]) -> tuple[TextModel | None, list[Paper]]:
    """The collection's model and its papers: from memory, else from the store's
    `collection_models`, else trained now (and kept in both) - each only while the collection's
    papers are those it was trained on. The store is read on a connection of its own: a page's
    statements have a budget (web/guard.py), and training reads a thousand papers."""
    slot = (Path(store.path), collection.id)
    with open_store(store.path, read_only=read_only) as own:
        found = get_papers(own, members)
        papers = [found[p] for p in members if p in found]
        key = fingerprint(papers)
        with _LOCK:
            cached = _MODELS.get(slot)
            if cached is None or cached.key != key:
                model = _stored(own, collection.id, key) or _train_and_keep(own, read_only, collection.id,
                                                                          key, papers)
                if model is None:
                    return None, papers
                cached = _MODELS[slot] = _Trained(key, model)
                while len(_MODELS) > CACHED:
                    _MODELS.popitem(last=False)
            _MODELS.move_to_end(slot)
    return cached.model, papers


def _stored(store: Store, collection_id: int, key: str) -> TextModel | None:
    row = store.conn.execute("SELECT blob FROM collection_models WHERE collection_id = ?"
                             " AND fingerprint = ?", (collection_id, key)).fetchone()
    return TextModel.from_bytes(bytes(row[0])) if row is not None else None


def _train_and_keep(store: Store, read_only: bool, collection_id: int, key: str,
                    papers: Sequence[Paper]) -> TextModel | None:
    global trainings
    trainings += 1
    model = train(store, papers)
    if model is not None and not read_only:
        with store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO collection_models (collection_id, fingerprint, blob,"
                         " created_at) VALUES (?, ?, ?, ?)", (collection_id, key, model.to_bytes(), utcnow()))
    return model


def rank(store: Store, read_only: bool, collection: Collection, members: Sequence[str],
         candidates: Sequence[Item], limit: int) -> list[Ranked]:
    """The best `limit` candidates that are not in the collection, by its model, with reasons."""
    model, own = model_for(store, read_only, collection, members)
    inside = set(members)
    ids = [i.paper_id for i in candidates if i.paper_id not in inside]
    found = get_papers(store, ids)
    papers = [found[p] for p in ids if p in found]
    if model is None or not papers:
        return []
    scores = model.decision(papers)
    near = resembles(papers, own)
    best = sorted(range(len(papers)), key=lambda i: (-scores[i], papers[i].id))[:limit]
    shown = [papers[i] for i in best]
    reasons = [sentence(words, near[i]) for words, i in zip(top_words(model, shown), best, strict=True)]
    by_id = {i.paper_id: i for i in candidates}
    return [Ranked(by_id[papers[i].id], float(scores[i]), reason)
            for i, reason in zip(best, reasons, strict=True)]


def top_words(model: TextModel, papers: Sequence[Paper]) -> list[list[str]]:
    """Each paper's words (uni- and bigrams) that raised its score most under `model`."""
    rows = model.weigh(papers)
    analyze = ngram_analyzer(TOKEN_PATTERN)
    out = []
    for i, paper in enumerate(papers):
        row = rows[i]
        gain = row.data * model.coef[row.indices]
        tokens = analyze(paper_text(paper))
        names: dict[int, str] = {}
        for column, token in zip(hashed_columns(tokens).tolist(), tokens, strict=True):
            if not token.startswith("cat_"):  # the category token the model also reads
                names.setdefault(int(column), token)
        best = [int(row.indices[j]) for j in np.argsort(-gain, kind="stable") if gain[j] > 0]
        out.append(_distinct([names[c] for c in best if c in names]))
    return out


def _distinct(phrases: Sequence[str]) -> list[str]:
    """The first MAX_WORDS phrases that add a word: "rank" after "low rank" says nothing new."""
    chosen: list[str] = []
    said: set[str] = set()
    for phrase in phrases:
        words = set(phrase.split())
        if not words <= said:
            chosen.append(phrase)
            said |= words
        if len(chosen) == MAX_WORDS:
            break
    return chosen


def resembles(papers: Sequence[Paper], members: Sequence[Paper]) -> list[Paper | None]:
    """For each paper, the collection's paper nearest in meaning (the local judge's joint semantic
    space) when it is nearer than for `1 - NEAR_SHARE` of `papers` (the day), else None: in that
    space any two ML papers sit at 0.4-0.6, so only a day's closest are worth naming."""
    if not members or not papers:
        return [None] * len(papers)
    sims = paper_vectors(papers, JOINT) @ paper_vectors(members, JOINT).T
    best = sims.argmax(axis=1)
    nearest = sims[np.arange(len(papers)), best]
    cut = float(np.quantile(nearest, 1 - NEAR_SHARE))
    return [members[int(b)] if nearest[i] >= cut and nearest[i] > 0 else None
            for i, b in enumerate(best)]


def sentence(words: Sequence[str], near: Paper | None) -> str:
    """The reason, as the local judge words its comments: what matched, what it resembles."""
    parts = []
    if words:
        parts.append("Matches this collection's words " + ", ".join(f'"{w}"' for w in words))
    if near is not None:
        parts.append(("resembles " if parts else "Resembles ") + f'"{near.title}", filed here')
    return "; ".join(parts) + "." if parts else "Shares no word that marks this collection."


def forget() -> None:
    """Drop every trained model from memory (tests, a replaced store file)."""
    with _LOCK:
        _MODELS.clear()
