"""What --help says about defaults and requirements is what the code does."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli
from papersieve.home import home_dir
from tests.conftest import DATA


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_state_folder_default_in_help_is_the_one_used(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    """The help said "default ~/.papersieve" while XDG_DATA_HOME, when set, wins."""
    monkeypatch.delenv("PAPERSIEVE_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert home_dir() == tmp_path / "papersieve"
    helptext = _flat(CliRunner().invoke(cli, ["--help"]).output)
    assert "(default $XDG_DATA_HOME/papersieve if XDG_DATA_HOME is set, else ~/.papersieve)" in helptext


def test_fetch_help_says_offline_needs_a_date() -> None:
    helptext = _flat(CliRunner().invoke(cli, ["fetch", "--help"]).output)
    assert "(as `run --offline`; needs --date)" in helptext
    result = CliRunner().invoke(cli, ["fetch", "--offline", str(DATA / "candidates")])
    assert result.exit_code == 2 and "--offline needs --date" in result.output
