"""The static site: dated paths, latest, archive by month, feed, and no external requests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli
from papersieve.deliver.files import write_outputs
from papersieve.models import Digest
from tests.conftest import DATA
from tests.digestfixtures import sample_digest


def on(date: dt.date) -> Digest:
    return dataclasses.replace(sample_digest(), date=date)


def test_days_go_to_dated_paths_and_latest_follows_the_newest_day(tmp_path: Path) -> None:
    write_outputs(on(dt.date(2025, 7, 3)), tmp_path)
    write_outputs(on(dt.date(2025, 6, 30)), tmp_path)  # a backfilled older day
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
                   and not p.relative_to(tmp_path).as_posix().startswith("static/katex/"))
    assert files == [
        "2025-06/2025-06-30.html", "2025-06/2025-06-30.json", "2025-06/2025-06-30.md",
        "2025-06/index.html",
        "2025-07/2025-07-03.html", "2025-07/2025-07-03.json", "2025-07/2025-07-03.md",
        "2025-07/index.html",
        "feed.atom", "index.html", "latest.html", "latest.json", "latest.md", "site-index.json",
    ]
    assert json.loads((tmp_path / "latest.json").read_text("utf-8"))["date"] == "2025-07-03"
    index = (tmp_path / "index.html").read_text("utf-8")
    assert index.index("2025-07/2025-07-03.html") < index.index("2025-06/2025-06-30.html")
    feed = feedparser.parse((tmp_path / "feed.atom").read_text("utf-8"))
    assert len(feed.entries) == 4  # two picks on each day


def test_latest_page_links_work_from_the_site_root(tmp_path: Path) -> None:
    write_outputs(on(dt.date(2025, 7, 3)), tmp_path)
    latest = (tmp_path / "latest.html").read_text("utf-8")
    dated = (tmp_path / "2025-07" / "2025-07-03.html").read_text("utf-8")
    assert 'href="index.html"' in latest and 'href="../index.html"' in dated
    for page in tmp_path.rglob("*.html"):
        for href in re.findall(r'href="([^"]+)"', page.read_text("utf-8")):
            if not href.startswith(("http", "#", "data:")):  # data: the favicon, no request
                assert (page.parent / href.split("#")[0]).exists(), (page, href)


def test_pages_make_no_external_request_and_fit_a_phone(tmp_path: Path) -> None:
    """Nothing leaves the site: the one kind of script and stylesheet is the site's own copy of
    KaTeX (static/katex/, written beside the pages), on the day pages."""
    write_outputs(on(dt.date(2025, 7, 3)), tmp_path)
    for page in tmp_path.rglob("*.html"):
        html = page.read_text("utf-8")
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert not re.search(r"<(img|iframe)", html)
        assert "@import" not in html and "url(" not in html
        for ref in re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', html):
            assert "static/katex/" in ref and "//" not in ref, (page, ref)
            assert (page.parent / ref).is_file(), (page, ref)
        assert len(re.findall(r"<script", html)) == len(re.findall(r"<script src=", html))
    assert (tmp_path / "static" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").is_file()


def test_formats_setting_limits_what_is_written(tmp_path: Path) -> None:
    written = write_outputs(on(dt.date(2025, 7, 3)), tmp_path, formats=("markdown",))
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    # The JSON is always kept: the archive and the feed are rebuilt from it.
    assert names == ["2025-07/2025-07-03.json", "2025-07/2025-07-03.md", "latest.json", "latest.md"]


BROKEN_DAYS = {  # name in the output folder -> what it holds, and the reason the warning gives
    "cut short": ("2025-07/2025-07-01.json", None, "not valid JSON (Expecting property name"),
    "no candidates": ("2025-07/2025-07-01.json", b'{"date": "2025-07-01", "judge": "local",'
                      b' "model": "m", "picks": []}', "not a papersieve day (candidates: Field"
                      " required)"),
    "not UTF-8": ("2025-07/2025-07-01.json", b'\xff\xfe{"date": 1}', "not UTF-8 text"),
    "bad date": ("2025-02/2025-02-30.json", None, "its name is not a calendar date"),
    "deep nesting": ("2025-07/2025-07-01.json", b"[" * 100_000, "not valid JSON (maximum recursion"),
    "a candidate without title": ("2025-07/2025-07-01.json", b"", "not a papersieve day"
                                  " (candidates.0.title: Field required)"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_DAYS))
def test_a_malformed_day_file_is_left_out_with_a_warning_naming_it(tmp_path: Path, case: str) -> None:
    """One broken day JSON broke every later run with a traceback that did not name it."""
    name, content, reason = BROKEN_DAYS[case]
    write_outputs(on(dt.date(2025, 6, 30)), tmp_path)
    good = (tmp_path / "2025-06" / "2025-06-30.json").read_text("utf-8")
    broken = tmp_path / name
    broken.parent.mkdir(exist_ok=True)
    if content is None:
        content = good.replace("2025-06-30", name[8:18]).encode()[:300]
    elif content == b"":
        day = json.loads(good.replace("2025-06-30", "2025-07-01"))
        del day["candidates"][0]["title"]
        content = json.dumps(day).encode()
    broken.write_bytes(content)
    warnings: list[str] = []
    written = write_outputs(on(dt.date(2025, 7, 3)), tmp_path, warn=warnings.append)
    assert len(warnings) == 1 and warnings[0].startswith(f"left {broken} out of the site: {reason}")
    assert tmp_path / "latest.json" in written and tmp_path / "index.html" in written
    assert json.loads((tmp_path / "latest.json").read_text("utf-8"))["date"] == "2025-07-03"
    index = (tmp_path / "index.html").read_text("utf-8")
    assert "2025-06-30" in index and broken.name.removesuffix(".json") not in index


def test_latest_does_not_stick_on_a_day_in_the_future(tmp_path: Path) -> None:
    """A 2100-07-02 day (stored before such feeds were refused) kept `latest.*` on itself."""
    write_outputs(on(dt.date(2100, 7, 2)), tmp_path)
    write_outputs(on(dt.date(2025, 7, 3)), tmp_path)
    assert json.loads((tmp_path / "latest.json").read_text("utf-8"))["date"] == "2025-07-03"
    assert "2025-07-03" in (tmp_path / "latest.md").read_text("utf-8").splitlines()[0]


def test_a_run_after_a_broken_day_file_warns_and_finishes(tmp_path: Path) -> None:
    """The whole command: before, every later run ended in a traceback naming no file."""
    out = tmp_path / "out"
    broken = out / "2025-07" / "2025-07-02.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"date": "2025-07-02", "candidates": [', "utf-8")
    result = CliRunner().invoke(cli, ["run", "--offline", str(DATA / "candidates"), "--date",
                                      "2025-07-03", "--no-deliver", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"warning: left {broken} out of the site: not valid JSON" in result.stderr
    assert json.loads((out / "latest.json").read_text("utf-8"))["date"] == "2025-07-03"


def test_latest_json_and_markdown_are_the_dated_files_themselves_and_move_to_the_next_day(
        tmp_path: Path) -> None:
    first, second = dt.date(2025, 7, 3), dt.date(2025, 7, 4)
    write_outputs(on(first), tmp_path, ["markdown"])
    dated = {ext: tmp_path / "2025-07" / f"2025-07-03.{ext}" for ext in ("json", "md")}
    for ext, path in dated.items():
        # One file on the disk, not a second copy (a group's day wrote 2 MB twice per member).
        assert (tmp_path / f"latest.{ext}").samefile(path)
    before = {ext: path.read_bytes() for ext, path in dated.items()}
    write_outputs(on(second), tmp_path, ["markdown"])
    for ext, path in dated.items():
        assert path.read_bytes() == before[ext]  # the earlier day is left as it was
        latest = tmp_path / f"latest.{ext}"
        assert latest.samefile(tmp_path / "2025-07" / f"2025-07-04.{ext}")
        assert latest.read_bytes() != before[ext]
    assert json.loads((tmp_path / "latest.json").read_text("utf-8"))["date"] == "2025-07-04"
    write_outputs(on(second), tmp_path, ["markdown"])  # a rerun of the day
    assert (tmp_path / "latest.md").samefile(tmp_path / "2025-07" / "2025-07-04.md")
    assert not list(tmp_path.rglob(".*.tmp"))


def test_the_day_just_written_is_not_read_back_and_the_site_is_the_same(tmp_path: Path) -> None:
    from papersieve.render.day_files import read_days
    from papersieve.render.json_out import digest_dict

    write_outputs(on(dt.date(2025, 6, 30)), tmp_path, ["markdown"])
    digest = on(dt.date(2025, 7, 3))
    write_outputs(digest, tmp_path, ["markdown"])
    path, day = tmp_path / "2025-07" / "2025-07-03.json", digest_dict(digest)
    warnings: list[str] = []
    assert read_days(tmp_path, warnings.append, known=(path, day)) == read_days(tmp_path, warnings.append)
    assert read_days(tmp_path, warnings.append, known=(path, day))[0] is day
    # A known day whose date is not the file's name is read from the file as before.
    assert read_days(tmp_path, warnings.append, known=(path, {**day, "date": "2025-07-04"}))[0] == day
    assert warnings == []


def _count_day_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The day files `write_outputs` reads back (parses and checks), in order."""
    from papersieve.render import day_files

    reads: list[Path] = []
    real = day_files.read_day

    def counted(path: Path, named: str) -> dict[str, object]:
        reads.append(path)
        return real(path, named)

    monkeypatch.setattr(day_files, "read_day", counted)
    return reads


def test_a_run_reads_back_only_the_earlier_days_its_formats_show(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A Markdown-only run parsed every earlier day file of the folder to find the newest one
    (a member with 60 days: 60 x 2 MB a run); the feed needs its `FEED_DAYS` newest, the archive
    pages every day."""
    from papersieve.deliver.files import FEED_DAYS
    from papersieve.render.atom import render_atom
    from papersieve.render.day_files import read_days

    first = dt.date(2025, 6, 1)
    for number in range(20):
        write_outputs(on(first + dt.timedelta(days=number)), tmp_path, ["markdown"])
    reads = _count_day_reads(monkeypatch)
    today = first + dt.timedelta(days=20)
    write_outputs(on(today), tmp_path, ["markdown"])
    assert reads == []
    assert (tmp_path / "latest.md").samefile(tmp_path / "2025-06" / f"{today}.md")
    write_outputs(on(today), tmp_path, ["markdown", "atom"])
    assert len(reads) == FEED_DAYS - 1  # the day just written is not read back
    feed = (tmp_path / "feed.atom").read_text("utf-8")
    assert feed == render_atom(read_days(tmp_path, print)[:FEED_DAYS], "default")
    reads.clear()
    write_outputs(on(today), tmp_path, ["markdown", "html"])
    assert len(reads) == 20 - (FEED_DAYS - 1)  # the feed's days are in the site's index now
    reads.clear()
    write_outputs(on(today), tmp_path, ["markdown", "html"])
    assert reads == []


def test_an_older_day_run_again_reads_the_newest_day_only(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`latest.*` stays on the newest day when an older day is run again; a malformed newest
    file is skipped with a warning, as before, and the next one is read."""
    for day in (1, 2, 3, 4):
        write_outputs(on(dt.date(2025, 7, day)), tmp_path, ["markdown"])
    reads = _count_day_reads(monkeypatch)
    write_outputs(on(dt.date(2025, 7, 2)), tmp_path, ["markdown"])
    assert reads == [tmp_path / "2025-07" / "2025-07-04.json"]
    assert json.loads((tmp_path / "latest.json").read_text("utf-8"))["date"] == "2025-07-04"
    broken = tmp_path / "2025-07" / "2025-07-04.json"
    broken.unlink()  # not through latest.json: a hard link to it
    broken.write_text('{"date": "2025-07-04", "candidates": [', "utf-8")
    reads.clear()
    warnings: list[str] = []
    write_outputs(on(dt.date(2025, 7, 2)), tmp_path, ["markdown"], warn=warnings.append)
    assert reads == [broken, tmp_path / "2025-07" / "2025-07-03.json"]
    assert len(warnings) == 1 and warnings[0].startswith(f"left {broken} out of the site: not valid JSON")
    assert not (tmp_path / "latest.md").samefile(tmp_path / "2025-07" / "2025-07-02.md")


def test_the_day_json_written_as_orjson_bytes_still_passes_the_redactor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The day's JSON goes to the disk as orjson's UTF-8 bytes, not through a str: a secret of
    the environment in it is still replaced, and without secrets the bytes are json.dumps'."""
    from papersieve.render.json_out import digest_dict

    digest = on(dt.date(2025, 7, 3))
    write_outputs(digest, tmp_path / "plain", ["markdown"])
    plain = (tmp_path / "plain" / "2025-07" / "2025-07-03.json").read_bytes()
    assert plain == (json.dumps(digest_dict(digest), ensure_ascii=False, indent=2) + "\n").encode()
    monkeypatch.setenv("OPENAI_API_KEY", "routing in sparse")
    write_outputs(digest, tmp_path / "secret", ["markdown"])
    for name in ("2025-07/2025-07-03.json", "latest.json", "2025-07/2025-07-03.md"):
        text = (tmp_path / "secret" / name).read_text("utf-8")
        assert "routing in sparse" not in text and "[redacted OPENAI_API_KEY]" in text, name
    assert plain.replace(b"routing in sparse", b"[redacted OPENAI_API_KEY]") == \
        (tmp_path / "secret" / "2025-07" / "2025-07-03.json").read_bytes()
