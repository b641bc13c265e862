"""Opening a PostgreSQL store (`PAPERSIEVE_DB=postgresql://...`): connect, create the schema
number's table, migrate. Imported only for a PostgreSQL URL, so SQLite users never load psycopg."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from papersieve.errors import StoreError
from papersieve.store.db import Store, masked_url, migrate
from papersieve.store.migrations import MIGRATIONS
from papersieve.store.pgconn import SCHEMA_TABLE, PgConnection, as_sqlite


def open_postgres(url: str, *, read_only: bool = False) -> Store:
    """The PostgreSQL store at `url`, created or migrated (`read_only`: must be current)."""
    where = masked_url(url)
    try:
        conn = PgConnection(url, read_only=read_only)
    except sqlite3.Error as err:
        raise StoreError(f"cannot open the store at {where}: {err}") from err
    store = Store(as_sqlite(conn), Path(url), url)
    try:
        if read_only:
            version = store.schema_version() if _has_schema(conn) else 0
            if version != len(MIGRATIONS):
                raise StoreError(f"the store at {where} has schema {version}, not {len(MIGRATIONS)}:"
                                 " it must be opened once with write access to be upgraded")
            return store
        with store.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version BIGINT NOT NULL)")
            if tx.execute(f"SELECT COUNT(*) FROM {SCHEMA_TABLE}").fetchone()[0] == 0:
                tx.execute(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES (0)")
        migrate(store)
    except sqlite3.Error as err:
        store.close()
        raise StoreError(f"cannot open the store at {where}: {err}") from err
    except BaseException:
        store.close()
        raise
    return store


def plain_connection(url: str) -> sqlite3.Connection:
    """A bare connection to the store at `url` (store/db.py `plain_connection`)."""
    return as_sqlite(PgConnection(url))


def _has_schema(conn: PgConnection) -> bool:
    row = conn.execute("SELECT to_regclass(?) IS NOT NULL", (SCHEMA_TABLE,)).fetchone()
    return bool(row[0])
