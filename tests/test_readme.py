"""The README's quick start stays true: CI runs its setup and test commands, and its main job
runs here exactly as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def quick_start() -> list[str]:
    """The commands of the README's quick-start block, comments stripped."""
    text = (REPO / "README.md").read_text("utf-8")
    block = re.search(r"## Quick start\n\n```sh\n(.*?)```", text, re.S)
    assert block, "README has no quick-start block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_three_commands() -> None:
    assert quick_start() == ["make setup", ".venv/bin/papersieve demo", "make test"]


def test_ci_runs_the_readme_setup_and_test_commands() -> None:
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    commands = [line.strip() for line in ci.splitlines()]
    setup, _, test = quick_start()
    assert setup in commands and test in commands
    assert commands.index(setup) < commands.index(test)


def test_the_main_job_runs_as_written(papersieve_home: Path) -> None:
    _, demo, _ = quick_start()
    argv = shlex.split(demo)
    # The test may run from any virtualenv; the README's path is the one `make setup` creates.
    executable = REPO / argv[0]
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "papersieve"]
    env = {**os.environ, "PAPERSIEVE_HOME": str(papersieve_home)}
    done = subprocess.run(
        [*command, *argv[1:]], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    digests = list(papersieve_home.rglob("*.md"))
    assert digests, f"demo wrote no Markdown digest under {papersieve_home}: {done.stdout}"
    assert any("# Personalized Daily ArXiv Papers 2025-07-03" in p.read_text("utf-8") for p in digests)
