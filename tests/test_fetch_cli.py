"""`papersieve fetch` and `papersieve backfill` against the loopback arXiv."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.store import open_store
from tests.conftest import DATA, FEEDS
from tests.servers import arxiv_feeds as af
from tests.servers.feed_server import FeedServer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    with FeedServer() as running:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", running.rss_template)
        monkeypatch.setenv("PAPERSIEVE_ARXIV_ATOM_URL", running.atom_template)
        monkeypatch.setenv("PAPERSIEVE_ARXIV_API_URL", running.url + "/api/query")
        # The 3-second arXiv interval is the default; the loopback server needs no manners.
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        yield running


def run(*args: str) -> Result:
    """Invoke the CLI through `main`, as the console script does (errors: one line, exit 2)."""
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def counts(day: dt.date, total: int, scanned: int, unique: int, lg: tuple[int, int],
           ai: tuple[int, int]) -> str:
    return (
        f"Listing date: {day}\n"
        f"Total arXiv papers: {total}\n"
        f"Total scanned papers: {scanned}\n"
        f"Deduplicated papers: {unique}\n"
        f"  cs.LG: {lg[0]} entries, {lg[1]} scanned\n"
        f"  cs.AI: {ai[0]} entries, {ai[1]} scanned\n"
        f"New candidates: {unique}\n"
    )


@pytest.mark.parametrize("source", ["rss", "atom"])
def test_fetch_prints_the_counts_and_stores_the_day(server: FeedServer, source: str) -> None:
    server.day = af.DAYS[1]
    result = run("fetch", "--source", source)
    assert result.exit_code == 0, result.output
    assert result.stdout == counts(af.DAYS[1], 327, 315, 244, (158, 152), (169, 163))
    assert [p.split("/")[1] for p in server.paths()] == [source, source]
    with open_store() as store:
        stored = store.conn.execute(
            "SELECT requested_date, category, source, total_entries FROM listings ORDER BY id")
        assert [tuple(r) for r in stored] == [
            ("2025-07-02", "cs.LG", source, 158), ("2025-07-02", "cs.AI", source, 169)]


def test_fetch_one_category(server: FeedServer) -> None:
    result = run("fetch", "--category", "cs.AI")
    assert result.exit_code == 0, result.output
    assert "Total scanned papers: 255\n" in result.stdout
    assert server.paths() == ["/rss/cs.AI"]


def test_unknown_category_is_a_one_line_error(server: FeedServer) -> None:
    result = run("fetch", "--category", "cs.XX")
    assert result.exit_code == 2
    assert result.stderr == ("error: --category: unknown arXiv category 'cs.XX'"
                             " (see arxiv.org/category_taxonomy)\n")
    assert server.requests == []


def test_weekend_and_stale_are_reported_not_errors(server: FeedServer) -> None:
    server.day = dt.date(2025, 7, 5)
    server.misbehave("cs.LG", "weekend")
    server.misbehave("cs.AI", "weekend")
    result = run("fetch")
    assert result.exit_code == 0 and result.stdout == "No announcement for 2025-07-05 (recorded).\n"
    server.day = af.DAYS[2]
    server.lag["cs.AI"] = 1
    result = run("fetch")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Warning: stale feed: cs.AI still serves 2025-07-02 (169 entries), expected 2025-07-03"
        " (recorded; try again later).\n")
    assert "  cs.AI: 0 entries, 0 scanned (stale)\n" in result.stdout


def test_broken_feed_exits_with_one_line(server: FeedServer) -> None:
    server.misbehave("cs.LG", "truncated")
    result = run("fetch")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: broken feed XML (")
    assert errors[0].endswith("/rss/cs.LG") and result.stderr.endswith(errors[0] + "\n")
    with open_store() as store:
        assert store.conn.execute("SELECT COUNT(*) FROM listings").fetchone()[0] == 0


def test_fetch_from_saved_files_and_offline_dir() -> None:
    files = sorted((FEEDS / "rss").glob("*_cs_[al][ig].xml"))
    result = run("fetch", *[a for f in files for a in ("--from-file", str(f))])
    assert result.exit_code == 0, result.output
    assert result.stdout == counts(dt.date(2026, 4, 27), 6, 6, 6, (3, 3), (3, 3)).replace(
        "cs.LG: 3 entries, 3 scanned\n  cs.AI", "cs.AI: 3 entries, 3 scanned\n  cs.LG", 1)
    result = run("fetch", "--offline-dir", str(DATA / "realworld"), "--date", "2025-07-03")
    assert result.exit_code == 0, result.output
    assert result.stdout == counts(af.DAYS[2], 272, 272, 215, (147, 147), (125, 125))


def test_offline_dir_needs_a_date() -> None:
    result = run("fetch", "--offline-dir", str(DATA / "realworld"))
    assert result.exit_code == 2 and "--offline needs --date" in result.output


def test_backfill_command(server: FeedServer) -> None:
    result = run("backfill", "--from", "2026-04-28", "--to", "2026-04-29")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("2026-04-28: 0 entries, no_announcement (approximate) -"
                        " no announcement for 2026-04-28")
    assert lines[1].startswith("2026-04-29: ") and ", ok (approximate)" in lines[1]


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PAPERSIEVE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "papersieve", "fetch", "--category", "nope"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("error: --category: unknown arXiv category 'nope'"
                           " (see arxiv.org/category_taxonomy)\n")


def test_backfill_run_writes_a_digest_of_the_missed_day(
    server: FeedServer, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    result = run("backfill", "--from", "2026-04-29", "--to", "2026-04-29", "--run")
    assert result.exit_code == 0, result.output
    assert "2026-04-29: done, " in result.stdout
    digest = papersieve_home / "out" / "default" / "2026-04" / "2026-04-29.md"
    text = digest.read_text("utf-8")
    assert text.startswith("# Personalized Daily ArXiv Papers 2026-04-29\n")
    assert "Total scanned papers: " in text
    day = papersieve_home / "out" / "default" / "2026-04" / "2026-04-29.json"
    assert "approximate: backfilled by submission date" in day.read_text("utf-8")

    # The daily feeds serve only the current day; a later run of the missed day reads the store.
    requests_before = len(server.paths())
    again = run("run", "--date", "2026-04-29", "--no-deliver")
    assert again.exit_code == 0, again.output
    assert len(server.paths()) == requests_before
    assert digest.read_text("utf-8") == text
