"""The site's index of day summaries (`site-index.json`, render/site_index.py): a run that writes
the archive pages and the feed reads it instead of every earlier day's JSON (2 MB each for a
group's member), and the pages and the feed stay byte for byte what the day files give, whatever
was done to the folder by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from papersieve.deliver.files import write_outputs
from papersieve.models import Digest
from papersieve.render.day_files import read_days
from papersieve.render.paths import SITE_INDEX_NAME
from tests.digestfixtures import sample_digest
from tests.test_render_site import _count_day_reads

ALL = ["markdown", "json", "html", "atom"]
FIRST = dt.date(2025, 6, 20)


def varied(number: int) -> Digest:
    """Day `number` after FIRST, each unlike the next: hostile text, the local judge, code links,
    picks in another order, a TL;DR in Japanese, a pick that is no candidate of the day."""
    base = sample_digest(hostile=number % 3 == 1, judge="local" if number % 4 == 2 else "llm")
    code = " Code: https://github.com/owner/repo" if number % 2 else ""
    papers = {pid: dataclasses.replace(p, title=f"{p.title} ({number})", abstract=p.abstract + code)
              for pid, p in base.papers.items()}
    judgements = tuple(
        dataclasses.replace(j, tldr="短い要約です。", tldr_kind="llm", language="ja")
        if number % 5 == 3 and j.relevance else j
        for j in base.judgements if number % 4 != 0 or j.paper_id != "2507.00001")
    picks = tuple(dataclasses.replace(pick, paper=papers[pick.paper.id]) for pick in base.picks)
    return dataclasses.replace(base, date=FIRST + dt.timedelta(days=number), papers=papers,
                               judgements=judgements, picks=picks[::-1] if number % 2 else picks)


def day_path(folder: Path, number: int) -> Path:
    """Day `number`'s JSON file."""
    date = FIRST + dt.timedelta(days=number)
    return folder / f"{date:%Y-%m}" / f"{date}.json"


def site_files(folder: Path) -> dict[str, bytes]:
    """Every file of the site but its index, by path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != SITE_INDEX_NAME}


def count_day_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The day files parsed and checked from now on, in order."""
    return _count_day_reads(monkeypatch)


def build(folder: Path, days: int, formats: list[str] = ALL) -> None:
    for number in range(days):
        write_outputs(varied(number), folder, formats)


def test_the_site_is_byte_for_byte_the_same_with_and_without_the_index(tmp_path: Path) -> None:
    """Each day written in turn (across a month's end, a backfilled older day, a rerun), once
    with the index and once with it deleted before every run: every file is the same."""
    order = [*range(12), 4, 3, 12, 13]
    for folder in (tmp_path / "indexed", tmp_path / "plain"):
        for number in order:
            if folder.name == "plain":
                (folder / SITE_INDEX_NAME).unlink(missing_ok=True)
            write_outputs(varied(number), folder, ALL, site_url="https://me.example/papers/")
    assert (tmp_path / "indexed" / SITE_INDEX_NAME).is_file()
    indexed, plain = site_files(tmp_path / "indexed"), site_files(tmp_path / "plain")
    assert indexed == plain
    assert len([name for name in indexed if name.endswith(".json")]) == 14 + 1  # and latest.json
    feed = indexed["feed.atom"].decode("utf-8")
    assert "短い要約です。" in feed and 'title="code"' in feed and "(13)" in feed


def test_a_run_with_30_earlier_days_parses_none_of_them(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the index, every run that wrote the archive parsed all 30 earlier day files."""
    build(tmp_path, 30)
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(30), tmp_path, ALL)
    assert reads == []
    write_outputs(varied(30), tmp_path, ["atom"])
    assert reads == []
    index = json.loads((tmp_path / SITE_INDEX_NAME).read_text("utf-8"))
    assert len(index["days"]) == 31


def test_a_folder_without_an_index_is_read_once_then_indexed(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder of Markdown runs (no index kept) and then the site turned on."""
    build(tmp_path, 5, ["markdown"])
    assert not (tmp_path / SITE_INDEX_NAME).exists()
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(5), tmp_path, ALL)
    assert len(reads) == 5
    reads.clear()
    write_outputs(varied(6), tmp_path, ALL)
    assert reads == []


def test_a_day_file_edited_by_hand_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(tmp_path, 6)
    path = tmp_path / "2025-06" / "2025-06-22.json"
    with path.open("r+b") as handle:  # in place: the same inode, the same size
        text = handle.read()
        handle.seek(0)
        handle.write(text.replace(b"Pinned Paper (2)", b"Pinned Paper (X)"))
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(6), tmp_path, ALL)
    assert reads == [path]
    month = (tmp_path / "2025-06" / "index.html").read_text("utf-8")
    assert "Pinned Paper (X)" in month and "Pinned Paper (2)" not in month
    reads.clear()
    write_outputs(varied(6), tmp_path, ALL)
    assert reads == []
    assert "Pinned Paper (X)" in (tmp_path / "2025-06" / "index.html").read_text("utf-8")


def test_a_rerun_of_an_earlier_day_replaces_its_entry(tmp_path: Path) -> None:
    build(tmp_path, 4)
    rerun = dataclasses.replace(varied(1), picks=varied(1).picks[:1])
    write_outputs(rerun, tmp_path, ["markdown", "json"])  # no site: the index is left as it is
    write_outputs(varied(4), tmp_path, ALL)
    assert "1 picks of" in _day_line(tmp_path / "index.html", "2025-06-21")


def test_a_deleted_day_drops_out_and_an_added_one_comes_in(tmp_path: Path) -> None:
    build(tmp_path, 5)
    gone = tmp_path / "2025-06" / "2025-06-21.json"
    gone.unlink()
    other = tmp_path / "elsewhere"
    write_outputs(varied(7), other, ["json"])
    shutil.copy(other / "2025-06" / "2025-06-27.json", tmp_path / "2025-06" / "2025-06-27.json")
    write_outputs(varied(5), tmp_path, ALL)
    archive = (tmp_path / "index.html").read_text("utf-8")
    assert "2025-06-21" not in archive and "2025-06-27" in archive
    names = json.loads((tmp_path / SITE_INDEX_NAME).read_text("utf-8"))["days"]
    assert "2025-06/2025-06-21.json" not in names and "2025-06/2025-06-27.json" in names
    assert _same_as_without_index(tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "cut short", "not an object", "other format",
                                    "other fields", "bad entry", "titles as a full day",
                                    "a directory", "binary"])
def test_a_damaged_index_is_rebuilt_without_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      damage: str) -> None:
    build(tmp_path, 6)
    index = tmp_path / SITE_INDEX_NAME
    text = index.read_text("utf-8")
    data = json.loads(text)
    if damage == "garbage":
        index.write_text("{not json", "utf-8")
    elif damage == "cut short":
        index.write_text(text[: len(text) // 2], "utf-8")
    elif damage == "not an object":
        index.write_text("[1, 2]", "utf-8")
    elif damage == "other format":
        index.write_text(json.dumps({**data, "format": "papersieve-site-index/0"}), "utf-8")
    elif damage == "other fields":
        index.write_text(json.dumps({**data, "fields": data["fields"][:-1]}), "utf-8")
    elif damage == "bad entry":
        data["days"]["2025-06-23"] = "nonsense"
        data["days"]["2025-06/2025-06-22.json"]["day"]["picked"][0]["title"] = 5
        data["days"]["2025-06/2025-06-24.json"]["day"]["candidates"] = "four"
        index.write_text(json.dumps(data), "utf-8")
    elif damage == "titles as a full day":
        for name in ("2025-06/2025-06-22.json", "2025-06/2025-06-24.json"):
            day = data["days"][name]["day"]
            day["picked"] = [{"id": p["id"], "title": p["title"]} for p in day["picked"]]
        index.write_text(json.dumps(data), "utf-8")
    elif damage == "a directory":
        index.unlink()
        index.mkdir()
    else:
        index.write_bytes(b"\xff\xfe\x00garbage")
    reads = count_day_reads(monkeypatch)
    warnings: list[str] = []
    if damage == "a directory":  # cannot be read nor written: the site is right all the same
        write_outputs(varied(6), tmp_path, ALL, warn=warnings.append)
        assert warnings == [f"cannot write the site's index {index} (Is a directory): the next run "
                            "reads the day files again"]
        assert len(reads) == 6 and _same_as_without_index(tmp_path)
        return
    write_outputs(varied(6), tmp_path, ALL, warn=warnings.append)
    assert warnings == []
    expected = 2 if damage in ("bad entry", "titles as a full day") else 6
    assert len(reads) == expected
    assert json.loads(index.read_text("utf-8"))["days"].keys() == {
        f"2025-06/2025-06-{20 + n:02d}.json" for n in range(7)}
    assert _same_as_without_index(tmp_path)
    reads.clear()
    write_outputs(varied(6), tmp_path, ALL)
    assert reads == []


def test_a_malformed_day_file_is_still_named_every_run(tmp_path: Path) -> None:
    build(tmp_path, 4)
    broken = tmp_path / "2025-06" / "2025-06-21.json"
    broken.write_text('{"date": "2025-06-21", "candidates": [', "utf-8")
    for _ in range(2):
        warnings: list[str] = []
        write_outputs(varied(4), tmp_path, ALL, warn=warnings.append)
        assert len(warnings) == 1
        assert warnings[0].startswith(f"left {broken} out of the site: not valid JSON")
    assert "2025-06-21" not in (tmp_path / "index.html").read_text("utf-8")
    index = json.loads((tmp_path / SITE_INDEX_NAME).read_text("utf-8"))
    assert "2025-06/2025-06-21.json" not in index["days"]


def test_an_entry_matching_a_file_of_another_date_is_not_used(tmp_path: Path) -> None:
    """A hand-made entry whose stamp is the file's but whose day is another date."""
    build(tmp_path, 3)
    index = tmp_path / SITE_INDEX_NAME
    data = json.loads(index.read_text("utf-8"))
    data["days"]["2025-06/2025-06-21.json"]["day"]["date"] = "2025-06-29"
    index.write_text(json.dumps(data), "utf-8")
    write_outputs(varied(3), tmp_path, ALL)
    assert _same_as_without_index(tmp_path)


def test_the_index_is_what_a_site_needs_not_the_day_files(tmp_path: Path) -> None:
    """The summaries keep the picks' shown fields only: no other candidate, no prompt."""
    build(tmp_path, 3)
    entry = json.loads((tmp_path / SITE_INDEX_NAME).read_text("utf-8"))["days"]["2025-06/2025-06-21.json"]
    path = tmp_path / "2025-06" / "2025-06-21.json"
    assert (entry["size"], entry["mtime_ns"]) == (path.stat().st_size, path.stat().st_mtime_ns)
    assert entry["day"]["candidates"] == 4 and entry["day"]["picks"] == ["2507.00001", "2507.00002"]
    assert [p["id"] for p in entry["day"]["picked"]] == ["2507.00001", "2507.00002"]
    assert "outcome" not in entry["day"]["picked"][0] and "prompt" not in entry["day"]


def _day_line(page: Path, date: str) -> str:
    return next(line for line in page.read_text("utf-8").splitlines() if f">{date}<" in line)


def _same_as_without_index(folder: Path) -> bool:
    """The folder's pages and feed are the ones its day files give without the index."""
    copy = folder.parent / (folder.name + "-copy")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    index = copy / SITE_INDEX_NAME
    shutil.rmtree(index) if index.is_dir() else index.unlink()
    newest = read_days(copy, lambda _: None)[0]["date"]
    number = (dt.date.fromisoformat(newest) - FIRST).days
    write_outputs(varied(number), copy, ALL, warn=lambda _: None)
    write_outputs(varied(number), folder, ALL, warn=lambda _: None)
    return site_files(copy) == site_files(folder)


def test_a_same_size_edit_within_the_mtime_tick_is_caught_by_the_hash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed in place keeps its stamp when its mtime does not move (the same tick, or
    set back by a tool): an entry recorded that soon after the file's mtime keeps its hash."""
    build(tmp_path, 4)
    path = tmp_path / "2025-06" / "2025-06-22.json"
    before = path.stat()
    text = path.read_bytes()
    path.write_bytes(text.replace(b"Pinned Paper (2)", b"Pinned Paper (X)"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(4), tmp_path, ALL)
    assert reads == [path]
    assert "Pinned Paper (X)" in (tmp_path / "2025-06" / "index.html").read_text("utf-8")


def test_old_files_are_kept_by_their_stamp_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Day files written days ago (a real folder's): their entries keep no hash, and a change
    that moves the mtime is caught by the stamp."""
    build(tmp_path, 4)
    for number in range(4):
        path = tmp_path / "2025-06" / f"2025-06-{20 + number}.json"
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 86_400 * 10**9))
    write_outputs(varied(4), tmp_path, ALL)
    days = json.loads((tmp_path / SITE_INDEX_NAME).read_text("utf-8"))["days"]
    assert [days[f"2025-06/2025-06-{20 + n}.json"]["sha256"] for n in range(4)] == [""] * 4
    assert len(days["2025-06/2025-06-24.json"]["sha256"]) == 64  # just written
    path = tmp_path / "2025-06" / "2025-06-21.json"
    path.write_bytes(path.read_bytes().replace(b"(1)", b"(one)"))
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(4), tmp_path, ALL)
    assert reads == [path]
    assert "Pinned Paper (one)" in (tmp_path / "2025-06" / "index.html").read_text("utf-8")


def test_days_past_the_feed_keep_their_picks_titles_only(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed shows the newest FEED_DAYS days; the archive pages only the titles of older
    days' picks, so that is all the index keeps of them (a 60-day index: ~4 times smaller). A
    day that comes into the feed again (newer files deleted by hand) is read from its file."""
    from papersieve.deliver.files import FEED_DAYS

    build(tmp_path, 20)
    days = json.loads((tmp_path / SITE_INDEX_NAME).read_text("utf-8"))["days"]
    titles_only = [name for name, entry in days.items() if entry["day"]["titles_only"]]
    assert titles_only == [f"2025-06/2025-06-{20 + n}.json" for n in range(20 - FEED_DAYS)]
    assert all(set(pick) == {"id", "title"} for name in titles_only for pick in days[name]["day"]["picked"])
    for number in (17, 18, 19):
        day_path(tmp_path, number).unlink()
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(16), tmp_path, ALL)
    assert reads == [day_path(tmp_path, number) for number in (5, 4, 3)]
    assert _same_as_without_index(tmp_path)


def test_a_site_without_a_feed_keeps_titles_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(tmp_path, 5, ["html"])
    days = json.loads((tmp_path / SITE_INDEX_NAME).read_text("utf-8"))["days"]
    assert all(entry["day"]["titles_only"] for entry in days.values())
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(5), tmp_path, ["html", "atom"])  # the feed turned on: read once
    assert len(reads) == 5
    reads.clear()
    write_outputs(varied(5), tmp_path, ["html", "atom"])
    assert reads == []
    assert _same_as_without_index(tmp_path)


def test_a_copy_that_keeps_mtimes_keeps_its_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A site restored from a cache or copied with its mtimes (new inodes): nothing read again."""
    site = tmp_path / "site"
    build(site, 5)
    for number in range(5):
        path = day_path(site, number)
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 86_400 * 10**9))
    write_outputs(varied(4), site, ALL)
    shutil.copytree(site, tmp_path / "copy")
    reads = count_day_reads(monkeypatch)
    write_outputs(varied(5), tmp_path / "copy", ALL)
    assert reads == []
    assert _same_as_without_index(tmp_path / "copy")


def test_the_index_passes_the_redactor_with_a_secret_of_any_characters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like every output file: a secret of the environment in a pick's text is replaced in the
    index too, a PostgreSQL password with letters outside ASCII as well (escaped to ASCII in
    the index's JSON, it went past the redactor)."""
    monkeypatch.setenv("PGPASSWORD", "Pinned Päper")
    digest = varied(0)
    papers = {pid: dataclasses.replace(p, title=p.title.replace("Pinned Paper", "Pinned Päper"))
              for pid, p in digest.papers.items()}
    picks = tuple(dataclasses.replace(pick, paper=papers[pick.paper.id]) for pick in digest.picks)
    write_outputs(dataclasses.replace(digest, papers=papers, picks=picks), tmp_path, ALL)
    index = (tmp_path / SITE_INDEX_NAME).read_text("utf-8")
    assert "Päper" not in index and "P\\u00e4per" not in index
    assert "[redacted PGPASSWORD] (0)" in index
    assert "[redacted PGPASSWORD] (0)" in (tmp_path / "2025-06" / "index.html").read_text("utf-8")
