"""Tables that fit and say things right: per-profile charts, plurals, every table cell labelled
for the narrow-screen card layout (the layout itself is measured in Chromium:
tests/browser/test_browser_reading.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from starlette.testclient import TestClient

from papersieve.models import DayCounts, Outcome, Usage
from papersieve.store import open_store
from papersieve.store.runs import finish_run, record_outcomes, start_run
from papersieve.web import queries
from papersieve.web.app import create_app
from papersieve.web.filters import plural
from tests.pgschemas import store_at
from tests.webdata import DAYS, build_store

BASE = "http://127.0.0.1:8000"


def _second_profile_run(path: Path, day: dt.date, paper_ids: list[str]) -> None:
    """A run of profile "bob" that picks `paper_ids` on `day`."""
    with open_store(path) as store:
        run_id = start_run(store, "bob", day, "local", "", "hash1")
        record_outcomes(store, run_id, [(p, Outcome.JUDGED, None, True, i)
                                        for i, p in enumerate(paper_ids, 1)])
        counts = DayCounts(total=10, scanned=10, unique=10, relevant=len(paper_ids))
        finish_run(store, run_id, "done", counts, Usage(0, 0, 0, 0.0, 0.0))


def test_picks_per_day_are_charted_per_profile_never_summed(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    day = DAYS[0]
    _second_profile_run(data.path, day, data.picks[day.isoformat()][:3])
    with open_store(data.path) as store:
        rows = queries.list_runs(store)
        assert queries.run_profiles(rows) == ["bob", "default"]
        bob = {p.date: p.picks for p in queries.daily_series(store, rows, profile="bob")}
        default = {p.date: p.picks for p in queries.daily_series(store, rows, profile="default")}
    assert bob == {day.isoformat(): 3}
    assert default == {d.isoformat(): len(data.picks[d.isoformat()]) for d in DAYS}
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        page = client.get("/runs").text
    assert 'aria-label="Picks per day (bob)"' in page and 'aria-label="Picks per day (default)"' in page
    assert page.count('<svg class="chart') == 4
    bob_chart = page[page.index('aria-label="Picks per day (bob)"'):].split("</svg>", 1)[0]
    assert f"<title>{day.isoformat()}: 3</title>" in bob_chart


def test_one_run_is_one_run(tmp_path: Path) -> None:
    path = store_at(tmp_path / "one.db")
    with open_store(path) as store:
        run_id = start_run(store, "default", DAYS[0], "local", "", "h")
        finish_run(store, run_id, "done", DayCounts(total=1, scanned=1, unique=1, relevant=0),
                   Usage(0, 0, 0, 0.0, 0.0))
    with TestClient(create_app(path, token=""), base_url=BASE) as client:
        runs = client.get("/runs").text
        digest = client.get(f"/run/{run_id}").text
    assert "1 run ·" in runs and "1 runs" not in runs
    assert "1 paper listed" in digest and "0 candidates" in digest
    assert '<b class="npicks">0</b> picks' in digest


def test_plural_words() -> None:
    assert [plural(n, "pick") for n in (0, 1, 2)] == ["picks", "pick", "picks"]
    assert plural(1, "query", "queries") == "query" and plural(3, "query", "queries") == "queries"


def test_every_cell_of_a_stacked_table_says_what_it_is(tmp_path: Path) -> None:
    """On a narrow screen the header row is hidden: each cell but the row's title carries its
    column's name."""
    data = build_store(tmp_path / "store.db", hostile=False)
    run_id = data.runs[DAYS[0].isoformat()]
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        pages = [client.get(p).text for p in (f"/run/{run_id}?all=1", "/runs", "/archive",
                                              f"/paper/{data.picks[DAYS[0].isoformat()][0]}")]
    for page in pages:
        tables = re.findall(r'<table class="[^"]*\bstack\b[^"]*">.*?</table>', page, re.S)
        assert tables
        for table in tables:
            body = table.split("<tbody>", 1)[1]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
                cells = re.findall(r"<td([^>]*)>", row)
                if len(cells) == 1:  # "No runs yet." spans the row
                    continue
                assert 'class="title"' in cells[0], row
                assert all("data-label=" in c for c in cells[1:]), row
