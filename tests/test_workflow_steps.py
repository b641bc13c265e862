"""The shell steps of the workflow `papersieve init` writes, run by bash as GitHub Actions would.

`python` and `papersieve` are small scripts on PATH that record their arguments: the steps are
ours, the tools they call are not under test here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from click.testing import CliRunner

from papersieve.cli.main import cli
from tests.conftest import REPO


def _workflow(tmp_path: Path) -> str:
    folder = tmp_path / "me"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    return (folder / ".github" / "workflows" / "papersieve.yml").read_text("utf-8")


def _step(text: str, name: str) -> tuple[str, str]:
    """The `env:` block and the `run:` script of the step called `name` (indentation removed)."""
    match = re.search(rf"\n      - name: {re.escape(name)}\n(.*?)(?=\n      - |\n\S|\Z)", text, re.S)
    assert match, f"no step {name!r}"
    body = match.group(1)
    run = re.search(r"\n?        run: \|?\n?(.*)", body, re.S)
    assert run, f"step {name!r} has no run script"
    script = "\n".join(line.removeprefix("          ") for line in run.group(1).splitlines())
    return body[: run.start()], script


def _run(script: str, tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run `script` with bash; returns the result and the argument lines the recorders saw."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for tool in ("python", "papersieve"):
        recorder = bin_dir / tool
        recorder.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n', "utf-8")
        recorder.chmod(0o755)
    done = subprocess.run(["bash", "-e", "-c", script], env={"PATH": f"{bin_dir}:{os.defpath}", **env},
                          capture_output=True, text=True, timeout=60, check=False,
                          cwd=tmp_path)
    return done, log.read_text("utf-8") if log.exists() else ""


def test_install_has_no_pypi_default_and_says_what_to_set(tmp_path: Path) -> None:
    """papersieve is not on PyPI: a bare `pip install papersieve` fails, or installs a stranger's."""
    env_block, script = _step(_workflow(tmp_path), "Install papersieve")
    assert "PAPERSIEVE_PACKAGE: ${{ vars.PAPERSIEVE_PACKAGE }}" in env_block
    done, calls = _run(script, tmp_path, {"PAPERSIEVE_PACKAGE": ""})
    assert done.returncode != 0
    assert "::error::set the repository variable PAPERSIEVE_PACKAGE" in done.stdout
    assert calls == ""


def test_install_installs_the_configured_requirement(tmp_path: Path) -> None:
    _, script = _step(_workflow(tmp_path), "Install papersieve")
    requirement = "papersieve @ git+https://github.com/me/papersieve@abc123"
    done, calls = _run(script, tmp_path, {"PAPERSIEVE_PACKAGE": requirement})
    assert done.returncode == 0, done.stderr
    assert calls == f"python -m pip install {requirement}\n"


def test_the_date_input_reaches_run_as_one_argument_not_as_script(tmp_path: Path) -> None:
    env_block, script = _step(_workflow(tmp_path), "Run the day")
    assert "DATE: ${{ inputs.date }}" in env_block and "${{" not in script
    _, calls = _run(script, tmp_path, {"DATE": ""})
    assert calls == "papersieve run --profile . --out state/site\n"
    (tmp_path / "calls.log").unlink()
    _, calls = _run(script, tmp_path, {"DATE": "2025-07-03; touch pwned"})
    assert calls == "papersieve run --profile . --out state/site --date 2025-07-03; touch pwned\n"
    assert not (tmp_path / "pwned").exists()


def test_init_and_the_readme_say_the_workflow_needs_papersieve_package(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "me")])
    assert "set its variable PAPERSIEVE_PACKAGE" in result.output
    scheduling = (REPO / "README.md").read_text("utf-8").split("## Scheduling", 1)[1].split("\n## ")[0]
    assert "`PAPERSIEVE_PACKAGE`" in scheduling
