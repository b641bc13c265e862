"""Number settings from the environment (seconds, megabytes) pass one reader,
`validate.env_number`: a value that is not a finite number in range is one line of error before
the run starts, whatever the setting.

`PAPERSIEVE_LOCK_LEASE=1e309` was an OverflowError traceback, `nan` a ValueError traceback,
and `PAPERSIEVE_HTTP_INTERVAL=-1` or `fast` was silently the default.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from papersieve.cli.main import main
from tests.conftest import DATA

LEASE = "PAPERSIEVE_LOCK_LEASE must be a positive number up to 86400"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PAPERSIEVE_LOCK_LEASE", "1e309", f"{LEASE}, not '1e309'"),
    ("PAPERSIEVE_LOCK_LEASE", "nan", f"{LEASE}, not 'nan'"),
    ("PAPERSIEVE_LOCK_LEASE", "-5", f"{LEASE}, not '-5'"),
    ("PAPERSIEVE_HTTP_INTERVAL", "-1",
     "PAPERSIEVE_HTTP_INTERVAL must be a number from 0 up to 3600, not '-1'"),
    ("PAPERSIEVE_DOWNLOAD_MAX_MB", "inf",
     "PAPERSIEVE_DOWNLOAD_MAX_MB must be a positive number up to 1e+06, not 'inf'"),
])
def test_a_malformed_number_setting_is_one_line_before_the_run(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    # The lease is read when the run takes its lock; the download and pacing settings when a
    # fetch opens its client (before any request: no feed server is needed).
    argv = (["run", "--offline", str(DATA / "candidates"), "--date", "2025-07-03", "--no-deliver"]
            if name == "PAPERSIEVE_LOCK_LEASE" else ["fetch", "--date", "2025-07-03"])
    result = CliRunner().invoke(click.Command("papersieve", callback=lambda: main(argv)), [])
    assert result.exit_code == 2, result.output
    assert f"error: {message}\n" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (OverflowError, ValueError))


@pytest.mark.parametrize("name", ["PAPERSIEVE_COMPACT_AFTER_DAYS", "PAPERSIEVE_KEEP_TEXT_DAYS"])
def test_a_retention_of_more_days_than_a_date_holds_is_one_line(
        monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "99999999999999999999999")  # was an OverflowError in the pruning
    argv = ["run", "--offline", str(DATA / "candidates"), "--date", "2025-07-03", "--no-deliver"]
    result = CliRunner().invoke(click.Command("papersieve", callback=lambda: main(argv)), [])
    assert result.exit_code == 2, result.output
    assert "Input should be less than or equal to 36500" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OverflowError)
