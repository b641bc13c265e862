"""`[store] vacuum_after_run` (the GitHub workflow's): the store is saved whole in the Actions
cache after every run, and pruning gives back only whole free pages (incremental vacuum); rows
made smaller (abstracts emptied, rows folded) leave half-empty pages that a year of daily runs
would carry. With the setting each run ends with a `VACUUM`, so the saved file holds none (issue 16,
bench/RESULTS.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.profile import load_profile
from papersieve.store import open_store
from tests.conftest import DATA
from tests.workflow_env import RUN_STEP, init_with_workflow

DAY = "2025-07-03"


def _run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def _day(tmp_path: Path) -> Result:
    return _run("run", "--offline", str(DATA / "candidates"), "--date", DAY, "--no-deliver",
                "--out", str(tmp_path / "site"))


def _pages(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


@pytest.mark.sqlite_only(reason="counts the pages of the SQLite file; PostgreSQL has its own test"
                                " below")
def test_a_run_with_the_setting_leaves_no_half_empty_pages(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _day(tmp_path).exit_code == 0
    # The rerun reads the day from the store; its pruning empties the old abstracts (keep one
    # day of text: the day is long past), which leaves most pages of papers_data half empty.
    monkeypatch.setenv("PAPERSIEVE_KEEP_TEXT_DAYS", "1")
    monkeypatch.setenv("PAPERSIEVE_VACUUM_AFTER_RUN", "true")
    result = _day(tmp_path)
    assert result.exit_code == 0, result.output
    assert "not compacted" not in result.output
    db = papersieve_home / "papersieve.db"
    with sqlite3.connect(db) as conn:
        emptied = conn.execute("SELECT COUNT(*) FROM papers_data WHERE abstract = ''").fetchone()[0]
        assert emptied > 100
        conn.execute(f"VACUUM INTO '{tmp_path / 'compact.db'}'")
    assert _pages(db) == _pages(tmp_path / "compact.db")


def test_without_the_setting_the_run_leaves_them(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the setting is for (and that the check above can fail)."""
    assert _day(tmp_path).exit_code == 0
    monkeypatch.setenv("PAPERSIEVE_KEEP_TEXT_DAYS", "1")
    assert _day(tmp_path).exit_code == 0
    with open_store() as store:
        if store.postgres:
            pytest.skip("PostgreSQL: no file pages")
    db = papersieve_home / "papersieve.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"VACUUM INTO '{tmp_path / 'compact.db'}'")
    assert _pages(db) > _pages(tmp_path / "compact.db")


def test_a_group_run_with_the_setting_compacts_the_store(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`run --all` prunes (and compacts) the shared store once, with its members' settings."""
    folder = tmp_path / "alice"
    assert _run("init", str(folder)).exit_code == 0
    assert _run("profile", "add", "alice", str(folder)).exit_code == 0
    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    args = ("run", "--all", "--offline", str(DATA / "candidates"), "--date", DAY, "--no-deliver",
            "--out", str(tmp_path / "site"))
    assert _run(*args).exit_code == 0
    monkeypatch.setenv("PAPERSIEVE_KEEP_TEXT_DAYS", "1")
    monkeypatch.setenv("PAPERSIEVE_VACUUM_AFTER_RUN", "true")
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert "not compacted" not in result.output
    with open_store() as store:
        if store.postgres:
            return
    db = papersieve_home / "papersieve.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"VACUUM INTO '{tmp_path / 'compact.db'}'")
    assert _pages(db) == _pages(tmp_path / "compact.db")


def test_the_workflow_compacts_the_store_it_caches_and_a_local_profile_does_not(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, steps = init_with_workflow(tmp_path)
    assert load_profile(folder).settings.store.vacuum_after_run is False
    names = [s.get("name") for s in steps]
    run_step = steps[names.index(RUN_STEP)]
    # The run (which compacts) comes before the cache saves the file.
    assert names.index(RUN_STEP) < names.index("Save the store and the site for the next run")
    monkeypatch.setenv("PAPERSIEVE_VACUUM_AFTER_RUN", run_step["env"]["PAPERSIEVE_VACUUM_AFTER_RUN"])
    assert load_profile(folder).settings.store.vacuum_after_run is True


def _table_files(store_url: str) -> dict[str, int]:
    import psycopg

    from papersieve.store import open_store as _open

    with _open() as store:
        schema = store.conn.execute("SELECT current_schema()").fetchall()[0][0]
    with psycopg.connect(store_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relfilenode FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'", (schema,)
        ).fetchall()
    return {str(name): int(node) for name, node in rows}


def test_on_postgresql_the_setting_vacuums_without_rewriting_and_db_vacuum_rewrites(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rewrite (VACUUM FULL) locks each table against the web app's reads for as long as it
    takes on a group's GBs; after every run it was that. A table rewritten gets a new file node."""
    import os

    url = os.environ.get("PAPERSIEVE_DB", "")
    if not url.startswith("postgres"):
        pytest.skip("the PostgreSQL pass (PAPERSIEVE_TEST_DB)")
    assert _day(tmp_path).exit_code == 0
    before = _table_files(url)
    monkeypatch.setenv("PAPERSIEVE_KEEP_TEXT_DAYS", "1")
    monkeypatch.setenv("PAPERSIEVE_VACUUM_AFTER_RUN", "true")
    result = _day(tmp_path)
    assert result.exit_code == 0, result.output
    assert "not compacted" not in result.output
    assert _table_files(url)["papers_data"] == before["papers_data"]
    assert _run("db", "--vacuum").exit_code == 0
    assert _table_files(url)["papers_data"] != before["papers_data"]
