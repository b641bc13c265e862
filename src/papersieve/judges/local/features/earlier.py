"""The papers a no-history prior self-trains on besides the batch's own (`model.scoring.pooled_prior`):
those first listed on the listing days the store holds before the batch's, and the papers the
profile's user liked or disliked."""

from __future__ import annotations

from collections.abc import Sequence

from papersieve.models import Paper
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_labels
from papersieve.store.papers import get_papers

_CHUNK = 500
"""Ids per `IN (...)` query."""


def _newest_listing(store: Store, ids: Sequence[str]) -> str | None:
    newest: str | None = None
    for start in range(0, len(ids), _CHUNK):
        part = ids[start:start + _CHUNK]
        row = store.conn.execute(
            f"SELECT MAX(first_listed) FROM papers WHERE id IN ({','.join('?' * len(part))})",
            tuple(part)).fetchone()
        if row is not None and row[0] is not None and (newest is None or str(row[0]) > newest):
            newest = str(row[0])
    return newest


def earlier_days(store: Store, papers: Sequence[Paper], days: int) -> list[list[Paper]]:
    """The papers first listed on each of the `days` listing days before the newest listing day
    of `papers` (oldest day first; none when the store does not know when they were listed)."""
    newest = _newest_listing(store, [p.id for p in papers]) if days > 0 else None
    if newest is None:
        return []
    dates = [str(r[0]) for r in store.conn.execute(
        "SELECT DISTINCT first_listed FROM papers WHERE first_listed IS NOT NULL"
        " AND first_listed < ? ORDER BY first_listed DESC LIMIT ?", (newest, days))]
    out = []
    for date in sorted(dates):
        ids = [str(r[0]) for r in store.conn.execute(
            "SELECT id FROM papers WHERE first_listed = ? ORDER BY pk", (date,))]
        found = get_papers(store, ids)
        out.append([found[i] for i in ids if i in found])
    return out


def answered(store: Store, profile: str) -> tuple[dict[str, int], dict[str, Paper]]:
    """The profile's current likes (+1) and dislikes (-1), and those of their papers the store holds."""
    labels = {k: (1 if v > 0 else -1) for k, v in feedback_labels(store, profile).items()}
    return labels, get_papers(store, labels)
