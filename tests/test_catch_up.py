"""Catch-up: `run` with no date runs the announcement days missed since the last finished one.

The feeds and the arXiv API are the loopback server of tests/servers (recorded real responses).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.catchup import behind, plan_catch_up
from papersieve.cli.main import main
from papersieve.ingest import fetch_day
from papersieve.profile import Profile, init_profile, load_profile
from papersieve.store import Store
from papersieve.store.listings import load_listings
from papersieve.store.runs import finish_run, start_run
from tests.servers import arxiv_feeds as af
from tests.servers.feed_server import FeedServer

API_DAY = dt.date(2026, 4, 29)  # a Wednesday: every recorded API entry was submitted then


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    with FeedServer() as running:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", running.rss_template)
        monkeypatch.setenv("PAPERSIEVE_ARXIV_API_URL", running.url + "/api/query")
        monkeypatch.setenv("PAPERSIEVE_OAI_PMH_URL", running.url + "/oai")
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
        yield running


def _profile_dir(tmp_path: Path, extra: str = "") -> Path:
    folder = tmp_path / "profile"
    init_profile(folder, force=True)
    (folder / "profile.toml").write_text(f'name = "me"\n{extra}', "utf-8")
    return folder


def _profile(tmp_path: Path, extra: str = "") -> Profile:
    return load_profile(_profile_dir(tmp_path, extra))


def _finished(store: Store, day: str, status: str = "done", message: str = "", profile: str = "me") -> None:
    run_id = start_run(store, profile, dt.date.fromisoformat(day), "local")
    finish_run(store, run_id, status, message=message)


def _run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def _runs(store: Store) -> list[tuple[str, str]]:
    rows = store.conn.execute("SELECT date, status FROM runs WHERE profile = 'me' ORDER BY id").fetchall()
    return [(r["date"], r["status"]) for r in rows]


def test_weekends_holidays_and_no_announcement_days_are_not_missed(tmp_path: Path, store: Store) -> None:
    _finished(store, "2026-04-16")  # a Thursday
    _finished(store, "2026-04-21", "no_announcement")
    _finished(store, "2026-04-22", "failed", "the LLM server went away")
    profile = _profile(tmp_path, '[schedule]\nholidays = ["2026-04-20"]\n')
    state = behind(store, profile, dt.date(2026, 4, 24))
    assert state.newest == dt.date(2026, 4, 21)  # a recorded "no announcement" is a finished day
    assert state.missed == (dt.date(2026, 4, 22), dt.date(2026, 4, 23))
    assert state.reasons == {dt.date(2026, 4, 22): "failed: the LLM server went away"}
    _finished(store, "2026-04-21", "failed")  # an older day's later failure changes nothing
    assert behind(store, profile, dt.date(2026, 4, 24)).missed == state.missed
    weekend = behind(store, _profile(tmp_path), dt.date(2026, 4, 21))
    assert weekend.missed == ()  # newest is 04-21 itself


def test_a_friday_missed_before_a_weekend_is_found(tmp_path: Path, store: Store) -> None:
    _finished(store, "2026-04-23")
    state = behind(store, _profile(tmp_path), dt.date(2026, 4, 27))  # Monday
    assert state.missed == (dt.date(2026, 4, 24),)


def test_catch_up_is_bounded_and_says_what_it_left(tmp_path: Path, store: Store) -> None:
    _finished(store, "2026-04-01")
    plan = plan_catch_up(store, _profile(tmp_path, "[schedule]\ncatch_up_days = 2\n"),
                         dt.date(2026, 4, 30))
    assert plan.days == (dt.date(2026, 4, 28), dt.date(2026, 4, 29))
    assert plan.notes == ("18 older missed day(s) not caught up (2026-04-02 to 2026-04-27, beyond"
                          " catch_up_days = 2): run `papersieve backfill --from 2026-04-02 --to"
                          " 2026-04-27 --run`",)
    assert plan_catch_up(store, _profile(tmp_path, "[schedule]\ncatch_up_days = 0\n"),
                         dt.date(2026, 4, 30)).days == ()
    assert plan_catch_up(store, _profile(tmp_path), dt.date(2026, 4, 30)).days == (
        dt.date(2026, 4, 23), dt.date(2026, 4, 24), dt.date(2026, 4, 27), dt.date(2026, 4, 28),
        dt.date(2026, 4, 29))


def test_no_catch_up_without_a_finished_day(tmp_path: Path, store: Store) -> None:
    assert plan_catch_up(store, _profile(tmp_path), dt.date(2026, 4, 30)).days == ()


def test_run_catches_up_a_missed_day_through_the_api_before_today(
    tmp_path: Path, store: Store, server: FeedServer,
) -> None:
    folder = _profile_dir(tmp_path)
    _finished(store, "2026-04-28")
    server.day = dt.date(2026, 4, 30)  # today's feeds: a day with no real listing recorded
    result = _run("run", "--profile", str(folder), "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    assert _runs(store) == [("2026-04-28", "done"), ("2026-04-29", "done"),
                            ("2026-04-30", "no_announcement")]
    assert ("Catch-up: caught up missed day 2026-04-29 through the arXiv API (ok; approximate: by"
            " submission date, not by announcement)") in result.stdout
    listings = load_listings(store, API_DAY, ["cs.LG", "cs.AI"])
    assert listings and all(x.approximate and x.source == "api" for x in listings)
    day = json.loads((tmp_path / "site" / "2026-04" / "2026-04-29.json").read_text("utf-8"))
    assert any("approximate" in note for note in day["notes"])
    assert any("/api/query" in path for path in server.paths())


def test_a_missed_day_with_a_stored_listing_runs_from_the_store(
    tmp_path: Path, store: Store, server: FeedServer,
) -> None:
    folder = _profile_dir(tmp_path)
    _finished(store, "2025-07-01")
    server.day = af.DAYS[1]
    fetch_day(store, load_profile(folder))  # 07-02 fetched, then the run never happened
    server.day = af.DAYS[2]
    result = _run("run", "--profile", str(folder), "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    assert _runs(store) == [("2025-07-01", "done"), ("2025-07-02", "done"), ("2025-07-03", "done")]
    assert "Catch-up: caught up missed day 2025-07-02 from its stored listing" in result.stdout
    assert not any("/api/" in path for path in server.paths())
    assert (tmp_path / "site" / "2025-07" / "2025-07-02.md").exists()


def test_a_failed_backfill_is_noted_and_today_still_runs(
    tmp_path: Path, store: Store, server: FeedServer,
) -> None:
    folder = _profile_dir(tmp_path)
    _finished(store, "2026-04-28")
    server.day = dt.date(2026, 4, 30)
    server.misbehave("api", "500", "500", "500", "500", "500", "500")
    result = _run("run", "--profile", str(folder), "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    assert "Catch-up: missed day 2026-04-29 not caught up:" in result.stdout
    assert _runs(store)[-1] == ("2026-04-30", "no_announcement")


def test_a_run_with_a_date_does_not_catch_up(tmp_path: Path, store: Store, server: FeedServer) -> None:
    folder = _profile_dir(tmp_path)
    _finished(store, "2025-07-01")
    server.day = af.DAYS[2]
    result = _run("run", "--profile", str(folder), "--date", "2025-07-03", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert _runs(store) == [("2025-07-01", "done"), ("2025-07-03", "done")]


def test_status_says_the_store_is_behind_and_why(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _profile_dir(tmp_path)
    monkeypatch.setattr("papersieve.cli.status_cmds.current_day", lambda: dt.date(2026, 4, 25))
    result = _run("status", "--profile", str(folder))
    assert "Newest stored day: none (no finished run yet)" in result.stdout
    _finished(store, "2026-04-22")
    _finished(store, "2026-04-23", "stale", "stale feed: cs.LG still serves 2026-04-22")
    result = _run("status", "--profile", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "Last announcement day: 2026-04-24 (US Eastern; weekends and [schedule] holidays skipped)",
        "Newest stored day: 2026-04-22",
        "Behind: 2 announcement day(s) not run since 2026-04-22 (`papersieve run` catches up the"
        " newest [schedule] catch_up_days of them)",
        "  2026-04-23: stale: stale feed: cs.LG still serves 2026-04-22",
        "  2026-04-24: no run at all (the scheduler did not start one?)",
    ]
    _finished(store, "2026-04-24")
    assert "Up to date." in _run("status", "--profile", str(folder)).stdout
