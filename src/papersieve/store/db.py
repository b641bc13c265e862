"""Opening the store: WAL mode, foreign keys, migrations, transactions."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from papersieve.errors import StoreError
from papersieve.home import database_path
from papersieve.interrupts import deferred
from papersieve.redact import redact_params, redact_rows
from papersieve.store.migrations import MIGRATIONS


def utcnow() -> str:
    """Timestamps in the store: UTC, ISO 8601, seconds."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class RedactingConnection(sqlite3.Connection):
    """A connection whose statements' string parameters pass through the redactor: the one place
    where text enters the store (errors, delivery details, notes, run messages, raw replies)."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return super().execute(sql, redact_params(parameters))

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        return super().executemany(sql, redact_rows(parameters))


class Store:
    """One connection to the SQLite file. Writes go through `transaction()`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception: nothing half-written."""
        if self.conn.in_transaction:
            yield self.conn
            return
        # A SIGTERM that arrives in here is handled after COMMIT or ROLLBACK (papersieve.interrupts).
        with deferred():
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
                self.conn.commit()
            except sqlite3.IntegrityError:
                self._rollback()
                raise  # a broken invariant is a bug: keep its traceback
            except sqlite3.DatabaseError as err:
                self._rollback()
                # A full disk, a read-only file or a locked database must reach the user as one
                # line, not a traceback (found by tests/test_faults_disk.py).
                raise StoreError(f"cannot write the store at {self.path}: {err}") from err
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.rollback()

    def schema_version(self) -> int:
        """The number of the last migration applied."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: Path | str | None = None) -> Store:
    """Open (and create or migrate) the store at `path`, default `$PAPERSIEVE_HOME/papersieve.db`."""
    target = Path(path) if path is not None else database_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False,
                               factory=RedactingConnection)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        store = Store(conn, target)
        migrate(store)
    except sqlite3.Error as err:
        raise StoreError(f"cannot open the store at {target}: {err}") from err
    except OSError as err:
        raise StoreError(f"cannot open the store at {target}: {err.strerror}") from err
    return store


def migrate(store: Store) -> None:
    """Apply every migration newer than the file's `user_version`, each in its own transaction."""
    current = store.schema_version()
    if current > len(MIGRATIONS):
        raise StoreError(
            f"the store at {store.path} has schema {current}, newer than this papersieve knows"
        )
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        with store.transaction() as conn:
            # Two processes may open a new store at once: the second waits here for the first's
            # write lock, and must then find the migration applied instead of applying it again.
            if store.schema_version() >= number:
                continue
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers included) to run inside one
    transaction; executescript() would commit the transaction that holds the write lock."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending)
            pending = ""
    if pending.strip() and not all(
        not x.strip() or x.strip().startswith("--") for x in pending.splitlines()
    ):
        raise StoreError(f"incomplete SQL statement in a migration: {pending.strip()[:60]}")
    return statements
