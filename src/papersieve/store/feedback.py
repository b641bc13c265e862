"""Feedback rows: liked (+1), disliked (-1) or withdrawn (0) papers, newest row wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from papersieve.store.db import Store, utcnow


@dataclass(frozen=True)
class FeedbackRow:
    """The current feedback on one paper."""

    paper_id: str
    label: int
    source: str
    note: str
    created_at: str
    title: str | None = None


def add_feedback(store: Store, paper_ids: Iterable[str], label: int, source: str, note: str = "") -> int:
    """Record one row per id in one transaction; returns how many."""
    now = utcnow()
    rows = [(pid, label, source, note, now) for pid in paper_ids]
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO feedback (paper_id, label, source, note, created_at) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def current_feedback(store: Store) -> list[FeedbackRow]:
    """The newest row per paper (withdrawn ones included), newest first, with stored titles."""
    rows = store.conn.execute(
        "SELECT f.paper_id, f.label, f.source, f.note, f.created_at, p.title FROM feedback f"
        " LEFT JOIN papers p ON p.id = f.paper_id"
        " WHERE f.id = (SELECT MAX(g.id) FROM feedback g WHERE g.paper_id = f.paper_id)"
        " ORDER BY f.id DESC"
    ).fetchall()
    return [FeedbackRow(r["paper_id"], int(r["label"]), r["source"], r["note"], r["created_at"],
                        r["title"]) for r in rows]


def feedback_labels(store: Store) -> dict[str, int]:
    """paper id -> current label, without withdrawn ones."""
    return {row.paper_id: row.label for row in current_feedback(store) if row.label != 0}
