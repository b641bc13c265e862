"""Each distinct prompt a run sent, stored once (migration 18).

A run used to keep its whole prompt (system, user and schema texts, ~6.6 KB) in its `runs` row,
to show it again in the rebuilt digest: 250 identical copies in a year of scheduled runs. The
text now lives in `prompt_texts` under the SHA-256 of its parts, and the run keeps that key
(`runs.prompt_text_key`); a run recorded before keeps its columns until the next pruning moves
them (`move_run_prompts`, store/retention.py).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from papersieve.store.db import Store


def prompt_key(system: str, user: str, schema: str) -> str:
    """The key of one prompt: SHA-256 of its three parts ('' for no prompt at all)."""
    if not (system or user or schema):
        return ""
    return hashlib.sha256(json.dumps([system, user, schema]).encode("utf-8")).hexdigest()


def save_prompt(conn: sqlite3.Connection, system: str, user: str, schema: str) -> str:
    """Store the prompt unless it is stored already; returns its key."""
    key = prompt_key(system, user, schema)
    if key:
        conn.execute("INSERT INTO prompt_texts (key, system, user_text, schema) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT (key) DO NOTHING", (key, system, user, schema))
    return key


def run_prompt(store: Store, run: sqlite3.Row) -> tuple[str, str, str]:
    """The (system, user, schema) texts a run sent: by its key, or from its own columns."""
    key = run["prompt_text_key"]
    if key:
        row = store.conn.execute("SELECT system, user_text, schema FROM prompt_texts WHERE key = ?",
                                 (key,)).fetchone()
        if row is not None:
            return str(row["system"]), str(row["user_text"]), str(row["schema"])
    return str(run["prompt_system"]), str(run["prompt_user"]), str(run["prompt_schema"])


def move_run_prompts(store: Store) -> int:
    """Runs recorded with their prompt in their row: the text moved to `prompt_texts`; returns
    how many runs."""
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT id, prompt_system, prompt_user, prompt_schema FROM runs WHERE prompt_text_key = ''"
            " AND (prompt_system != '' OR prompt_user != '' OR prompt_schema != '')").fetchall()
        for row in rows:
            key = save_prompt(conn, row["prompt_system"], row["prompt_user"], row["prompt_schema"])
            conn.execute("UPDATE runs SET prompt_text_key = ?, prompt_system = '', prompt_user = '',"
                         " prompt_schema = '' WHERE id = ?", (key, row["id"]))
        return len(rows)
