"""Counts of what the store holds."""

from __future__ import annotations

from papersieve.store.db import Store

_TABLES = {
    "papers": "papers",
    "listings": "listings",
    "runs": "runs",
    "judgements": "judgements",
    "llm calls": "llm_calls",
    "feedback": "feedback",
}


def store_counts(store: Store) -> dict[str, int]:
    """Rows per main table."""
    return {
        label: int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for label, table in _TABLES.items()
    }
