"""The environment the workflow `papersieve init` writes gives its "Run the day" step: the store
settings of the scheduled (cached) store, which a local profile does not have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from ruamel.yaml import YAML

from papersieve.cli.main import cli

RUN_STEP = "Run the day"


def init_with_workflow(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """A profile folder made by `papersieve init`, and its workflow's digest job's steps."""
    folder = tmp_path / "me"
    result = CliRunner().invoke(cli, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    text = (folder / ".github" / "workflows" / "papersieve.yml").read_text("utf-8")
    steps: list[dict[str, Any]] = YAML(typ="safe").load(text)["jobs"]["digest"]["steps"]
    return folder, steps


def run_step_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The folder, and the `env:` of the step that runs papersieve."""
    folder, steps = init_with_workflow(tmp_path)
    step = next(s for s in steps if s.get("name") == RUN_STEP)
    return folder, {str(k): str(v) for k, v in step["env"].items()}
