"""Every row of a store as text, on either backend: what a test searches for a leaked secret."""

from __future__ import annotations

from papersieve.store.db import Store


def store_text(store: Store) -> str:
    """All the store's rows (SQLite: its SQL dump; PostgreSQL: each table's rows), one a line."""
    if not store.postgres:
        return "\n".join(store.conn.iterdump())
    tables = [name for (name,) in store.conn.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")]
    lines = []
    for table in tables:
        lines += [f"{table}: {tuple(row)!r}" for row in store.conn.execute(f"SELECT * FROM {table}")]
    return "\n".join(lines)
