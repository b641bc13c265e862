"""PostgreSQL for the tests: a schema per test on one server, and the server for a session.

PAPERSIEVE_TEST_DB=postgresql://... runs the whole suite on PostgreSQL (every test's default store
is a schema of its own on that server, dropped afterwards). The tests marked `postgres` use that
server, or PAPERSIEVE_TEST_PG's, and without either start a throwaway cluster (tests/pgcluster.py)
when PostgreSQL is installed, or skip saying why.
PAPERSIEVE_TEST_PG_REQUIRED=1 (CI) turns that skip into a failure.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests import pgcluster

TEST_DB_ENV = "PAPERSIEVE_TEST_DB"
SERVER_ENV = "PAPERSIEVE_TEST_PG"
"""A server for the tests marked `postgres` only (the rest of the suite stays on SQLite)."""
REQUIRED_ENV = "PAPERSIEVE_TEST_PG_REQUIRED"
REPORT_ENV = "PAPERSIEVE_TEST_DB_REPORT"


@contextmanager
def schema_store(server: str, test: str = "") -> Iterator[str]:
    """A store URL on `server` whose tables live in a new schema, dropped afterwards.

    With PAPERSIEVE_TEST_DB_REPORT=FILE, a line per `test` says which store it worked on:
    `sqlite` (it opened a SQLite file in this process: a test that should be marked
    `sqlite_only`), `postgres` (its own schema, or a store of its own on the server), or `none`."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    watch = _StoreWatch()
    try:
        with watch:
            yield _in_schema(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            used = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                                (f"{name}.papersieve_schema",)).fetchone()
            conn.execute(f"DROP SCHEMA {name} CASCADE")
        report = os.environ.get(REPORT_ENV, "")
        if report and test:
            kind = ("sqlite" if watch.sqlite_files else
                    "postgres" if watch.postgres or (used and used[0]) else "none")
            with open(report, "a", encoding="utf-8") as out:
                out.write(f"{test}\t{kind}\t{' '.join(sorted(watch.sqlite_files))}\n")


class _StoreWatch:
    """Notes the SQLite files and PostgreSQL connections a test opens in this process."""

    def __init__(self) -> None:
        self.sqlite_files: set[str] = set()
        self.postgres = False
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> _StoreWatch:
        import psycopg

        lite, pg = sqlite3.connect, psycopg.connect

        def lite_connect(database: Any, *args: Any, **kwargs: Any) -> Any:
            where = str(database)
            if where not in ("", ":memory:") and "mode=memory" not in where:
                self.sqlite_files.add(Path(where.removeprefix("file:").split("?")[0]).name)
            return lite(database, *args, **kwargs)

        def pg_connect(*args: Any, **kwargs: Any) -> Any:
            self.postgres = True
            return pg(*args, **kwargs)

        self._saved = (lite, pg)
        sqlite3.connect = lite_connect  # type: ignore[assignment]
        psycopg.connect = pg_connect  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        import psycopg

        assert self._saved is not None
        sqlite3.connect, psycopg.connect = self._saved  # type: ignore[assignment]


_extra_stores: dict[str, tuple[str, str]] = {}
"""store_at's schemas in this process: {path asked for: (server, schema)}."""


def store_at(path: Path) -> Path:
    """Where a test's own store (beside the default one) lives on the backend under test: `path`,
    a SQLite file; with PAPERSIEVE_TEST_DB, a new schema on that server instead (as a Path of its
    URL, which open_store and the web app read back as the URL), the same one for the same `path`,
    dropped at the end of the session (`drop_extra_stores`)."""
    server = os.environ.get(TEST_DB_ENV, "")
    if not server or "://" in str(path) or ":/" in str(path):
        return path
    key = str(path)
    if key not in _extra_stores:
        import psycopg

        name = "x_" + uuid.uuid4().hex[:16]
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        _extra_stores[key] = (server, name)
    server, name = _extra_stores[key]
    return Path(_in_schema(server, name))


def _in_schema(server: str, name: str) -> str:
    separator = "&" if "?" in server else "?"
    return f"{server}{separator}options={quote(f'-csearch_path={name}')}"


def drop_extra_stores() -> None:
    """Drop the schemas store_at made in this process."""
    if not _extra_stores:
        return
    import psycopg

    for server, name in _extra_stores.values():
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    _extra_stores.clear()


def pg_server_for_session() -> Iterator[str]:
    """The server named by PAPERSIEVE_TEST_DB or PAPERSIEVE_TEST_PG, else a throwaway cluster,
    else a skip (a failure with PAPERSIEVE_TEST_PG_REQUIRED=1)."""
    named = os.environ.get(TEST_DB_ENV, "") or os.environ.get(SERVER_ENV, "")
    if named:
        yield named
        return
    if pgcluster.binaries() is None:
        reason = (f"no PostgreSQL server: set {SERVER_ENV}=postgresql://... or install PostgreSQL"
                  " (initdb, pg_ctl) for a throwaway cluster")
        if os.environ.get(REQUIRED_ENV):
            pytest.fail(reason)
        pytest.skip(reason)
    with pgcluster.throwaway() as url:
        yield url
