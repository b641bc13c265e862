"""Chat messages that carry papers (Telegram, Slack) and the cursors of reading them back."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from papersieve.store.db import Store, utcnow


@dataclass(frozen=True)
class ChatMessage:
    """One paper in one delivered chat message."""

    profile: str
    channel: str
    chat: str
    message: str
    position: int
    paper_id: str
    thread: str = ""
    label: int | None = None
    row: int = 0


def add_chat_message(store: Store, profile: str, channel: str, chat: str, message: str,
                     paper_ids: Sequence[str], *, run_id: int | None, date: dt.date,
                     thread: str = "") -> None:
    """Record the papers of one sent message, in their order (position 1, 2, ...)."""
    now = utcnow()
    rows = [(profile, channel, chat, message, thread, i, pid, run_id, date.isoformat(), now)
            for i, pid in enumerate(paper_ids, 1)]
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO chat_messages (profile, channel, chat, message, thread, position, paper_id,"
            " run_id, date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def find_chat_message(store: Store, channel: str, chat: str, message: str) -> list[ChatMessage]:
    """The papers of one message, in order (empty when the store does not know it)."""
    rows = store.conn.execute(
        "SELECT * FROM chat_messages WHERE channel = ? AND chat = ? AND message = ?"
        " ORDER BY position, id", (channel, chat, message)).fetchall()
    return [_row(r) for r in rows]


def recent_chat_messages(store: Store, profile: str, channel: str, since: str) -> list[ChatMessage]:
    """A profile's messages on `channel` recorded at or after `since` (an ISO timestamp)."""
    rows = store.conn.execute(
        "SELECT * FROM chat_messages WHERE profile = ? AND channel = ? AND created_at >= ?"
        " ORDER BY id", (profile, channel, since)).fetchall()
    return [_row(r) for r in rows]


def set_chat_label(store: Store, row: int, label: int) -> None:
    """Remember the label last read back from a message's reactions."""
    with store.transaction() as conn:
        conn.execute("UPDATE chat_messages SET label = ? WHERE id = ?", (label, row))


def get_cursor(store: Store, key: str) -> str | None:
    """A stored cursor (Telegram's update offset), or None."""
    row = store.conn.execute("SELECT value FROM chat_cursors WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row is not None else None


def set_cursor(store: Store, key: str, value: str) -> None:
    """Store a cursor (replacing the old value)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO chat_cursors (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, utcnow()))


def _row(r: sqlite3.Row) -> ChatMessage:
    label = r["label"]
    return ChatMessage(r["profile"], r["channel"], r["chat"], r["message"], int(r["position"]),
                       r["paper_id"], r["thread"], None if label is None else int(label), int(r["id"]))
