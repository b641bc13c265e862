"""A store whose pages are damaged on disk (a bad sector, a copy cut short, a careless edit): every
command ends with one line naming the store, never a traceback. Built by overwriting pages of a
real store (issue 17: UnicodeDecodeError from every command, `papersieve db` included)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from papersieve.cli.main import main
from tests.conftest import DATA
from tests.webdata import DAYS, build_store

CANDIDATES = str(DATA / "candidates")
COMMANDS = {
    "db": ["db"],
    "feedback": ["feedback"],
    "like": ["like", "2507.00001"],
    "run": ["run", "--offline", CANDIDATES, "--date", "2025-07-03", "--no-deliver"],
    "fetch": ["fetch", "--offline", CANDIDATES, "--date", "2025-07-03"],
    "rerun": ["run", "--date", DAYS[-1].isoformat(), "--no-deliver"],  # reads the stored day
}
MUST_FAIL = {  # (damage, command) pairs that read what is damaged, so they cannot succeed
    *(("schema", command) for command in COMMANDS), ("text", "rerun"), ("pages", "rerun"),
    ("pages", "run"),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damage") / "store.db"
    build_store(path, hostile=False)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def pages_of(path: Path, *tables: str) -> list[int]:
    """The page numbers (1-based) that hold these tables' rows."""
    with sqlite3.connect(path) as conn:
        marks = ", ".join("?" for _ in tables)
        rows = conn.execute(f"SELECT pageno FROM dbstat WHERE name IN ({marks})"
                            " AND pagetype = 'leaf'", tables)
        return sorted(int(r[0]) for r in rows)


def damage(pristine: Path, target: Path, kind: str) -> Path:
    data = bytearray(pristine.read_bytes())
    with sqlite3.connect(pristine) as conn:  # 8 KB for a store made since issue 16's session 11
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    if kind == "schema":  # the text of the schema (table definitions) no longer UTF-8
        pages = pages_of(pristine, "sqlite_schema")
    elif kind == "text":  # rows of papers and runs hold bytes that are not UTF-8
        pages = pages_of(pristine, "papers", "runs", "listings")
    else:  # "pages": whole pages of the papers table overwritten with noise
        pages = pages_of(pristine, "papers", "runs")[::2]
    rng = random.Random(17)
    for page in pages:
        start, end = (page - 1) * size, page * size
        if kind == "pages":
            data[start:end] = bytes(rng.randrange(256) for _ in range(size))
            continue
        for i in range(start + size // 2, end):
            if 97 <= data[i] <= 122:
                data[i] = 0xFF
    target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize("kind", ["schema", "text", "pages"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.sqlite_only(reason="damages a SQLite file's bytes")
def test_a_damaged_store_is_one_line_from_every_command(
        pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], kind: str, command: str) -> None:
    path = damage(pristine, tmp_path / "damaged.db", kind)
    monkeypatch.setenv("PAPERSIEVE_DB", str(path))
    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    with pytest.raises(SystemExit) as stop:
        main(COMMANDS[command])
        raise SystemExit(0)  # the command read nothing damaged: fine too, if it said nothing odd
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert stop.value.code == 2 or (kind, command) not in MUST_FAIL
    if stop.value.code != 0:
        assert stop.value.code == 2
        last = err.splitlines()[-1]
        assert last.startswith("error: ") and str(path) in last, err
        assert "damaged" in last or "malformed" in last, last


@pytest.mark.sqlite_only(reason="damages a SQLite file's bytes")
def test_db_names_the_damage(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """`papersieve db`, the command a user runs to look at the store, says it is damaged."""
    path = damage(pristine, tmp_path / "damaged.db", "schema")
    monkeypatch.setenv("PAPERSIEVE_DB", str(path))
    with pytest.raises(SystemExit) as stop:
        main(["db"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and str(path) in err
