"""An offline folder with no file for the asked day: still "no announcement" (exit 0), but the
user is told the folder had nothing for that day, so a wrong date or folder is not mistaken for
an arXiv holiday."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli
from papersieve.store import open_store
from tests.conftest import DATA

CANDIDATES = DATA / "candidates"
NOTE = f"note: {CANDIDATES} has no arxiv-2025-07-01-<category>.jsonl file: nothing to read for 2025-07-01"


def test_run_says_the_folder_has_no_file_for_the_day() -> None:
    result = CliRunner().invoke(cli, ["run", "--offline", str(CANDIDATES), "--date", "2025-07-01",
                                      "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No announcement for 2025-07-01\n"
    assert NOTE in result.stderr


def test_fetch_says_the_folder_has_no_file_for_the_day() -> None:
    result = CliRunner().invoke(cli, ["fetch", "--offline-dir", str(CANDIDATES), "--date", "2025-07-01"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No announcement for 2025-07-01 (recorded).\n"
    assert NOTE in result.stderr


def test_a_day_with_its_file_has_no_note() -> None:
    result = CliRunner().invoke(cli, ["run", "--offline", str(CANDIDATES), "--date", "2025-07-03",
                                      "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert "Picks:" in result.stdout and "has no arxiv-" not in result.stderr


def test_a_category_without_its_file_is_named_in_the_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_CATEGORIES", "cs.LG,cs.AI,stat.ML")
    result = CliRunner().invoke(cli, ["run", "--offline", str(CANDIDATES), "--date", "2025-07-03",
                                      "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert "Note: stat.ML: nothing listed (no candidate file for this category)" in result.stdout
    with open_store() as store:
        notes = store.conn.execute("SELECT notes FROM runs ORDER BY id DESC").fetchone()[0]
    assert "stat.ML: nothing listed" in notes


def test_fetch_names_a_category_without_its_file() -> None:
    """The day's file exists but holds no cs.CV: "no announcement" alone read as an arXiv holiday."""
    result = CliRunner().invoke(cli, ["fetch", "--offline-dir", str(CANDIDATES), "--date", "2025-07-03",
                                      "--category", "cs.CV"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No announcement for 2025-07-03 (recorded).\n"
    assert (f"note: {CANDIDATES} has arxiv-2025-07-03-cs.LG+cs.AI.jsonl for 2025-07-03, but no paper"
            " of cs.CV in it") in result.stderr


def test_run_names_the_categories_the_days_files_lack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_CATEGORIES", "cs.CV,stat.ML")
    result = CliRunner().invoke(cli, ["run", "--offline", str(CANDIDATES), "--date", "2025-07-03",
                                      "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No announcement for 2025-07-03\n"
    assert "but no paper of cs.CV, stat.ML in it" in result.stderr
