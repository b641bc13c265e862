"""The run lock: one row per (profile, day) in `run_locks` while a run is in progress.

A row left by a process that died (same host, pid gone) is stale and taken over, and the runs
that process left `running` are closed as interrupted.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3

from papersieve.errors import RunLockedError
from papersieve.store.db import Store, utcnow


def acquire_lock(store: Store, profile: str, date: dt.date) -> None:
    """Take the lock of a profile and day, or raise RunLockedError naming the holder."""
    host = socket.gethostname()
    with store.transaction() as conn:
        row = conn.execute("SELECT * FROM run_locks WHERE profile = ? AND date = ?",
                           (profile, date.isoformat())).fetchone()
        if row is not None and _alive(row, host):
            raise RunLockedError(
                f"another run of profile {profile!r} for {date} is in progress "
                f"(pid {row['pid']} on {row['host'] or 'this host'}, since {row['acquired_at']})")
        if row is not None:
            _close_interrupted(conn, profile, date, int(row["pid"]))
        conn.execute(
            "INSERT OR REPLACE INTO run_locks (profile, date, pid, host, acquired_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (profile, date.isoformat(), os.getpid(), host, utcnow()),
        )


def release_lock(store: Store, profile: str, date: dt.date) -> None:
    """Give the lock back (only if this process holds it)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM run_locks WHERE profile = ? AND date = ? AND pid = ?",
                     (profile, date.isoformat(), os.getpid()))


def _close_interrupted(conn: sqlite3.Connection, profile: str, date: dt.date, pid: int) -> None:
    """Close the runs a dead holder left `running`, with the tokens and dollars its recorded
    calls spent (a killed run never reached finish_run; without this it stays `running` forever
    and the money it spent is missing from the run history)."""
    conn.execute(
        "UPDATE runs SET status = 'failed', finished_at = ?,"
        " message = 'interrupted: process ' || pid || ' ended without finishing the run',"
        " prompt_tokens = (SELECT COALESCE(SUM(prompt_tokens), 0) FROM llm_calls c WHERE c.run_id = runs.id),"
        " completion_tokens = (SELECT COALESCE(SUM(completion_tokens), 0) FROM llm_calls c"
        "  WHERE c.run_id = runs.id),"
        " cached_tokens = (SELECT COALESCE(SUM(cached_tokens), 0) FROM llm_calls c WHERE c.run_id = runs.id),"
        " cost = (SELECT SUM(cost) FROM llm_calls c WHERE c.run_id = runs.id)"
        " WHERE profile = ? AND date = ? AND pid = ? AND status = 'running'",
        (utcnow(), profile, date.isoformat(), pid),
    )


def _alive(row: sqlite3.Row, host: str) -> bool:
    if row["host"] and row["host"] != host:
        return True  # another machine's process: we cannot tell, so respect it
    if int(row["pid"]) == os.getpid():
        return False
    try:
        os.kill(int(row["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
