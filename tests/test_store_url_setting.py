"""`[store] url` in profile.toml selects a PostgreSQL store (issue 20); PAPERSIEVE_DB wins; a URL
with a password is refused (a secret in a file); a bad URL or an unreachable server is one line;
a password in PAPERSIEVE_DB's URL never reaches an output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papersieve.cli.main import main
from papersieve.profile.loader import init_profile
from papersieve.redact import Redactor, secret_values, url_password
from tests.pgcluster import free_port


def _profile_with_store(folder: Path, url: str) -> Path:
    init_profile(folder)
    toml = folder / "profile.toml"
    text = toml.read_text("utf-8")
    assert "\n[store]\n" in text
    toml.write_text(text.replace("\n[store]\n", f'\n[store]\nurl = "{url}"\n', 1), "utf-8")
    return folder


def _papersieve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process (its output through the redactor, as a user sees it)."""
    environ = {k: v for k, v in os.environ.items() if k != "PAPERSIEVE_DB"}
    return subprocess.run([sys.executable, "-m", "papersieve", *args], capture_output=True,
                          text=True, check=False, env={**environ, **env}, timeout=120)


@pytest.mark.postgres
def test_the_profiles_store_url_selects_postgresql(pg_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PAPERSIEVE_DB", raising=False)
    folder = _profile_with_store(tmp_path / "p", pg_url)
    main(["db", "--profile", str(folder)])
    out = capsys.readouterr().out
    assert "Store: postgresql://papersieve@127.0.0.1" in out
    assert not (Path(os.environ["PAPERSIEVE_HOME"]) / "papersieve.db").exists()


@pytest.mark.postgres
def test_the_home_profiles_store_url_serves_the_commands_without_profile(
        pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PAPERSIEVE_DB", raising=False)
    home = Path(os.environ["PAPERSIEVE_HOME"])
    _profile_with_store(home / "profile", pg_url)
    main(["profile", "add", "ada", str(home / "profile")])
    main(["profile", "list"])
    assert "ada" in capsys.readouterr().out
    assert not (home / "papersieve.db").exists()


def test_papersieve_db_wins_over_the_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # The URL names no server: were it used, the command would fail.
    folder = _profile_with_store(tmp_path / "p", f"postgresql://nobody@127.0.0.1:{free_port()}/x")
    monkeypatch.setenv("PAPERSIEVE_DB", str(tmp_path / "own.db"))
    main(["db", "--profile", str(folder)])
    assert f"Store: {tmp_path / 'own.db'}" in capsys.readouterr().out


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://ada:hunter22@db.example.org/papers", "the URL holds a password"),
    ("postgresql://ada@db.example.org/papers?password=hunter22", "the URL holds a password"),
    ("sqlite:///tmp/x.db", "not a PostgreSQL URL"),
    ("postgresql://ada@db.example.org:54x2/papers", "malformed PostgreSQL URL"),
    ("postgresql://ada@[::1/papers", "malformed PostgreSQL URL"),
])
def test_a_bad_store_url_is_one_line_naming_the_key(url: str, message: str, tmp_path: Path) -> None:
    folder = _profile_with_store(tmp_path / "p", url)
    done = _papersieve("db", "--profile", str(folder), PAPERSIEVE_HOME=str(tmp_path / "home"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr and "store.url" in done.stderr
    assert "hunter22" not in done.stderr + done.stdout
    assert not (tmp_path / "home" / "papersieve.db").exists()


def test_profile_add_refuses_a_store_url_naming_another_store(tmp_path: Path) -> None:
    """A stored profile lives in the store it is added to and runs there: its folder's `[store]
    url` naming another store was silently ignored (the profile filed where its owner did not
    mean it). One line naming the key and both stores; nothing stored."""
    elsewhere = f"postgresql://ada@127.0.0.1:{free_port()}/papers"
    folder = _profile_with_store(tmp_path / "p", elsewhere)
    ours = {"PAPERSIEVE_DB": os.environ["PAPERSIEVE_DB"]} if os.environ.get("PAPERSIEVE_DB") else {}
    done = _papersieve("profile", "add", "ada", str(folder), **ours)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: {folder / 'profile.toml'}: store.url: names {elsewhere},"
                                  " but a stored profile lives in the store it is added to (")
    assert done.stderr.count("\n") == 1 and "PAPERSIEVE_DB=URL papersieve profile add" in done.stderr
    listed = _papersieve("profile", "list", **ours)
    assert listed.returncode == 0 and "No stored profiles" in listed.stdout, listed.stderr


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://ada@127.0.0.1:{free_port()}/papers"
    folder = _profile_with_store(tmp_path / "p", url)
    done = _papersieve("db", "--profile", str(folder), PAPERSIEVE_HOME=str(tmp_path / "home"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot open the store at {url}: connection failed")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_a_password_in_papersieve_db_never_reaches_the_output(tmp_path: Path) -> None:
    # libpq quotes a malformed URL whole in its error, password included.
    done = _papersieve("db", PAPERSIEVE_HOME=str(tmp_path),
                       PAPERSIEVE_DB="postgresql://ada:hunter22@[::1/papers")
    assert done.returncode == 2
    assert "hunter22" not in done.stderr + done.stdout
    assert "[redacted PAPERSIEVE_DB]" in done.stderr


@pytest.mark.parametrize(("url", "password"), [
    ("postgresql://ada:hunter22@db/papers", "hunter22"),
    ("postgres://ada:hun%40ter22@db:5432/papers", "hun%40ter22"),
    ("postgresql://ada@db/papers?sslmode=require&password=hunter22", "hunter22"),
    ("postgresql://ada:hunter22@[::1/papers", "hunter22"),
    ("postgresql://ada@db/papers", ""),
    ("/home/ada/papersieve.db", ""),
])
def test_url_password(url: str, password: str) -> None:
    assert url_password(url) == password


def test_the_redactor_knows_the_store_urls_password_and_pgpassword() -> None:
    secrets = secret_values({"PAPERSIEVE_DB": "postgresql://ada:hun%40ter22@db/p",
                             "PGPASSWORD": "s3cret-pg"})
    redact = Redactor(secrets)
    assert redact("a hun%40ter22 b hun@ter22 c s3cret-pg") == (
        "a [redacted PAPERSIEVE_DB] b [redacted PAPERSIEVE_DB] c [redacted PGPASSWORD]")
