"""Migrations: applied once, atomically, even when several processes open a new store at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from papersieve.errors import StoreError
from papersieve.store import open_store
from papersieve.store.db import _statements
from papersieve.store.migrations import MIGRATIONS, V1
from tests.pgschemas import store_at


def test_the_schema_splits_into_whole_statements() -> None:
    statements = _statements(V1)
    triggers = [s for s in statements if "CREATE TRIGGER" in s]
    assert len(triggers) == 3 and all(t.rstrip().endswith("END;") for t in triggers)
    assert sum("CREATE TABLE" in s for s in statements) == V1.count("CREATE TABLE")


def test_an_incomplete_statement_is_refused() -> None:
    with pytest.raises(StoreError, match="incomplete SQL statement"):
        _statements("CREATE TABLE x (a INTEGER")


def test_processes_opening_a_new_store_together_all_succeed(tmp_path: Path) -> None:
    db = store_at(tmp_path / "race.db")
    code = f"from papersieve.store import open_store; open_store({str(db)!r}).close()"
    children = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
                for _ in range(6)]
    errors = [c.communicate(timeout=120)[1] for c in children]
    assert [c.returncode for c in children] == [0] * 6, errors
    with open_store(db) as store:
        assert store.schema_version() == len(MIGRATIONS)
        if not store.postgres:
            assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
