"""The run lock: one row per (profile, day) in `run_locks` while a run is in progress.

The lock is a lease: it carries an expiry (`expires_at`) that the live run renews from a thread
of its own every third of the lease. A lock whose lease has passed is stale whatever host took it
(a cancelled CI job never releases its lock, and its runner's host name is never seen again), and
so is a lock of this host whose process is gone (or is a zombie: killed, not yet reaped). A stale
lock is broken with a note, and the runs its holder left `running` are closed as interrupted.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from papersieve.errors import RunLockedError
from papersieve.store.db import Store, plain_connection, utcnow
from papersieve.validate import env_number

LEASE_ENV = "PAPERSIEVE_LOCK_LEASE"
DEFAULT_LEASE = 120.0
"""Seconds a lock lives without renewal: long enough for a busy store, short next to the hours
between two scheduled runs."""
MAX_LEASE = 86_400.0
"""A day: a lease longer than that only keeps a dead run's lock."""


def lease_seconds() -> float:
    """The lease, from PAPERSIEVE_LOCK_LEASE (seconds, at least 1) or the default."""
    return max(env_number(LEASE_ENV, DEFAULT_LEASE, high=MAX_LEASE), 1.0)


def acquire_lock(store: Store, profile: str, date: dt.date) -> str | None:
    """Take the lock of a profile and day, or raise RunLockedError naming the holder.

    Returns a note when a stale lock was broken to take it.
    """
    host, now, lease = socket.gethostname(), _now(), lease_seconds()
    note = None
    with store.transaction() as conn:
        row = conn.execute("SELECT * FROM run_locks WHERE profile = ? AND date = ?",
                           (profile, date.isoformat())).fetchone()
        if row is not None:
            why = _stale(row, host, now, lease)
            if not why:
                raise RunLockedError(
                    f"another run of profile {profile!r} for {date} is in progress "
                    f"(pid {row['pid']} on {row['host'] or 'this host'}, since {row['acquired_at']})")
            close_interrupted(conn, profile, date, int(row["pid"]),
                              f"interrupted: process {row['pid']} ended without finishing the run")
            note = (f"broke the run lock of pid {row['pid']} on {row['host'] or 'this host'}"
                    f" ({why}); its unfinished run was closed as interrupted")
        conn.execute(
            "INSERT OR REPLACE INTO run_locks (profile, date, pid, host, acquired_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (profile, date.isoformat(), os.getpid(), host, utcnow(), _stamp(now, lease)),
        )
    return note


def release_lock(store: Store, profile: str, date: dt.date) -> None:
    """Give the lock back (only if this process holds it)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM run_locks WHERE profile = ? AND date = ? AND pid = ?",
                     (profile, date.isoformat(), os.getpid()))


@contextmanager
def renewing(store: Store, profile: str, date: dt.date) -> Iterator[None]:
    """Renew this process's lease every third of it while the block runs.

    The renewer has its own connection: the run's connection belongs to the run's thread.
    """
    stop = threading.Event()
    lease = lease_seconds()
    thread = threading.Thread(target=_renew_loop, args=(store.url or store.path, profile, date, lease, stop),
                              name="lock-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _renew_loop(path: Path | str, profile: str, date: dt.date, lease: float, stop: threading.Event) -> None:
    while not stop.wait(lease / 3):
        try:
            conn = plain_connection(path, timeout=lease / 3)
            try:
                conn.execute("UPDATE run_locks SET expires_at = ? WHERE profile = ? AND date = ?"
                             " AND pid = ? AND host = ?",
                             (_stamp(_now(), lease), profile, date.isoformat(), os.getpid(),
                              socket.gethostname()))
            finally:
                conn.close()
        except sqlite3.Error:
            continue  # a busy store: the next tick tries again, well before the lease ends


def close_interrupted(conn: sqlite3.Connection, profile: str, date: dt.date, pid: int,
                      message: str) -> None:
    """Close the runs a holder left `running`, with the tokens and dollars its recorded calls
    spent (a killed run never reached finish_run; without this it stays `running` forever and
    the money it spent is missing from the run history). The paid replies stay in llm_calls and
    the judgements they settled in the cache, so a rerun does not pay for them again."""
    conn.execute(
        "UPDATE runs SET status = 'failed', finished_at = ?, message = ?,"
        " prompt_tokens = (SELECT COALESCE(SUM(prompt_tokens), 0) FROM llm_calls c WHERE c.run_id = runs.id),"
        " completion_tokens = (SELECT COALESCE(SUM(completion_tokens), 0) FROM llm_calls c"
        "  WHERE c.run_id = runs.id),"
        " cached_tokens = (SELECT COALESCE(SUM(cached_tokens), 0) FROM llm_calls c WHERE c.run_id = runs.id),"
        " cost = (SELECT SUM(cost) FROM llm_calls c WHERE c.run_id = runs.id)"
        " WHERE profile = ? AND date = ? AND pid = ? AND status = 'running'",
        (utcnow(), message, profile, date.isoformat(), pid),
    )


def _stale(row: sqlite3.Row, host: str, now: dt.datetime, lease: float) -> str:
    """Why the lock in `row` is stale, or '' when its holder may be alive."""
    expires = _expiry(row, lease)
    if expires is not None and expires <= now:
        return f"its lease expired at {expires.isoformat()}"
    if row["host"] and row["host"] != host:
        return ""  # another machine's process within its lease: respect it
    if int(row["pid"]) == os.getpid():
        return "left by this process"
    return "its process is gone" if process_gone(int(row["pid"])) else ""


def process_gone(pid: int) -> bool:
    """True when no process `pid` runs on this host: none has that id, or it is a zombie.

    A killed run whose parent has not yet collected its exit status (a supervisor, a shell
    script that waits later, a test harness) stays in the process table as a zombie, and
    `kill(pid, 0)` still succeeds on it: the lock was then respected for its whole lease.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's live process
    return _state(pid) in ("Z", "X")


def _state(pid: int) -> str:
    """The process state letter from /proc (Linux), '' where there is none to read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # "pid (command) S ...": the command may hold spaces and parentheses, the state follows the last ")".
    after = stat.rpartition(")")[2].split()
    return after[0] if after else ""


def _expiry(row: sqlite3.Row, lease: float) -> dt.datetime | None:
    text = row["expires_at"]
    try:
        if text:
            return dt.datetime.fromisoformat(text)
        return dt.datetime.fromisoformat(row["acquired_at"]) + dt.timedelta(seconds=lease)
    except (TypeError, ValueError):
        return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(now: dt.datetime, lease: float) -> str:
    return (now + dt.timedelta(seconds=lease)).isoformat()
