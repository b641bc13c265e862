"""PostgreSQL for the bench scripts: one server, a new schema per measurement, its size.

The server is PAPERSIEVE_BENCH_PG's URL when set, else a throwaway cluster on loopback started
for the script and stopped at its end (tests/pgcluster.py: initdb in a temporary folder, fsync
off as in the tests, so that the figures are the store's work and not the disk's). Each
measurement gets a schema of its own (tests/pgschemas.py), dropped afterwards.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SERVER_ENV = "PAPERSIEVE_BENCH_PG"
SECRETS = ("OPENAI_API_KEY", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "PAPERSIEVE_DB")
"""Variables a bench drops from its environment: no paid call, no message, no other store."""


def quiet_environment() -> None:
    """Drop the variables of `SECRETS` from this process's environment."""
    for name in SECRETS:
        os.environ.pop(name, None)


@contextmanager
def server() -> Iterator[str]:
    """The URL of a PostgreSQL server for the bench: PAPERSIEVE_BENCH_PG's, else a throwaway
    cluster's, stopped when the block ends."""
    given = os.environ.get(SERVER_ENV, "")
    if given:
        yield given
        return
    from tests import pgcluster

    with pgcluster.throwaway() as url:
        yield url


@contextmanager
def schema(server_url: str) -> Iterator[str]:
    """A store URL on `server_url` whose tables live in a new schema, dropped afterwards."""
    from tests.pgschemas import schema_store

    with schema_store(server_url) as url:
        yield url


def schema_bytes(url: str) -> int:
    """The bytes of every table and index of the store at `url` (its schema)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')").fetchone()
    return int(row[0]) if row else 0
