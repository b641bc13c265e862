"""PostgreSQL for the tests: a schema per test on one server, and the server for a session.

PAPERSIEVE_TEST_DB=postgresql://... runs the whole suite on PostgreSQL (every test's default store
is a schema of its own on that server, dropped afterwards). The tests marked `postgres` use that
server, or PAPERSIEVE_TEST_PG's, and without either start a throwaway cluster (tests/pgcluster.py)
when PostgreSQL is installed, or skip saying why.
PAPERSIEVE_TEST_PG_REQUIRED=1 (CI) turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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

    With PAPERSIEVE_TEST_DB_REPORT=FILE, a line per `test` says whether it opened that store
    (`postgres`) or never did (`sqlite-only`: it works on SQLite files of its own)."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in server else "?"
    try:
        yield f"{server}{separator}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            used = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                                (f"{name}.papersieve_schema",)).fetchone()
            conn.execute(f"DROP SCHEMA {name} CASCADE")
        report = os.environ.get(REPORT_ENV, "")
        if report and test:
            with open(report, "a", encoding="utf-8") as out:
                out.write(f"{test}\t{'postgres' if used and used[0] else 'sqlite-only'}\n")


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
    folder = Path(tempfile.mkdtemp(prefix="papersieve-pg-"))
    try:
        yield pgcluster.start(folder)
    finally:
        pgcluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
