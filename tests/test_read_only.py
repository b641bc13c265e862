"""A store or profile folder on a read-only disk (a mounted backup, a CI cache, a shared drive):
commands that only read still work, and writing is one clear line (issue 17: `db`, `feedback`
and `serve` failed with "unable to open database file", `init` with an OSError traceback).

The read-only disks are real tmpfs mounts remounted read-only (the tests run as root in the
project's sandbox and CI, where chmod would not stop root); without mounting they are skipped.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from papersieve.cli.main import main
from papersieve.web.app import create_app
from tests.webdata import DAYS, build_store


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@contextmanager
def read_only_disk(path: Path) -> Iterator[Callable[[], bool]]:
    """A tmpfs at `path`; call the yielded function to make it read-only."""
    path.mkdir(parents=True, exist_ok=True)
    if not _mount("-t", "tmpfs", "-o", "size=50m", "tmpfs", str(path)):
        pytest.skip("mounting a tmpfs is not allowed on this machine")
    try:
        yield lambda: _mount("-o", "remount,ro", str(path))
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@pytest.fixture
def read_only_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A real store with one like, on a disk made read-only; PAPERSIEVE_DB points at it."""
    disk = tmp_path / "disk"
    with read_only_disk(disk) as make_read_only:
        path = disk / "papersieve.db"
        data = build_store(path, hostile=False)
        liked = data.picks[DAYS[-1].isoformat()][0]
        monkeypatch.setenv("PAPERSIEVE_DB", str(path))
        main(["like", liked])
        assert make_read_only()
        yield path, liked


def test_db_and_feedback_read_a_store_on_a_read_only_disk(
        read_only_store: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, liked = read_only_store
    capsys.readouterr()
    main(["db"])
    out = capsys.readouterr().out
    assert f"Store: {path}\n" in out and "papers liked or disliked now: 1\n" in out
    main(["feedback"])
    assert re.match(rf"\+1 {re.escape(liked)} ", capsys.readouterr().out)


@pytest.mark.sqlite_only(reason="a SQLite file on a read-only disk")
def test_serve_reads_a_store_on_a_read_only_disk(read_only_store: tuple[Path, str]) -> None:
    path, liked = read_only_store
    app = create_app(path, token="")
    assert app.state.stores.read_only
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        page = client.get("/")
        assert page.status_code == 200 and f"/paper/{liked}" in page.text
        assert client.get("/search", params={"q": "learning"}).status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        like = client.post("/feedback", data={"paper_id": liked, "label": "dislike"},
                           headers={"X-CSRF-Token": csrf.group(1), "HX-Request": "true"})
    assert like.status_code == 400 and "readonly database" in like.text


def test_writing_to_a_store_on_a_read_only_disk_is_one_line(
        read_only_store: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, liked = read_only_store
    with pytest.raises(SystemExit) as stop:
        main(["dislike", liked])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err == (f"error: cannot open the store at {path}: unable to open database file"
                   " (this command writes to it, and it is read-only here)\n")


def test_init_into_a_read_only_folder_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    disk = tmp_path / "disk"
    with read_only_disk(disk) as make_read_only:
        assert make_read_only()
        with pytest.raises(SystemExit) as stop:
            main(["init", str(disk / "profile")])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        f"error: {disk / 'profile'}: cannot write the profile (Read-only file system)\n")
