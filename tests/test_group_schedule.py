"""A group's schedule (issue 19): once the store holds stored profiles, the cron lines and systemd
units `init` writes, the lines `profile add` prints and the GitHub workflow run `run --all`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli
from papersieve.profile import init_profile
from tests.test_workflow_steps import _run, _step, _workflow

SCRIPT = Path(sys.executable).parent / "papersieve"
EXECUTABLE = str(SCRIPT) if SCRIPT.is_file() else "papersieve"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_first_stored_profile_prints_the_groups_cron_lines(tmp_path: Path,
                                                               papersieve_home: Path) -> None:
    folder = init_profile(tmp_path / "alice")
    first = invoke("profile", "add", "alice", str(folder)).splitlines()
    assert first[1] == ("Run every stored profile with `papersieve run --all` (one fetch for all);"
                        " schedule it with cron (UTC, Monday to Friday):")
    assert first[2] == "CRON_TZ=UTC"
    assert first[3] == (f"17 6 * * 1-5 PAPERSIEVE_HOME={papersieve_home} {EXECUTABLE} run --all"
                        f" >> {papersieve_home / 'run.log'} 2>&1")
    second = invoke("profile", "add", "bob", str(folder)).splitlines()
    assert second[1:] == ["The store holds 2 profiles: `papersieve run --all` runs them all."]


def test_init_schedules_run_all_once_the_store_holds_profiles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alone = invoke("init", str(tmp_path / "me"))
    assert f"run --profile {tmp_path / 'me'} >>" in alone and "run --all" not in alone
    invoke("profile", "add", "alice", str(tmp_path / "me"))
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    grouped = invoke("init", "--systemd", str(tmp_path / "dan"))
    assert "The store holds stored profiles: the schedule below runs them all" in grouped
    assert f"{EXECUTABLE} run --all >>" in grouped and "run --profile" not in grouped.split("cron")[1]
    service = (config / "systemd" / "user" / "papersieve-group.service").read_text("utf-8")
    assert f"ExecStart={EXECUTABLE} run --all\n" in service


def test_the_workflow_stores_each_members_folder_and_runs_them_all(tmp_path: Path) -> None:
    text = _workflow(tmp_path)
    _, script = _step(text, "Run the day")
    for name in ("alice", "bob"):
        (tmp_path / "profiles" / name).mkdir(parents=True)
        (tmp_path / "profiles" / name / "profile.toml").write_text("", "utf-8")
    output = tmp_path / "out.txt"
    done, calls = _run(script, tmp_path, {"DATE": "", "GITHUB_OUTPUT": str(output)})
    assert done.returncode == 0, done.stderr
    assert calls == ("papersieve profile add alice profiles/alice/ --replace\n"
                     "papersieve profile add bob profiles/bob/ --replace\n"
                     "papersieve run --all --out state/site\n")
    _, rebuild = _step(text, "Rebuild the store from the site after a cache eviction")
    (tmp_path / "state" / "site" / "alice").mkdir(parents=True)
    (tmp_path / "calls.log").unlink()
    done, calls = _run(rebuild, tmp_path, {})
    assert done.returncode == 0, done.stderr
    assert calls == "papersieve db --from-site state/site/alice/\n"
    _, check = _step(text, "Check for a site to publish")
    (tmp_path / "state" / "site" / "alice" / "index.html").write_text("<p>day</p>", "utf-8")
    output.write_text("", "utf-8")
    done, _ = _run(check, tmp_path, {"GITHUB_OUTPUT": str(output)})
    assert output.read_text("utf-8") == "ready=true\n"


def test_a_members_invalid_folder_does_not_stop_the_groups_run(tmp_path: Path) -> None:
    _, script = _step(_workflow(tmp_path), "Run the day")
    (tmp_path / "profiles" / "alice").mkdir(parents=True)
    (tmp_path / "profiles" / "alice" / "profile.toml").write_text("", "utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    (bin_dir / "papersieve").write_text(
        f'#!/bin/sh\necho "papersieve $*" >> "{log}"\n[ "$1" = profile ] && exit 2\nexit 0\n', "utf-8")
    (bin_dir / "papersieve").chmod(0o755)
    output = tmp_path / "out.txt"
    done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path, env={"PATH": f"{bin_dir}:{os.defpath}",
                                                          "GITHUB_OUTPUT": str(output)})
    assert done.returncode == 0, done.stderr
    assert "::error::profiles/alice is not a valid profile: its stored copy runs" in done.stdout
    assert log.read_text("utf-8").endswith("papersieve run --all --out state/site\n")
    assert output.read_text("utf-8") == "exit-code=0\n"


def test_storing_the_same_folder_again_is_no_new_revision(tmp_path: Path) -> None:
    """The workflow stores every member's folder on every run: a revision only when it changed."""
    folder = init_profile(tmp_path / "alice")
    invoke("profile", "add", "alice", str(folder))
    assert "(revision 1)" in invoke("profile", "add", "alice", str(folder), "--replace")
    (folder / "topics.txt").write_text("1. Something else\n", "utf-8")
    assert "(revision 2)" in invoke("profile", "add", "alice", str(folder), "--replace")
