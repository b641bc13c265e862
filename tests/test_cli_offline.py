"""An offline folder that lacks data for the asked day or for one of its categories: missing data,
never "no announcement" (issue 17). A day with no file at all is a one-line error and nothing is
recorded; a category without a file is named in the day's notes and not stored as announced
empty, so a wrong date, folder or category is not mistaken for an arXiv holiday."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli, main
from papersieve.ingest import load_offline_day
from papersieve.models import ListingStatus
from papersieve.store import Store, open_store
from tests.conftest import DATA

CANDIDATES = DATA / "candidates"
NO_FILE = (f"error: {CANDIDATES}: no arxiv-2025-07-01-<category>.jsonl file: no data for 2025-07-01"
           " (nothing recorded; check the date, folder or categories)\n")


def recorded(table: str) -> list[tuple[object, ...]]:
    with open_store() as store:
        return [tuple(r) for r in store.conn.execute(f"SELECT * FROM {table}")]


@pytest.mark.parametrize("command", ["run", "fetch"])
def test_a_day_without_any_file_is_an_error_and_records_nothing(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """It was recorded as "no announcement" (exit 0) and shown in the archive."""
    with pytest.raises(SystemExit) as stop:
        main([command, "--offline", str(CANDIDATES), "--date", "2025-07-01"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines(keepends=True)[-1] == NO_FILE
    assert recorded("runs") == [] and recorded("listings") == []


def test_a_day_with_its_file_has_no_note() -> None:
    result = CliRunner().invoke(cli, ["run", "--offline", str(CANDIDATES), "--date", "2025-07-03",
                                      "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert "Picks:" in result.stdout and "missing data" not in result.output


def test_a_category_without_its_file_is_missing_data_not_no_announcement(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_CATEGORIES", "cs.LG,cs.AI,stat.ML")
    result = CliRunner().invoke(cli, ["run", "--offline", str(CANDIDATES), "--date", "2025-07-03",
                                      "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert (f"Note: stat.ML: missing data (no candidate file for this category in {CANDIDATES})"
            in result.stdout)
    with open_store() as store:
        notes = store.conn.execute("SELECT notes FROM runs ORDER BY id DESC").fetchone()[0]
        stored = store.conn.execute("SELECT category, status FROM listings ORDER BY category")
        assert "stat.ML: missing data" in notes
        assert [tuple(r) for r in stored] == [("cs.AI", "ok"), ("cs.LG", "ok")]


def test_fetch_lists_a_missing_category_as_missing() -> None:
    result = CliRunner().invoke(cli, ["fetch", "--offline-dir", str(CANDIDATES), "--date", "2025-07-03",
                                      "--category", "cs.AI", "--category", "cs.CV"])
    assert result.exit_code == 0, result.output
    assert "  cs.CV: 0 entries, 0 scanned (missing)\n" in result.stdout
    with open_store() as store:
        rows = store.conn.execute("SELECT category, status FROM listings").fetchall()
    assert [tuple(r) for r in rows] == [("cs.AI", "ok")]


@pytest.mark.parametrize("categories", [["cs.CV"], ["cs.CV", "stat.ML"]])
def test_files_of_the_day_that_hold_none_of_the_categories_are_an_error(
        categories: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_CATEGORIES", ",".join(categories))
    with pytest.raises(SystemExit) as stop:
        main(["run", "--offline", str(CANDIDATES), "--date", "2025-07-03", "--no-deliver"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines(keepends=True)[-1] == (
        f"error: {CANDIDATES}: arxiv-2025-07-03-cs.LG+cs.AI.jsonl holds no {', '.join(categories)}:"
        " no data for 2025-07-03 (nothing recorded; check the date, folder or categories)\n")
    assert recorded("runs") == []


def test_a_file_that_covers_a_category_without_papers_is_an_empty_listing(
        store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "cands"
    folder.mkdir()
    source = CANDIDATES / "arxiv-2025-07-03-cs.LG+cs.AI.jsonl"
    (folder / source.name).write_bytes(source.read_bytes())
    (folder / "arxiv-2025-07-03-cs.CV.jsonl").write_text("")
    fetched = load_offline_day(store, folder, dt.date(2025, 7, 3), ["cs.AI", "cs.CV", "stat.ML"])
    assert [x.status for x in fetched.listings] == [
        ListingStatus.OK, ListingStatus.NO_ANNOUNCEMENT, ListingStatus.MISSING]
