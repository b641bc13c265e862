"""Broken or hand-edited JSON-lines candidate files (`run --offline`, `fetch --offline`): one clear
line naming the file and the line, nothing stored, and an id always stored without its version."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from papersieve.cli.main import main
from papersieve.errors import FeedError
from papersieve.ingest import load_offline_day
from papersieve.store import Store
from tests.conftest import DATA

DAY = dt.date(2025, 7, 2)
GOOD = DATA / "realworld" / f"arxiv-{DAY}-cs.AI.jsonl"
RECORD = {"id": "2507.00001", "title": "A title", "abstract": "Text.", "authors": ["A. Author"],
          "categories": ["cs.AI"], "announce_type": "new"}


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.conn.execute(sql)]


def day_folder(tmp_path: Path, last_line: str | bytes) -> Path:
    """A folder with the real cs.AI day whose fourth line is `last_line`."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    head = b"".join(GOOD.read_bytes().splitlines(keepends=True)[:3])
    tail = last_line if isinstance(last_line, bytes) else last_line.encode("utf-8")
    (folder / GOOD.name).write_bytes(head + tail + b"\n")
    return folder


def line(**changes: object) -> str:
    return json.dumps({**RECORD, **changes})


BAD = [
    (b"\xff\xfe\x00 not text", "not UTF-8 text (invalid start byte at byte"),
    (line(announce_type="weird"), "line 4: announce_type must be one of"),
    (line(listings=5), "line 4: listings must map categories to one of"),
    (line(listings={"cs.AI": "old"}), "line 4: listings must map categories to one of"),
    (line(categories=5), "line 4: categories must be a list of strings"),
    (line(authors="A, B"), "line 4: authors must be a list of strings"),
    (line(id="not-an-id"), "line 4: not an arXiv identifier: 'not-an-id'"),
    (line(id=2507.00001), "line 4: id must be a string"),
    (line(title=None), "line 4: title must be a non-empty string"),
    (line(abstract=["x"]), "line 4: abstract must be a string"),
    (line(version="v2"), "line 4: version must be a positive integer"),
    # Too large for SQLite: these reached the store as an OverflowError.
    (line(id="2507.00001v123456789012345678901234567890"), "line 4: arXiv version must be between"
     " 1 and 1000, not 12345678901234567890... in '2507.00001v1234"),
    ("[" * 100_000, "line 4 is not usable JSON (maximum recursion depth exceeded"),
    ('{"id": "2507.00001", "title": "t", "version": ' + "9" * 5000 + "}",
     "line 4 is not usable JSON (Exceeds the limit"),
    (line(version=123456789012345678901234567890), "line 4: arXiv version must be between 1 and"),
]


@pytest.mark.parametrize("bad, expected", BAD, ids=[b[1][:30] for b in BAD])
def test_a_bad_line_is_a_clear_error_and_stores_nothing(
    store: Store, tmp_path: Path, bad: str | bytes, expected: str
) -> None:
    load_offline_day(store, DATA / "realworld", dt.date(2025, 7, 1), ["cs.AI"])  # an earlier day
    before = rows(store, "SELECT COUNT(*) FROM papers")
    folder = day_folder(tmp_path, bad)
    with pytest.raises(FeedError) as info:
        load_offline_day(store, folder, DAY, ["cs.AI"])
    assert str(info.value).startswith(expected), str(info.value)
    assert str(info.value).endswith(f": {folder / GOOD.name}") and "\n" not in str(info.value)
    assert rows(store, "SELECT requested_date FROM listings") == [("2025-07-01",)]
    assert rows(store, "SELECT COUNT(*) FROM papers") == before


def test_the_cli_prints_one_line_for_a_bad_file(tmp_path: Path) -> None:
    folder = day_folder(tmp_path, line(announce_type="weird"))
    args = ["run", "--date", str(DAY), "--offline", str(folder), "--no-deliver"]
    result = CliRunner().invoke(click.Command("p", callback=lambda: main(args)), [])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines()[-1] == (
        "error: line 4: announce_type must be one of ['cross', 'new', 'replace', 'replace-cross']:"
        f" {folder / GOOD.name}")


def test_a_versioned_id_is_stored_without_its_version(store: Store, tmp_path: Path) -> None:
    folder = day_folder(tmp_path, line(id="arXiv:2507.00001v3"))
    fetched = load_offline_day(store, folder, DAY, ["cs.AI"])
    paper = fetched.listings[0].entries[-1].paper
    assert (paper.id, paper.version) == ("2507.00001", 3)
    assert rows(store, "SELECT paper_id, version FROM listing_entries WHERE position = 3") == [
        ("2507.00001", 3)]
