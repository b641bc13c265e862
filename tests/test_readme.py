"""The README's quick start stays true: it is `make demo` and `make test`, CI runs the same
`make test`, and both commands work from a fresh clone (a slow test below runs them there)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

STAMP = ".papersieve-installed"


def quick_start() -> list[str]:
    """The commands of the README's quick-start block, comments stripped."""
    text = (REPO / "README.md").read_text("utf-8")
    block = re.search(r"## Quick start\n\n```sh\n(.*?)```", text, re.S)
    assert block, "README has no quick-start block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands() -> None:
    assert quick_start() == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    _, test = quick_start()
    assert test in [line.split("#")[0].strip() for line in ci.splitlines()]


def _make(args: list[str], cwd: Path, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_make_demo_runs_the_demo(papersieve_home: Path) -> None:
    """`make demo` in this checkout, with the virtualenv running these tests taken as installed
    (`make -o STAMP` skips the install step, which the fresh-clone test below covers)."""
    venv = Path(sys.prefix)
    env = {**os.environ, "PAPERSIEVE_HOME": str(papersieve_home)}
    done = _make(["demo", f"VENV={venv}", "-o", str(venv / STAMP)], REPO, env, 300)
    assert done.returncode == 0, done.stderr
    assert "pip install" not in done.stdout
    digests = list(papersieve_home.rglob("*.md"))
    assert any("# Personalized Daily ArXiv Papers 2025-07-03" in p.read_text("utf-8") for p in digests)


def _fresh_clone(target: Path) -> Path:
    """The files of this checkout that git tracks or would add (not the ignored ones: .venv,
    caches), laid out as `git clone` would: the code under test, uncommitted edits included."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True)
    for name in listed.stdout.decode("utf-8").split("\0"):
        source = REPO / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.mark.slow
def test_make_demo_and_make_test_from_a_fresh_clone(tmp_path: Path, papersieve_home: Path) -> None:
    """Both quick-start commands in a fresh clone: the first creates .venv and installs the
    package with its dev extras (pip reaches the package index the machine is configured with:
    the one outside call in the suite), the second reuses it. Inside, `make test` runs ruff and
    mypy over the whole clone but pytest on two small files only (PYTEST_ARGS), so the suite does
    not run itself recursively; the whole suite is what CI's own `make test` runs."""
    if shutil.which("make") is None or not (REPO / ".git").exists():
        pytest.skip("needs make and a git checkout")
    clone = _fresh_clone(tmp_path / "clone")
    env = {**os.environ, "PAPERSIEVE_HOME": str(papersieve_home)}
    env.pop("VIRTUAL_ENV", None)
    demo = _make(["demo"], clone, env, 900)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "pip install" in demo.stdout and (clone / ".venv" / STAMP).is_file()
    assert "Digest: " in demo.stdout
    tests = _make(["test", "PYTEST_ARGS=tests/test_ids.py tests/test_seed_digest.py"], clone, env, 900)
    assert tests.returncode == 0, tests.stdout[-2000:] + tests.stderr[-2000:]
    assert "pip install" not in tests.stdout, "the second command reinstalled everything"
    assert re.search(r"^\d+ passed", tests.stdout, re.M), tests.stdout[-2000:]
