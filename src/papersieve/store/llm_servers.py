"""What papersieve learnt about an LLM server and model, kept across runs: the structured-output
form that worked, and batch sizes refused for their length."""

from __future__ import annotations

from papersieve.store.db import Store, utcnow


def remembered(store: Store, server: str, model: str, key: str) -> str | None:
    """The value stored for (server, model, key), or None."""
    row = store.conn.execute(
        "SELECT value FROM llm_servers WHERE server = ? AND model = ? AND key = ?",
        (server, model, key)).fetchone()
    return None if row is None else str(row["value"])


def remember(store: Store, server: str, model: str, key: str, value: str) -> None:
    """Store (or replace) one fact about a server and model."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO llm_servers (server, model, key, value, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (server, model, key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at", (server, model, key, value, utcnow()))
