"""Opening the store: WAL mode, foreign keys, migrations, transactions.

The store is a SQLite file by default; a `postgresql://` URL (PAPERSIEVE_DB, or the `path` given)
opens a PostgreSQL database instead (store/pgconn.py), with the same `Store` and the same
code above it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

from papersieve.codelinks import has_code
from papersieve.errors import StoreError
from papersieve.home import database_path
from papersieve.interrupts import deferred
from papersieve.redact import redact_params, redact_rows
from papersieve.store.migrations import MIGRATIONS
from papersieve.store.pgschema import postgres_script, split_statements
from papersieve.store.textpack import register


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
    """One connection to the store. Writes go through `transaction()`."""

    def __init__(self, conn: sqlite3.Connection, path: Path, url: str = "") -> None:
        self.conn = conn
        self.path = path
        self.url = url
        """The PostgreSQL URL of a PostgreSQL store (`path` is then a Path made of it), else ''."""

    @property
    def postgres(self) -> bool:
        """True for a PostgreSQL store."""
        return bool(self.url)

    @property
    def location(self) -> str:
        """Where the store is, for messages (a URL without its password)."""
        return masked_url(self.url) if self.url else str(self.path)

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
                raise StoreError(f"cannot write the store at {self.location}: {err}") from err
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


def open_store(path: Path | str | None = None, *, read_only: bool = False) -> Store:
    """Open (and create or migrate) the store at `path`, default `$PAPERSIEVE_HOME/papersieve.db`.

    `read_only` opens an existing, current store without ever writing to it (see
    `open_store_to_read`).
    """
    url = postgres_url(path if path is not None else database_path())
    if url:
        return _open_postgres(url, read_only=read_only)
    target = Path(path) if path is not None else database_path()
    if read_only:
        return _open_read_only(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False,
                               factory=RedactingConnection)
        conn.row_factory = sqlite3.Row
        conn.text_factory = _text_decoder(target)
        register(conn)
        # Migration 12 fills the papers' "with code" flags with the rule ingest uses.
        conn.create_function("papersieve_has_code", 2, has_code, deterministic=True)
        # A new file gives the pages that pruning frees back to the disk (retention.py); an
        # older one changes mode at its next `db --vacuum`. Must precede the first table.
        # 8 KB pages hold a year's rows in 2% less room than SQLite's 4 KB default (bench/
        # RESULTS.md); an older file changes at its next vacuum (retention.vacuum). Must precede
        # auto_vacuum, which fixes the page size of a new file.
        # Only on a file without tables: on a store in use, setting auto_vacuum takes the write
        # lock, and `run --all --workers 2` lost every member of its second process to
        # "database is locked" while the first recorded its share (bench/crowd_scale.py 1000).
        if _is_new(conn):
            conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        _use_wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        store = Store(conn, target)
        migrate(store)
    except sqlite3.Error as err:
        hint = "" if _writable(target) else " (this command writes to it, and it is read-only here)"
        raise StoreError(f"cannot open the store at {target}: {err}{hint}") from err
    except UnicodeDecodeError as err:  # SQLite's own message quoted a damaged schema's bytes
        raise StoreError(f"cannot open the store at {target}: it is damaged ({err.reason});"
                         f" {RESTORE}") from err
    except OSError as err:
        raise StoreError(f"cannot open the store at {target}: {err.strerror}") from err
    return store


def _is_new(conn: sqlite3.Connection) -> bool:
    """True for a file that holds no table yet (a new store)."""
    return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None


PAGE_SIZE = 8192
"""The SQLite store's page size in bytes."""


def _use_wal(conn: sqlite3.Connection, patience: float = 30.0) -> None:
    """Switch a store to WAL mode. On a new file several processes opening it at once race for
    the exclusive lock the switch needs, and SQLite answers "database is locked" at once instead
    of waiting for its busy timeout (seen in `test_processes_opening_a_new_store_together`): try
    again, briefly, within the same patience as the busy timeout."""
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


RESTORE = "restore it from a backup, or move it away to start a new one"


def _writable(target: Path) -> bool:
    """False when an existing store or its folder cannot be written (a read-only disk)."""
    return not target.exists() or (os.access(target, os.W_OK) and os.access(target.parent, os.W_OK))


def open_store_to_read(path: Path | str | None = None) -> Store:
    """The store for a command that only reads (`db`, `feedback`): opened read-only when it
    exists and needs no migration, so a store on a read-only disk, or one this user may not
    write, can still be read (it failed with "unable to open database file"); otherwise the
    ordinary open, which creates or migrates it."""
    if postgres_url(path if path is not None else database_path()):
        return open_store(path)
    target = Path(path) if path is not None else database_path()
    if target.exists():
        try:
            store = _open_read_only(target)
        except StoreError:
            return open_store(target)  # an older schema: migrating needs the ordinary open
        return store
    return open_store(target)


def _open_read_only(target: Path) -> Store:
    """An existing store, current schema, opened so that nothing can be written."""
    uri = f"file:{quote(str(target.absolute()))}?mode=ro"
    try:
        conn = _connect_read_only(uri, target)
        store = Store(conn, target)
        version = store.schema_version()
    except sqlite3.Error as err:
        raise StoreError(f"cannot open the store at {target} to read it: {err}") from err
    except UnicodeDecodeError as err:
        raise StoreError(f"cannot open the store at {target}: it is damaged ({err.reason});"
                         f" {RESTORE}") from err
    if version != len(MIGRATIONS):
        store.close()
        raise StoreError(f"the store at {target} has schema {version}, not {len(MIGRATIONS)}:"
                         " it must be opened once with write access to be upgraded")
    return store


def _connect_read_only(uri: str, target: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()
    except sqlite3.OperationalError as err:
        conn.close()
        # A WAL store on a read-only disk: SQLite cannot create the shared-memory file that a
        # reader needs. With no write-ahead log beside it the file is all there is and nothing
        # can change it, so it may be read as immutable.
        wal = target.with_name(target.name + "-wal")
        if getattr(err, "sqlite_errorname", "") != "SQLITE_CANTOPEN" or (
                wal.exists() and wal.stat().st_size > 0):
            raise
        conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                               check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.text_factory = _text_decoder(target)
    register(conn)
    conn.execute("PRAGMA query_only=ON")
    return conn


def _text_decoder(path: Path) -> Callable[[bytes], str]:
    """SQLite hands back whatever bytes a damaged page holds; Python's own decoding then raised a
    UnicodeDecodeError (a traceback) in whichever command read that row first."""

    def decode(raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise StoreError(f"the store at {path} is damaged: a stored text is not UTF-8"
                             f" ({err.reason} at byte {err.start}); {RESTORE}") from err

    return decode


def damaged_store(err: sqlite3.DatabaseError, path: Path | None = None) -> StoreError | None:
    """The one-line error for SQLite's "database disk image is malformed" (pages damaged on disk,
    found by whichever query reads them), or None for any other database error."""
    name = str(getattr(err, "sqlite_errorname", ""))
    if not (name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB"):
        return None
    return StoreError(f"the store at {path or database_path()} is damaged ({err}); {RESTORE}")


_URL = re.compile(r"^(postgres(?:ql)?):/+(.*)$", re.DOTALL)


def postgres_url(location: Path | str) -> str:
    """The PostgreSQL URL `location` names ('' for a SQLite file). A URL that went through
    `Path()` (the web app's and the CLI's store paths) lost one of its two slashes: restored."""
    match = _URL.match(str(location))
    return f"postgresql://{match.group(2)}" if match else ""


def plain_connection(location: Path | str, timeout: float = 30.0) -> sqlite3.Connection:
    """A bare connection to the store at `location` (no migration, autocommit), for a helper
    thread's single statements (the run lock's renewer)."""
    url = postgres_url(location)
    if url:
        pgconn = _postgres()
        connection: sqlite3.Connection = pgconn.as_sqlite(pgconn.PgConnection(url))
        return connection
    return sqlite3.connect(location, timeout=timeout, isolation_level=None)


def _postgres() -> ModuleType:
    """store/pgconn.py, imported only for a PostgreSQL store: SQLite users never load psycopg,
    and one without it installed gets a one-line error saying what to install."""
    try:
        from papersieve.store import pgconn
    except ImportError as err:
        raise StoreError("a PostgreSQL store needs psycopg 3: pip install 'papersieve[postgres]'"
                         f" ({err})") from err
    return pgconn


def _open_postgres(url: str, *, read_only: bool = False) -> Store:
    """The PostgreSQL store at `url`, created or migrated (`read_only`: must be current)."""
    pgconn, where = _postgres(), masked_url(url)
    try:
        conn = pgconn.PgConnection(url, read_only=read_only)
    except sqlite3.Error as err:
        raise StoreError(f"cannot open the store at {where}: {err}") from err
    store = Store(pgconn.as_sqlite(conn), Path(url), url)
    table = pgconn.SCHEMA_TABLE
    try:
        if read_only:
            exists = conn.execute("SELECT to_regclass(?) IS NOT NULL", (table,)).fetchone()[0]
            version = store.schema_version() if exists else 0
            if version != len(MIGRATIONS):
                raise StoreError(f"the store at {where} has schema {version}, not {len(MIGRATIONS)}:"
                                 " it must be opened once with write access to be upgraded")
            return store
        with store.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {table} (version BIGINT NOT NULL)")
            if tx.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0:
                tx.execute(f"INSERT INTO {table} (version) VALUES (0)")
        migrate(store)
    except sqlite3.Error as err:
        store.close()
        raise StoreError(f"cannot open the store at {where}: {err}") from err
    except BaseException:
        store.close()
        raise
    return store


def store_exists(location: Path | str | None = None) -> bool:
    """True when the store (default: PAPERSIEVE_DB's, else the home's file) may hold something:
    a SQLite file that exists, or any PostgreSQL database."""
    target = location if location is not None else database_path()
    return bool(postgres_url(target)) or Path(target).exists()


def masked_url(url: str) -> str:
    """`url` without its password (`postgresql://user:***@host/db`)."""
    return re.sub(r"^(postgres(?:ql)?://[^:/@]*):[^@/]*@", r"\1:***@", url)


def migrate(store: Store) -> None:
    """Apply every migration newer than the file's `user_version`, each in its own transaction."""
    current = store.schema_version()
    if current > len(MIGRATIONS):
        raise StoreError(
            f"the store at {store.location} has schema {current}, newer than this papersieve knows"
        )
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        with store.transaction() as conn:
            # Two processes may open a new store at once: the second waits here for the first's
            # write lock, and must then find the migration applied instead of applying it again.
            if store.schema_version() >= number:
                continue
            for statement in postgres_script(number) if store.postgres else _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers included) to run inside one
    transaction; executescript() would commit the transaction that holds the write lock."""
    return split_statements(script)
