"""The optional author h-index prefilter against a loopback Semantic Scholar."""

from __future__ import annotations

from dataclasses import replace

import pytest

from papersieve.models import Outcome, Paper
from papersieve.outbound import SEMANTIC_SCHOLAR
from papersieve.prefilter.hindex import HIndexFilter
from papersieve.profile import load_profile
from papersieve.store import Store
from tests.servers.s2_server import FakeS2

FAST = replace(SEMANTIC_SCHOLAR, min_interval=0.0, backoff=0.0)
"""The real policy without its waits."""

PAPERS = (
    Paper("2507.00001", "Low", "a", ("Ann Low", "Bob Lower")),
    Paper("2507.00002", "Mixed", "b", ("Cat Small", "Dan Famous")),
    Paper("2507.00003", "Unknown to S2", "c", ("Eve New",)),
    Paper("2507.00004", "No h-index", "d", ("Fay Blank",)),
)
S2_PAPERS = {
    "2507.00001": [("1", "Ann Low"), ("2", "Bob Lower")],
    "2507.00002": [("3", "Cat Small"), ("4", "Dan Famous")],
    "2507.00004": [("6", "Fay Blank")],
}
HINDEX = {"1": 5, "2": 19, "3": 3, "4": 40, "6": None}



def test_drops_papers_whose_authors_are_all_below_the_floor_and_caches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S2_API_KEY", "s2-test-key")
    with FakeS2(S2_PAPERS, HINDEX, statuses=[429]) as server:
        flt = HIndexFilter(20, store, server.url, policy=FAST)
        result = flt.apply(PAPERS)
        assert [p.id for p in result.kept] == ["2507.00002", "2507.00003", "2507.00004"]
        assert [(j.paper_id, j.outcome, j.detail) for j in result.filtered] == [
            ("2507.00001", Outcome.FILTERED_HINDEX, "highest author h-index 19 < floor 20")]
        assert result.notes == ("h-index unknown for 2 papers: kept",)
        paths = [r[0] for r in server.requests]
        assert paths == ["/graph/v1/paper/batch", "/graph/v1/paper/batch", "/graph/v1/author/batch"]
        assert server.requests[1][1] == {"fields": ["authors"]}
        assert server.requests[1][2] == [f"ARXIV:{p.id}" for p in PAPERS]
        assert server.requests[2][1] == {"fields": ["name,hIndex"]}
        assert {r[3] for r in server.requests} == {"s2-test-key"}
        cached = store.conn.execute("SELECT COUNT(*) FROM author_hindex").fetchone()[0]
        assert cached == 10  # five authors, by id and by name

        again = HIndexFilter(20, store, server.url, policy=FAST).apply(PAPERS[:2])
        assert len(server.requests) == 3  # answered from the cache
        assert [j.paper_id for j in again.filtered] == ["2507.00001"]


def test_off_by_default_and_failures_keep_every_paper(store: Store) -> None:
    profile = load_profile()
    assert profile.settings.filters.h_index_floor == 0
    with FakeS2(S2_PAPERS, HINDEX, statuses=[500] * 10) as server:
        off = HIndexFilter.from_profile(profile, store, policy=FAST)
        assert not off.enabled and off.apply(PAPERS).kept == PAPERS
        down = HIndexFilter(20, store, server.url, policy=FAST).apply(PAPERS)
    assert down.kept == PAPERS and down.filtered == ()
    assert down.notes[0].startswith("h-index filter skipped: Semantic Scholar refused the batch (HTTP 500)")
    assert len(server.requests) == 4
