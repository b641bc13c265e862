"""The local judge's features of its training papers, kept in the store (`local_features`).

Retraining follows every `llm` or `hybrid` day, usually in a new process, and used to recompute
the cold-start components, hashed n-grams and semantic vectors of every paper of its label
window (~24,000 papers after a year, most of its time). Rows are keyed by paper and feature
set and checked against what they were computed from (title, abstract, categories; the
topics text for the cold-start components; the semantic space), so anything changed is
recomputed, never trusted. Cold-start components come back as numbers only, without the
matched phrases: they feed training, never an explanation. Rows of papers first listed well
before the label window are dropped as the window moves on.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from papersieve.judges.local.features import paper as features
from papersieve.judges.local.features import semantic
from papersieve.judges.local.features.paper import ColdFeatures
from papersieve.models import Paper
from papersieve.store.db import Store

NGRAMS = "ngrams/1"
KEEP_BEFORE_WINDOW_DAYS = 30
"""Rows of papers first listed this many days before the oldest label day still kept."""


def content_hash(paper: Paper) -> str:
    """What every feature of a paper is computed from."""
    return _digest(paper.title, paper.abstract, tuple(paper.categories), paper.primary_category)


@lru_cache(maxsize=100_000)
def _digest(title: str, abstract: str, categories: tuple[str, ...], primary: str | None) -> str:
    payload = json.dumps([title, abstract, list(categories), primary], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=4)
def vector_kind(space: str) -> str:
    """The semantic vectors' feature set, named after the space they live in."""
    return "vector/" + hashlib.sha256(semantic.space_named(space).fingerprint()).hexdigest()[:12]


def cold_kind(topics_text: str, field: str = "") -> str:
    """The cold-start components' feature set for one topics text and field word lists."""
    key = topics_text if not field else f"{topics_text}\0{field}"
    return "cold/1/" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _encode_ngrams(row: tuple[np.ndarray, np.ndarray]) -> bytes:
    columns, counts = row  # counts of one n-gram in one abstract: far below 65,536
    raw = np.asarray(columns, dtype="<i4").tobytes() + np.asarray(counts, dtype="<u2").tobytes()
    return zlib.compress(raw)


def _decode_ngrams(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    raw = zlib.decompress(blob)
    n = len(raw) // 6
    columns = np.frombuffer(raw[: 4 * n], dtype="<i4").astype(np.int32)
    return columns, np.frombuffer(raw[4 * n :], dtype="<u2").astype(np.float64)


def load_cached(store: Store, papers: Sequence[Paper], topics_text: str,
                field: str = "", space: str = semantic.JOINT) -> dict[str, ColdFeatures]:
    """Put the stored n-gram rows and vectors of `papers` into the process's caches; return the
    stored cold-start components by paper id (all only where still valid)."""
    expected = {p.id: content_hash(p) for p in papers}
    by_id = {p.id: p for p in papers}
    kinds = {NGRAMS, vector_kind(space), cold_kind(topics_text, field)}
    ngram_rows: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}
    vectors: dict[tuple[str, str], np.ndarray] = {}
    colds: dict[str, ColdFeatures] = {}
    ids = list(expected)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.conn.execute(
            f"SELECT paper_id, kind, content_hash, data FROM local_features WHERE paper_id IN ({marks})",
            chunk)
        for paper_id, kind, digest, data in rows:
            if kind not in kinds or expected[paper_id] != digest:
                continue
            paper = by_id[paper_id]
            if kind == NGRAMS:
                ngram_rows[features.text_key(paper)] = _decode_ngrams(data)
            elif kind.startswith("vector/"):
                vectors[(paper.title, paper.abstract)] = np.frombuffer(data, dtype="<f4").copy()
            else:
                part = [float(x) for x in np.frombuffer(data, dtype="<f8")]
                colds[paper_id] = ColdFeatures(phrases=part[0], application=part[1], theory=part[2],
                                               category=part[3], matches=(), application_hits=())
    features.remember_rows(ngram_rows)
    semantic.remember_vectors(vectors, space)
    return colds


def save_cached(store: Store, papers: Sequence[Paper], colds: Sequence[ColdFeatures],
                topics_text: str, oldest_label_day: str | None, field: str = "",
                space: str = semantic.JOINT) -> int:
    """Store the features of `papers` the store lacks or holds stale (computing those not in
    the process's caches yet) and drop rows of papers first listed long before
    `oldest_label_day`; returns the rows written."""
    kinds = (NGRAMS, vector_kind(space), cold_kind(topics_text, field))
    present = {(r[0], r[1]): r[2] for r in store.conn.execute(
        "SELECT paper_id, kind, content_hash FROM local_features")}
    digests = [content_hash(p) for p in papers]
    stale = [i for i, p in enumerate(papers)
             if any(present.get((p.id, kind)) != digests[i] for kind in kinds)]
    # Computed before the write lock is taken: a first fill computes thousands of papers.
    chosen = [papers[i] for i in stale]
    rows, vectors = features.cached_rows(chosen), semantic.paper_vectors(chosen, space)
    writes: list[tuple[str, str, str, bytes]] = []
    for j, i in enumerate(stale):
        cold = colds[i]
        blobs = (_encode_ngrams(rows[j]), np.asarray(vectors[j], dtype="<f4").tobytes(),
                 np.array([cold.phrases, cold.application, cold.theory, cold.category],
                          dtype="<f8").tobytes())
        writes.extend((papers[i].id, kind, digests[i], blob)
                      for kind, blob in zip(kinds, blobs, strict=True)
                      if present.get((papers[i].id, kind)) != digests[i])
    with store.transaction() as conn:
        if oldest_label_day:
            conn.execute(
                "DELETE FROM local_features WHERE paper_id IN (SELECT id FROM papers WHERE"
                " first_listed < date(?, ?))", (oldest_label_day, f"-{KEEP_BEFORE_WINDOW_DAYS} days"))
        conn.executemany("INSERT OR REPLACE INTO local_features (paper_id, kind, content_hash, data)"
                         " VALUES (?, ?, ?, ?)", writes)
    return len(writes)
