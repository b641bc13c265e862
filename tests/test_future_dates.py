"""Days after today: a feed that announces 2100-07-02, a `--date` in the future, an offline file
dated in the future. None of them may reach the store as an announcement day (issue 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from papersieve.cli.main import cli, main
from papersieve.ingest import store_day
from papersieve.models import Listing
from papersieve.sources.feeds import parse_feed
from papersieve.store import Store, open_store
from papersieve.today import FutureDateError, arxiv_today, check_not_future, is_future
from tests.conftest import DATA
from tests.servers import arxiv_feeds as af

FAR = dt.date(2100, 7, 2)


def future_listing(category: str = "cs.AI") -> Listing:
    items = af.day_items(dt.date(2025, 7, 3), category)[:3]
    return parse_feed(af.rss_feed(category, FAR, items), category=category)


def stored(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_the_guard_allows_tomorrow_in_new_york_and_nothing_later() -> None:
    noon = dt.datetime(2025, 7, 3, 16, 0, tzinfo=dt.UTC)  # 12:00 in New York
    assert arxiv_today(noon) == dt.date(2025, 7, 3)
    assert check_not_future(dt.date(2025, 7, 5), what="x", now=noon) == dt.date(2025, 7, 5)
    assert is_future(dt.date(2025, 7, 6), noon)
    with pytest.raises(FutureDateError, match=r"^the day asked for is 2025-07-06, after today"
                                              r" \(2025-07-03 in New York\)"):
        check_not_future(dt.date(2025, 7, 6), what="the day asked for", now=noon)


def test_a_feed_announcing_a_far_future_date_is_refused_without_date(store: Store) -> None:
    """It was stored as 2100-07-02, and `latest.*` and "Today" stayed there afterwards."""
    listing = future_listing()
    assert listing.date == FAR
    with pytest.raises(FutureDateError, match=r"the date the cs\.AI feed announces is 2100-07-02"):
        store_day(store, [listing], None)
    assert stored(store, "listings") == 0 and stored(store, "papers") == 0


def test_a_future_date_asked_for_is_refused(store: Store) -> None:
    with pytest.raises(FutureDateError, match="the day asked for is 2100-07-02"):
        store_day(store, [future_listing()], FAR)
    assert stored(store, "listings") == 0


@pytest.mark.parametrize("command", ["run", "fetch"])
def test_an_offline_run_for_a_future_date_is_not_recorded(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """It was recorded as "no announcement" and appeared in the archive."""
    args = [command, "--offline", str(DATA / "candidates"), "--date", "2100-07-02"]
    with pytest.raises(SystemExit) as stop:
        main(args + (["--no-deliver"] if command == "run" else []))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the day asked for is 2100-07-02, after today") and err.count("\n") == 1
    with open_store() as store:
        assert stored(store, "runs") == 0 and stored(store, "listings") == 0


def test_an_offline_file_dated_in_the_future_is_not_the_newest_day(tmp_path: Path) -> None:
    folder = tmp_path / "cands"
    folder.mkdir()
    for path in (DATA / "candidates").glob("arxiv-2025-07-03-*.jsonl"):
        (folder / path.name).write_bytes(path.read_bytes())
        (folder / path.name.replace("2025-07-03", "2100-07-02")).write_bytes(path.read_bytes())
    (folder / "arxiv-2025-13-45-cs.AI.jsonl").write_text("")  # no date at all: ignored too
    result = CliRunner().invoke(cli, ["run", "--offline", str(folder), "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert "Day 2025-07-03" in result.stdout
