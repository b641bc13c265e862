"""`papersieve init` writes a GitHub Actions workflow that a linter accepts, and a cron line."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from papersieve.cli.main import cli

CHECKER = Path(sys.executable).parent / "check-jsonschema"


def test_init_writes_a_valid_workflow_and_prints_the_cron_line(
    tmp_path: Path, papersieve_home: Path,
) -> None:
    folder = tmp_path / "me"
    result = CliRunner().invoke(cli, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    workflow = folder / ".github" / "workflows" / "papersieve.yml"
    assert f"GitHub Actions workflow: {workflow}" in result.output
    script = Path(sys.executable).parent / "papersieve"
    executable = str(script) if script.is_file() else "papersieve"
    for when in ("17 6", "43 15"):
        assert f"{when} * * 1-5 PAPERSIEVE_HOME={papersieve_home} {executable} run --profile {folder}" \
            f" >> {papersieve_home / 'run.log'} 2>&1" in result.output
    lint = subprocess.run([str(CHECKER), "--builtin-schema", "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_workflow_runs_after_the_announcement_and_keeps_state_and_secrets_right(
    tmp_path: Path,
) -> None:
    CliRunner().invoke(cli, ["init", str(tmp_path / "me")])
    text = (tmp_path / "me" / ".github" / "workflows" / "papersieve.yml").read_text("utf-8")
    assert re.findall(r'cron: "(.*)"', text) == ["17 6 * * 1-5", "43 15 * * 1-5"]
    assert "papersieve run --profile . --out state/site" in text
    assert "git push" not in text and "contents: write" not in text
    assert "actions/deploy-pages@" in text and "actions/upload-pages-artifact@" in text
    for secret in ("OPENAI_API_KEY", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SMTP_USER", "SMTP_PASSWORD"):
        assert f"{secret}: ${{{{ secrets.{secret} }}}}" in text
    assert not re.search(r"sk-[A-Za-z0-9]", text)


def test_init_keeps_an_edited_workflow_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "me"
    CliRunner().invoke(cli, ["init", str(folder)])
    workflow = folder / ".github" / "workflows" / "papersieve.yml"
    workflow.write_text("edited", "utf-8")
    (folder / "profile.toml").unlink()
    CliRunner().invoke(cli, ["init", str(folder)])
    assert workflow.read_text("utf-8") == "edited"
    CliRunner().invoke(cli, ["init", "--force", str(folder)])
    assert workflow.read_text("utf-8").startswith("# papersieve")


def test_the_cron_line_runs_this_installation_on_this_home(tmp_path: Path, papersieve_home: Path) -> None:
    """cron's bare environment: the printed command works with no PATH and no PAPERSIEVE_HOME."""
    folder = tmp_path / "me"
    result = CliRunner().invoke(cli, ["init", str(folder)])
    line = result.output.splitlines()[-1]
    assign, executable, *rest = shlex.split(line.split(" >> ")[0])[5:]
    assert rest == ["run", "--profile", str(folder)]
    done = subprocess.run(["/bin/sh", "-c", shlex.join([assign, executable, "db"])], env={},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert f"Store: {papersieve_home / 'papersieve.db'}" in done.stdout
