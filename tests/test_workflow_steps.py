"""The shell steps of the workflow `papersieve init` writes, run by bash as GitHub Actions would.

`python` and `papersieve` are small scripts on PATH that record their arguments: the steps are
ours, the tools they call are not under test here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

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


# --- the workflow as GitHub reads it: jobs, permissions, secrets, pins --------------------------


def _parsed(tmp_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(_workflow(tmp_path))
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def test_secrets_reach_only_the_step_that_runs_papersieve(tmp_path: Path) -> None:
    """`pip install` runs a package's build code: no secret may be in its environment."""
    workflow = _parsed(tmp_path)
    assert "secrets." not in json.dumps(workflow.get("env", {}))
    holders = []
    for job_name, job in workflow["jobs"].items():
        assert "secrets." not in json.dumps(job.get("env", {})), job_name
        for step in _steps(job):
            if "secrets." in json.dumps(step):
                holders.append(step.get("name"))
    assert holders == ["Run the day"]


def test_permissions_are_per_job_and_least(tmp_path: Path) -> None:
    workflow = _parsed(tmp_path)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["digest"]["permissions"] == {"contents": "read", "actions": "read"}
    assert jobs["pages"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["keepalive"]["permissions"] == {"actions": "write", "contents": "read"}
    checkout = [s for s in _steps(jobs["digest"]) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout and checkout[0]["with"]["persist-credentials"] is False


def test_actions_are_pinned_to_full_commit_shas(tmp_path: Path) -> None:
    uses = [s["uses"] for job in _parsed(tmp_path)["jobs"].values() for s in _steps(job) if "uses" in s]
    assert len(uses) == 6
    for use in uses:
        assert re.fullmatch(r"actions/[a-z-]+(/[a-z]+)?@[0-9a-f]{40}", use), use


def test_the_store_lives_in_the_cache_keyed_per_run(tmp_path: Path) -> None:
    steps = {s.get("name", s.get("uses")): s for s in _steps(_parsed(tmp_path)["jobs"]["digest"])}
    restore = steps["Restore the store and the site from the last run"]
    save = steps["Save the store and the site for the next run"]
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@")
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.run_id" in save["with"]["key"]
    assert restore["with"]["restore-keys"] == "papersieve-state-"
    assert save["if"].startswith("always()")
    assert steps["Take the site back after a cache eviction"]["if"] == \
        "steps.state.outputs.cache-matched-key == ''"
    rebuild = steps["Rebuild the store from the site after a cache eviction"]
    assert rebuild["if"] == "steps.state.outputs.cache-matched-key == ''"
    # tests/test_eviction.py runs it; a group's members (profiles/<name>) each have their own site
    # (tests/test_group_schedule.py).
    assert "\n  papersieve db --from-site state/site\n" in rebuild["run"]
    names = list(steps)
    assert names.index("Install papersieve") < names.index(
        "Rebuild the store from the site after a cache eviction") < names.index("Run the day")


# --- the run step: which exit codes still publish the site -------------------------------------


def _run_step_with_exit(tmp_path: Path, code: int) -> tuple[subprocess.CompletedProcess[str], str]:
    _, script = _step(_workflow(tmp_path), "Run the day")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "papersieve"
    fake.write_text(f"#!/bin/sh\nexit {code}\n", "utf-8")
    fake.chmod(0o755)
    output = tmp_path / "github_output"
    output.write_text("", "utf-8")
    done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path,
                          env={"PATH": f"{bin_dir}:{os.defpath}", "GITHUB_OUTPUT": str(output)})
    return done, output.read_text("utf-8")


@pytest.mark.parametrize("code", [0, 3, 4, 5])
def test_stale_feed_failed_delivery_and_partial_judging_do_not_fail_the_step(
    tmp_path: Path, code: int,
) -> None:
    done, output = _run_step_with_exit(tmp_path, code)
    assert done.returncode == 0, done.stdout + done.stderr
    assert output == f"exit-code={code}\n"
    if code:
        assert "::warning::" in done.stdout


@pytest.mark.parametrize("code", [1, 2, 130])
def test_an_error_fails_the_step(tmp_path: Path, code: int) -> None:
    done, output = _run_step_with_exit(tmp_path, code)
    assert done.returncode == code
    assert output == f"exit-code={code}\n"


def test_the_site_is_published_whatever_the_run_exit_code_when_a_digest_exists(tmp_path: Path) -> None:
    text = _workflow(tmp_path)
    workflow: dict[str, Any] = YAML(typ="safe").load(text)
    digest = {s.get("name", s.get("uses")): s for s in _steps(workflow["jobs"]["digest"])}
    upload = next(s for s in digest.values() if s.get("uses", "").startswith(
        "actions/upload-pages-artifact@"))
    assert upload["if"] == "always() && steps.site.outputs.ready == 'true'"
    assert upload["with"]["retention-days"] == 90  # the action's default, 1 day, is too short
    assert digest["Check for a site to publish"]["if"] == "always()"
    assert workflow["jobs"]["pages"]["if"] == "always() && needs.digest.outputs.site == 'true'"
    _, script = _step(text, "Check for a site to publish")
    for present, expected in ((False, "ready=false\n"), (True, "ready=true\n")):
        if present:
            (tmp_path / "state" / "site").mkdir(parents=True)
            (tmp_path / "state" / "site" / "index.html").write_text("<p>day</p>", "utf-8")
        output = tmp_path / "out.txt"
        output.write_text("", "utf-8")
        done, _ = _run(script, tmp_path, {"GITHUB_OUTPUT": str(output)})
        assert done.returncode == 0, done.stderr
        assert output.read_text("utf-8") == expected


# --- cache evicted: the site comes back from the last successful run's Pages artifact -----------

FAKE_GH = """#!/bin/sh
echo "gh $*" >> "{log}"
case "$1 $2" in
  "run list") printf '%s\\n' {ids} ;;
  "run download")
    [ "$3" = "{good}" ] || exit 1
    dir=""; while [ $# -gt 0 ]; do [ "$1" = "--dir" ] && dir="$2"; shift; done
    mkdir -p "$dir" && cp "{tar}" "$dir/artifact.tar" ;;
  *) exit 2 ;;
esac
"""


def _fake_gh(tmp_path: Path, ids: list[int], good: int) -> Path:
    site = tmp_path / "published"
    (site / "2026-03").mkdir(parents=True)
    (site / "index.html").write_text("<p>archive</p>", "utf-8")
    (site / "2026-03" / "2026-03-05.json").write_text("{}", "utf-8")
    tar = tmp_path / "artifact.tar"
    with tarfile.open(tar, "w") as archive:
        for path in sorted(site.rglob("*")):
            archive.add(path, arcname=str(path.relative_to(site)), recursive=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.format(log=tmp_path / "gh.log", ids=" ".join(map(str, ids)), good=good,
                                 tar=tar), "utf-8")
    gh.chmod(0o755)
    return gh


def test_after_an_eviction_the_site_comes_back_from_the_last_pages_artifact(tmp_path: Path) -> None:
    _, script = _step(_workflow(tmp_path), "Take the site back after a cache eviction")
    _fake_gh(tmp_path, [903, 902, 901], good=902)  # the newest run's artifact has expired
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    done, _ = _run(script, tmp_path, {"RUNNER_TEMP": str(runner_temp)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "site taken back from run 902" in done.stdout
    assert (tmp_path / "state" / "site" / "index.html").read_text("utf-8") == "<p>archive</p>"
    assert (tmp_path / "state" / "site" / "2026-03" / "2026-03-05.json").exists()
    assert not (tmp_path / "state" / "papersieve.db").exists()


def test_after_an_eviction_with_no_earlier_site_the_run_starts_from_nothing(tmp_path: Path) -> None:
    _, script = _step(_workflow(tmp_path), "Take the site back after a cache eviction")
    _fake_gh(tmp_path, [], good=0)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    done, _ = _run(script, tmp_path, {"RUNNER_TEMP": str(runner_temp)})
    assert done.returncode == 0, done.stderr
    assert "starting from nothing" in done.stdout
    assert list((tmp_path / "state" / "site").iterdir()) == []


# --- keep-alive: GitHub disables a schedule after 60 days without activity ---------------------

FAKE_GH_API = """#!/bin/sh
echo "gh $*" >> "{log}"
case "$*" in
  *commits*) echo "{last}" ;;
  *) : ;;
esac
"""


@pytest.mark.parametrize(("age_days", "enabled"), [(10, False), (49, False), (50, True), (200, True)])
def test_keepalive_enables_the_workflow_again_once_the_last_commit_is_50_days_old(
    tmp_path: Path, age_days: int, enabled: bool,
) -> None:
    _, script = _step(_workflow(tmp_path), "Keep the schedule enabled")
    last = (dt.datetime.now(dt.UTC) - dt.timedelta(days=age_days, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH_API.format(log=tmp_path / "gh.log", last=last), "utf-8")
    gh.chmod(0o755)
    done, _ = _run(script, tmp_path, {"GH_REPO": "me/sieve", "KEEPALIVE_DAYS": "50"})
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "gh.log").read_text("utf-8")
    enable = "gh api --method PUT repos/me/sieve/actions/workflows/papersieve.yml/enable"
    assert (enable in calls) is enabled
    assert f"last commit {age_days} days ago" in done.stdout


def test_keepalive_runs_only_on_schedule(tmp_path: Path) -> None:
    assert _parsed(tmp_path)["jobs"]["keepalive"]["if"] == "github.event_name == 'schedule'"


# --- the linters GitHub's own users run: actionlint and zizmor ---------------------------------


@pytest.mark.parametrize("tool", ["actionlint", "zizmor"])
def test_the_workflow_passes_actionlint_and_zizmor(tmp_path: Path, tool: str) -> None:
    binary = Path(sys.executable).parent / tool
    if not binary.exists():
        pytest.skip(f"{tool} is not installed (it is in the dev extra)")
    workflow = tmp_path / "me" / ".github" / "workflows" / "papersieve.yml"
    _workflow(tmp_path)
    args = [str(binary), str(workflow)] if tool == "actionlint" else \
        [str(binary), "--offline", "--no-progress", "--min-severity", "low", str(workflow)]
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
