"""Docs cannot drift: every command has help text and appears in the README."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from papersieve.cli.main import COMMANDS, cli
from tests.conftest import REPO


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = cli.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None and (command.help or "").strip(), f"{name} has no help text"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"papersieve {name}" in (REPO / "README.md").read_text("utf-8")


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def _readme_row(name: str) -> str:
    """The command cell of the README table row that documents `papersieve <name>`."""
    for line in (REPO / "README.md").read_text("utf-8").splitlines():
        cell = line.split(" | ")[0]
        if line.startswith("| `papersieve ") and re.search(rf"`papersieve {re.escape(name)}[ `]", cell):
            return cell
    raise AssertionError(f"no README command-table row for papersieve {name}")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_is_in_the_readme_table(name: str) -> None:
    command = cli.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None
    row = _readme_row(name)
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            # An option with aliases (--offline / --offline-dir) needs one of its names there.
            assert any(opt in row for opt in param.opts), \
                f"papersieve {name}: {param.opts} is not in the README row {row!r}"
