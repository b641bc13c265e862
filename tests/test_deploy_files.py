"""compose.yaml, the Dockerfile, deploy/scheduler.sh and .env.example against the code.

Docker is not available on the build machine (no daemon, no `docker compose` plugin, no
hadolint), so nothing here builds the image or starts the services. Instead every part of the
deployment files is checked against what the tests exercise elsewhere: each papersieve command
line parses with the CLI's own options, `ray start`'s with Ray's, every environment variable set
for papersieve is one it reads, no secret value is in any file, the extras exist in
pyproject.toml, Ray is the pinned version, and the scheduler loop runs at schedule.RUN_TIMES_UTC.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from papersieve.cli.main import cli
from papersieve.redact import SECRET_ENV
from papersieve.schedule import RUN_TIMES_UTC

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEDULER = ROOT / "deploy" / "scheduler.sh"
ENV_EXAMPLE = ROOT / ".env.example"
PAPERSIEVE_SERVICES = ("web", "scheduler", "ray-head")
LIBPQ_ENV = {"PGPASSWORD"}
"""Read by libpq (psycopg) on papersieve's behalf: README "PostgreSQL"."""
PYTHON_ENV = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
              "PIP_DISABLE_PIP_VERSION_CHECK"}
"""The Dockerfile's settings for Python and pip themselves."""
SECRETS = set(SECRET_ENV) | LIBPQ_ENV | {"POSTGRES_PASSWORD"}


def compose() -> dict[str, Any]:
    data = YAML(typ="safe").load(COMPOSE.read_text())  # resolves the `<<: *papersieve` merges
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert isinstance(services[name], dict)
    return services[name]  # type: ignore[no-any-return]


def parse_papersieve(args: list[str]) -> click.Context:
    """The context the CLI makes for `papersieve ARGS` (options and arguments checked, nothing run)."""
    command: click.Command = cli
    name = "papersieve"
    while isinstance(command, click.Group):
        if not args:
            raise click.UsageError(f"{name}: no subcommand")
        sub = command.get_command(click.Context(command), args[0])
        if sub is None:
            raise click.UsageError(f"no command {args[0]!r} in {name}")
        command, name, args = sub, args[0], args[1:]
    return command.make_context(name, list(args))


def papersieve_lines() -> list[list[str]]:
    """Every papersieve command line in the deployment files and the README's compose section."""
    lines = [service(s)["command"][1:] for s in PAPERSIEVE_SERVICES
             if service(s)["command"][0] == "papersieve"]
    for line in SCHEDULER.read_text().splitlines():
        if line.strip().startswith("papersieve "):
            lines.append(shlex.split(line)[1:])
    for words in re.findall(r"docker compose (?:run --rm|exec) \w+ papersieve ([^\n#`]+)",
                            readme_section()):
        lines.append(shlex.split(words))
    return lines


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^### Deployment \(compose\)\n(.*?)(?=^##)", text, re.M | re.S)
    assert match, "README has no 'Deployment (compose)' section"
    return match.group(1)


def read_by_papersieve(name: str) -> bool:
    """`name` is an environment variable papersieve's code reads (it names it as a string)."""
    quoted = (f'"{name}"', f"'{name}'")
    return any(q in path.read_text() for path in (ROOT / "src" / "papersieve").rglob("*.py")
               for q in quoted)


def env_example() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return {k: v for k, v in pairs}


def dockerfile_lines() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_every_papersieve_command_line_parses_with_the_cli() -> None:
    lines = papersieve_lines()
    assert ["serve", "--group", "--host", "0.0.0.0", "--port", "8000"] in lines
    assert ["run", "--all", "--ray", "auto"] in lines
    assert any(line[:3] == ["user", "add", "--admin"] for line in lines)
    for args in lines:
        ctx = parse_papersieve(args)
        assert ctx.command.callback is not None
    with pytest.raises(click.UsageError):  # the check fails on an option the CLI lacks
        parse_papersieve(["serve", "--group", "--hots", "0.0.0.0"])


def test_ray_start_lines_parse_with_rays_own_cli() -> None:
    from ray.scripts.scripts import start

    head = service("ray-head")["command"]
    assert head[:2] == ["ray", "start"] and "--head" in head and "--block" in head
    start.make_context("start", head[2:])
    joins = [shlex.split(line.strip().replace('"$1"', "HEAD:6379").split("||")[0])
             for line in SCHEDULER.read_text().splitlines() if line.strip().startswith("ray start")]
    assert joins == [["ray", "start", "--address=HEAD:6379"]]
    start.make_context("start", joins[0][2:])
    with pytest.raises(click.UsageError):
        start.make_context("start", ["--heda"])
    # The scheduler joins the head at the port the head listens on, by its service name.
    port = next(a.split("=", 1)[1] for a in head if a.startswith("--port="))
    assert service("scheduler")["command"] == ["papersieve-scheduler", f"ray-head:{port}"]


def test_every_variable_set_for_papersieve_is_one_it_reads() -> None:
    readme = (ROOT / "README.md").read_text()
    names: set[str] = set(env_example())
    for name in PAPERSIEVE_SERVICES:
        names |= set(service(name)["environment"])
        assert service(name)["env_file"] == ".env"
    assert {"PAPERSIEVE_DB", "PAPERSIEVE_HOME", "PAPERSIEVE_SESSION_KEY", "PGPASSWORD"} <= names
    for name in names - LIBPQ_ENV:
        assert read_by_papersieve(name), name
        assert f"`{name}`" in readme, f"{name} is not in the README"
    assert not read_by_papersieve("PAPERSIEVE_NO_SUCH_SETTING")
    docker_env = {m for line in dockerfile_lines() if line.startswith("ENV ")
                  for m in re.findall(r"(\w+)=", line)}
    assert "PAPERSIEVE_HOME" in docker_env
    for name in docker_env - PYTHON_ENV:
        assert read_by_papersieve(name), name
    db = service("web")["environment"]["PAPERSIEVE_DB"]
    assert db.startswith("postgresql://") and "@postgres:" in db


def test_no_secret_value_in_the_files() -> None:
    for name, spec in compose()["services"].items():
        for key, value in (spec.get("environment") or {}).items():
            if key in SECRETS:
                assert re.fullmatch(r"\$\{\w+(:\?[^}]*)?\}", str(value)), (name, key)
            assert not re.search(r"://[^/@\s]*:[^/@\s]*@", str(value)), (name, key)  # user:pass@
    assert service("postgres")["environment"]["POSTGRES_PASSWORD"].startswith("${PGPASSWORD")
    for key, value in env_example().items():
        assert value == "", key
    assert set(env_example()) & SECRETS >= {"PGPASSWORD", "PAPERSIEVE_SESSION_KEY"}
    for line in dockerfile_lines():
        assert not any(secret in line for secret in SECRETS), line
        if line.startswith("COPY "):
            sources = line.split()[1:-1]
            assert set(sources) <= {"pyproject.toml", "README.md", "src", "deploy/scheduler.sh"}
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()


def test_the_image_installs_existing_extras_and_the_pinned_ray() -> None:
    import ray

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    installs = [line for line in dockerfile_lines() if "pip install" in line]
    assert len(installs) == 1
    wanted = re.search(r"\.\[([\w,-]+)\]", installs[0])
    assert wanted, installs[0]
    assert set(wanted.group(1).split(",")) == {"postgres", "ray"}
    assert set(wanted.group(1).split(",")) <= set(extras)
    pins = {d.split("==", 1)[1] for d in extras["ray"] + extras["dev"] if d.startswith("ray==")}
    assert pins == {ray.__version__}  # the tests run the version the image installs
    assert not re.search(r"\bray[=<>~]", " ".join(installs))  # no second pin in the Dockerfile
    # One image for the three papersieve services, so `ray start` is that pinned Ray.
    for name in PAPERSIEVE_SERVICES:
        assert service(name)["build"] == "." and service(name)["image"] == "papersieve:local"
    lines = dockerfile_lines()
    assert lines[0] == "FROM python:3.11-slim"
    user = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    assert "COPY deploy/scheduler.sh /usr/local/bin/papersieve-scheduler" in lines


def test_postgres_is_checked_before_the_others_start() -> None:
    postgres = service("postgres")
    assert postgres["image"].startswith("postgres:")
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    for name in PAPERSIEVE_SERVICES:
        assert service(name)["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_the_scheduler_runs_at_the_schedules_times(tmp_path: Path) -> None:
    declared = re.search(r'^RUN_TIMES="([^"]*)"$', SCHEDULER.read_text(), re.M)
    assert declared
    assert declared.group(1).split() == [f"{t:%H:%M}" for t in RUN_TIMES_UTC]
    # The loop itself, with stand-ins for date (a list of instants), sleep (ends the loop when
    # the list is used up), ray and papersieve (both record their arguments).
    instants = []
    for t in RUN_TIMES_UTC:
        before = f"{t.hour:02d}:{t.minute - 1:02d}" if t.minute else f"{t.hour - 1:02d}:59"
        instants += [f"4 {before} 2026-12-03", f"4 {t:%H:%M} 2026-12-03",
                     f"4 {t:%H:%M} 2026-12-03",   # the same minute again: no second run
                     f"6 {t:%H:%M} 2026-12-05",   # Saturday: no run
                     f"1 {t:%H:%M} 2026-12-07"]   # Monday: a run
    (tmp_path / "instants").write_text("\n".join(instants) + "\n")
    (tmp_path / "n").write_text("0")
    stubs = {
        "date": 'n=$(($(cat "$STUB/n") + 1)); echo $n > "$STUB/n"; sed -n "${n}p" "$STUB/instants"',
        "sleep": '[ "$(cat "$STUB/n")" -ge "$(wc -l < "$STUB/instants")" ] && kill -TERM $PPID; exit 0',
        "ray": 'echo "ray $*" >> "$STUB/calls"',
        "papersieve": 'echo "papersieve $* at $(sed -n "$(cat "$STUB/n")p" "$STUB/instants")"'
                      ' >> "$STUB/calls"',
    }
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in stubs.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = {**os.environ, "STUB": str(tmp_path), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    subprocess.run(["sh", str(SCHEDULER), "ray-head:6379"], env=env, timeout=60,
                   capture_output=True, check=False)
    calls = (tmp_path / "calls").read_text().splitlines()
    expected = ["ray start --address=ray-head:6379"]
    for t in RUN_TIMES_UTC:
        expected += [f"papersieve run --all --ray auto at 4 {t:%H:%M} 2026-12-03",
                     f"papersieve run --all --ray auto at 1 {t:%H:%M} 2026-12-07"]
    assert calls == expected
