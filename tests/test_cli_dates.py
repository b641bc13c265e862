"""Dates on the command line: a wrong one is a one-line usage error that says what is wrong."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli
from tests.conftest import DATA


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--date", "02-07-2025"], "'02-07-2025' is not a date in the form YYYY-MM-DD"),
    (["run", "--date", "2025-02-30"], "'2025-02-30' is not a calendar date (day is out of range for month)"),
    (["judge", "--date", "yesterday"], "'yesterday' is not a date in the form YYYY-MM-DD"),
    (["backfill", "--from", "2025-13-01", "--to", "2025-07-01"],
     "'2025-13-01' is not a calendar date (month must be in 1..12)"),
    # Year 1 was an OverflowError traceback in the week's arithmetic; 1900 was asked of the API.
    (["digest", "--week", "--end", "0001-01-03"],
     "'0001-01-03' is before arXiv's first announcement (1991-08-14)"),
    (["backfill", "--from", "1900-01-01", "--to", "1900-01-02"],
     "'1900-01-01' is before arXiv's first announcement (1991-08-14)"),
])
def test_a_wrong_date_is_a_usage_error_naming_the_mistake(argv: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.output
    assert "Traceback" not in result.output


def test_help_shows_the_date_form() -> None:
    for argv in (["run", "--help"], ["fetch", "--help"], ["backfill", "--help"]):
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0
        assert "YYYY-MM-DD" in result.output and "%Y" not in result.output


def test_a_short_month_and_day_are_read() -> None:
    # (2025-07-05, a Saturday, was used here; a day without offline files is now an error)
    result = CliRunner().invoke(cli, ["run", "--date", "2025-7-3", "--offline",
                                      str(DATA / "candidates"), "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert "Day 2025-07-03 " in result.output
