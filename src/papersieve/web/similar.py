"""Similar papers: the stored papers nearest to one paper in the local judge's semantic space.

Each paper's title and abstract become a unit vector of the shipped LSA space
(judges/local/features/semantic.py), computed once and kept in the store's `paper_vectors`
(float16). A process holds them as one float32 matrix, reads only the rows added since, and finds
neighbours with one matrix-vector product and a partial sort: ~5 ms on 100k papers
(bench/similar_papers.py, figures in bench/RESULTS.md).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from papersieve.judges.local.features import semantic
from papersieve.judges.local.features.cache import vector_kind
from papersieve.models import Paper
from papersieve.store import open_store
from papersieve.store.db import Store

BATCH = 2_000
"""Papers embedded and written per transaction while vectors are filled in."""


@dataclass
class _Index:
    """The vectors of one store, in memory: row i is the paper with primary key pks[i]."""

    pks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, semantic.DIMENSIONS), np.float32))
    last_id: int = 0
    count: int = 0
    row_of: dict[int, int] = field(default_factory=dict)


_INDEXES: dict[Path, _Index] = {}
_LOCK = threading.Lock()


def fill_vectors(store: Store, limit: int | None = None) -> int:
    """Compute and store the vector of every paper that has none (at most `limit`); returns how
    many were written. Vectors of another space (a new shipped space) are dropped first."""
    space = vector_kind(semantic.ML_SPACE)  # the vectors are the LSA space's (load_space below)
    conn = store.conn
    if conn.execute("SELECT 1 FROM paper_vectors WHERE space != ? LIMIT 1", (space,)).fetchone():
        with store.transaction():
            conn.execute("DELETE FROM paper_vectors")
    written = 0
    while limit is None or written < limit:
        size = BATCH if limit is None else min(BATCH, limit - written)
        rows = conn.execute(
            "SELECT p.pk, p.id, p.title, p.abstract FROM papers p"
            " WHERE NOT EXISTS (SELECT 1 FROM paper_vectors v WHERE v.paper_pk = p.pk)"
            " ORDER BY p.pk LIMIT ?", (size,)).fetchall()
        if not rows:
            break
        papers = [Paper(str(r[1]), str(r[2]), str(r[3]), (), ()) for r in rows]
        vectors = semantic.load_space().embed([f"{p.title}. {p.abstract}" for p in papers])
        with store.transaction():
            conn.executemany(
                "INSERT OR REPLACE INTO paper_vectors (paper_pk, space, vector) VALUES (?, ?, ?)",
                [(int(r[0]), space, v.astype("<f2").tobytes()) for r, v in zip(rows, vectors, strict=True)])
        written += len(rows)
    return written


def _refresh(conn: sqlite3.Connection, index: _Index) -> _Index:
    """The index with the rows added since it was read (read whole again after a deletion)."""
    count, last = conn.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM paper_vectors").fetchone()
    if (count, last) == (index.count, index.last_id):
        return index
    sql = "SELECT paper_pk, vector FROM paper_vectors WHERE id > ? ORDER BY id"
    rows = conn.execute(sql, (index.last_id,)).fetchall()
    if index.count + len(rows) != count:  # rows were deleted or replaced: read them all again
        index = _Index()
        rows = conn.execute(sql, (0,)).fetchall()
    if rows:
        added = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f2").reshape(len(rows), -1)
        pks = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        start = len(index.pks)
        index.pks = np.concatenate([index.pks, pks])
        index.matrix = np.vstack([index.matrix, added.astype(np.float32)])
        index.row_of.update((int(pk), start + i) for i, pk in enumerate(pks))
    index.count, index.last_id = int(count), int(last)
    return index


def similar_pks(conn: sqlite3.Connection, path: Path, paper_pk: int, k: int = 10) -> list[tuple[int, float]]:
    """The `k` stored papers nearest to paper `paper_pk`, best first, as (pk, cosine similarity);
    [] when the paper has no vector (no known word in its text)."""
    with _LOCK:
        index = _refresh(conn, _INDEXES.get(path, _Index()))
        _INDEXES[path] = index
    row = index.row_of.get(paper_pk)
    if row is None or len(index.pks) < 2:
        return []
    query = index.matrix[row]
    if not query.any():
        return []
    scores = index.matrix @ query
    scores[row] = -np.inf
    take = min(k, len(scores) - 1)
    best = np.argpartition(-scores, take - 1)[:take]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(index.pks[i]), float(scores[i])) for i in best if np.isfinite(scores[i]) and scores[i] > 0]


def nearest(store: Store, read_only: bool, paper_id: str, k: int = 10) -> list[tuple[str, float]]:
    """The ids of the `k` stored papers nearest to `paper_id`, best first, with their cosine
    similarity. Papers without a vector get one first (on a connection of its own: a page's
    statements have a budget, web/guard.py), unless the store is read-only."""
    row = store.conn.execute("SELECT pk FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if row is None:
        return []
    with open_store(store.path, read_only=read_only) as own:
        # Two indexed look-ups, not counts of 100k rows: papers stored since the last fill, or
        # this paper's own vector dropped (its text changed); fill_vectors then fills every gap.
        missing = own.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM papers WHERE pk > (SELECT COALESCE(MAX(paper_pk), 0)"
            " FROM paper_vectors)) OR NOT EXISTS (SELECT 1 FROM paper_vectors WHERE paper_pk = ?)",
            (int(row[0]),)).fetchone()[0]
        if missing and not read_only:
            fill_vectors(own)
        found = similar_pks(own.conn, Path(store.path), int(row[0]), k)
        if not found:
            return []
        marks = ",".join("?" * len(found))
        ids = dict(own.conn.execute(f"SELECT pk, id FROM papers WHERE pk IN ({marks})",
                                    [pk for pk, _ in found]))
    return [(str(ids[pk]), score) for pk, score in found if pk in ids]


def forget(path: Path) -> None:
    """Drop a store's vectors from memory (tests, a replaced store file)."""
    with _LOCK:
        _INDEXES.pop(path, None)
