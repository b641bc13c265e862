"""The store's location from PAPERSIEVE_DB (or a profile's `[store] url`) and the state folder
from PAPERSIEVE_HOME: a pasted line end or a URL form papersieve does not read is one line of
error, naming the setting but not its value (a URL may hold a password), and nothing is created.

Before: `PAPERSIEVE_DB=$'sqlite:///tmp/x\\n.db'` made a folder "sqlite:" in the current one, with
a store file whose name held the line end.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from papersieve.cli.main import main
from tests.conftest import DATA


def _run(argv: list[str]) -> click.testing.Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(argv)), [])


PASTED = "holds a control character (a line end pasted with it?)"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PAPERSIEVE_DB", "{tmp}/store.db\n", f"PAPERSIEVE_DB {PASTED}"),
    ("PAPERSIEVE_DB", "postgresql://u:hunter2@127.0.0.1:1/db\n", f"PAPERSIEVE_DB {PASTED}"),
    ("PAPERSIEVE_DB", "sqlite:///{tmp}/store.db",
     "PAPERSIEVE_DB: a postgresql:// URL or the path of a SQLite file, not a sqlite:// URL"),
    ("PAPERSIEVE_HOME", "{tmp}/home\r", f"PAPERSIEVE_HOME {PASTED}"),
])
def test_a_malformed_store_location_is_one_line_and_creates_nothing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value.format(tmp=tmp_path))
    before = sorted(tmp_path.rglob("*"))
    result = _run(["run", "--offline", str(DATA / "candidates"), "--date", "2025-07-03", "--no-deliver"])
    assert result.exit_code == 2, result.output
    assert result.output.endswith(f"error: {message}\n"), result.output
    assert "hunter2" not in result.output
    assert sorted(tmp_path.rglob("*")) == before
