"""Counts of what the store holds."""

from __future__ import annotations

from papersieve.store.db import Store
from papersieve.store.feedback import feedback_profiles

_TABLES = {
    "papers": "papers",
    "listings": "listings",
    "runs": "runs",
    "judgements": "judgements",
    "llm calls": "llm_calls",
    "feedback marks (each like or dislike, history included)": "feedback",
}


def store_counts(store: Store) -> dict[str, int]:
    """Rows per main table, and the papers that currently carry a like or dislike (what
    `papersieve feedback` lists)."""
    counts = {
        label: int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for label, table in _TABLES.items()
    }
    per_profile = feedback_profiles(store)
    counts["papers liked or disliked now"] = sum(per_profile.values())
    if len(per_profile) > 1:  # feedback belongs to one profile: say whose
        counts.update({f"  of which on profile {name}": n for name, n in per_profile.items()})
    return counts
