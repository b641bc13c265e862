"""Feedback rows: liked (+1), disliked (-1) or withdrawn (0) papers, newest row wins.

Each row belongs to one profile (migration 7): a like given on one profile trains that profile's
local judge only, and every reader asks for one profile's feedback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from papersieve.store.db import Store, utcnow


@dataclass(frozen=True)
class FeedbackRow:
    """The current feedback of one profile on one paper."""

    paper_id: str
    label: int
    source: str
    note: str
    created_at: str
    title: str | None = None
    profile: str = "default"


def add_feedback(store: Store, paper_ids: Iterable[str], label: int, source: str, note: str = "",
                 *, profile: str) -> int:
    """Record one row per id for `profile` in one transaction; returns how many."""
    now = utcnow()
    rows = [(pid, label, source, note, now, profile) for pid in paper_ids]
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO feedback (paper_id, label, source, note, created_at, profile)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def current_feedback(store: Store, profile: str) -> list[FeedbackRow]:
    """The profile's newest row per paper (withdrawn ones included), newest first, with titles."""
    rows = store.conn.execute(
        "SELECT f.paper_id, f.label, f.source, f.note, f.created_at, f.profile, p.title"
        " FROM feedback f LEFT JOIN papers p ON p.id = f.paper_id"
        " WHERE f.profile = ? AND f.id = (SELECT MAX(g.id) FROM feedback g"
        " WHERE g.profile = f.profile AND g.paper_id = f.paper_id)"
        " ORDER BY f.id DESC",
        (profile,),
    ).fetchall()
    return [FeedbackRow(r["paper_id"], int(r["label"]), r["source"], r["note"], r["created_at"],
                        r["title"], r["profile"]) for r in rows]


def feedback_labels(store: Store, profile: str) -> dict[str, int]:
    """paper id -> the profile's current label, without withdrawn ones."""
    return {row.paper_id: row.label for row in current_feedback(store, profile) if row.label != 0}


def feedback_profiles(store: Store) -> dict[str, int]:
    """Profile name -> how many papers it currently likes or dislikes (profiles with none left out)."""
    rows = store.conn.execute(
        "SELECT f.profile, COUNT(*) FROM feedback f WHERE f.label != 0 AND f.id = (SELECT MAX(g.id)"
        " FROM feedback g WHERE g.profile = f.profile AND g.paper_id = f.paper_id)"
        " GROUP BY f.profile ORDER BY f.profile"
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def taught_since_model(store: Store, profile: str) -> bool:
    """True when the profile has feedback or library examples newer than its newest local model
    (a like given where the profile could not be retrained: a web page of another profile)."""
    row = store.conn.execute(
        "SELECT MAX(COALESCE((SELECT MAX(created_at) FROM feedback WHERE profile = :p), ''),"
        " COALESCE((SELECT MAX(created_at) FROM library_examples WHERE profile = :p), ''))"
        " > COALESCE((SELECT MAX(created_at) FROM local_models WHERE profile = :p), '')",
        {"p": profile}).fetchone()
    return bool(row[0])


def waiting_to_learn(store: Store) -> dict[str, str]:
    """Profile -> the time of its oldest feedback or library example newer than its newest local
    model: the profiles `taught_since_model` is true for, with how long their labels have waited."""
    rows = store.conn.execute(
        "SELECT t.profile, MIN(t.created_at) FROM (SELECT profile, created_at FROM feedback"
        " UNION ALL SELECT profile, created_at FROM library_examples) t"
        " WHERE t.created_at > COALESCE((SELECT MAX(m.created_at) FROM local_models m"
        " WHERE m.profile = t.profile), '') GROUP BY t.profile ORDER BY t.profile"
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}
