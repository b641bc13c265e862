"""The run lock: one row per (profile, day) in `run_locks` while a run is in progress.

A row left by a process that died (same host, pid gone) is stale and taken over.
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
