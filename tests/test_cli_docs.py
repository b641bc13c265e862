"""Docs cannot drift: every command has help text and appears in the README."""

from __future__ import annotations

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
