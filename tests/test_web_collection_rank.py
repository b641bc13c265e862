"""A day ranked by a collection (issue 21): the local judge's model trained on the collection's
papers (positives) against the newest other stored papers, kept per collection (in memory and in
the store) until the collection changes, each ranked paper with a reason as the local judge gives
one."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from papersieve.store import open_store
from papersieve.store.papers import get_papers
from papersieve.web import collection_rank
from papersieve.web.app import create_app
from tests.test_web_collections import file
from tests.webdata import DAYS, WebData, build_store

BASE = "http://127.0.0.1:8000"
LOW_RANK = re.compile(r"low[- ]rank|lora\b", re.IGNORECASE)


@pytest.fixture()
def data(tmp_path: Path) -> WebData:
    return build_store(tmp_path / "store.db")


@pytest.fixture()
def client(data: WebData) -> Iterator[TestClient]:
    collection_rank.forget()
    with TestClient(create_app(data.path, token=""), base_url=BASE) as test_client:
        yield test_client


def low_rank_papers(data: WebData, day: int, count: int) -> list[str]:
    """Papers of a day whose title is about low-rank adaptation."""
    with open_store(data.path) as store:
        ids = [str(r[0]) for r in store.conn.execute(
            "SELECT paper_id FROM run_candidates WHERE run_id = ? ORDER BY paper_id",
            (data.runs[DAYS[day].isoformat()],))]
    found = [p for p in ids if LOW_RANK.search(data.titles[p])]
    assert len(found) >= count
    return found[:count]


def ranked(page: str) -> list[tuple[str, str]]:
    """(paper id, reason) of each ranked paper, best first."""
    section = page.split('class="ranked"', 1)[1].split("</section>", 1)[0]
    return [(html.unescape(pid), html.unescape(reason)) for pid, reason in re.findall(
        r'<li><a class="tex" href="/paper/([^"]+)">.*?<p class="comment reason">([^<]*)</p>', section, re.S)]


def test_the_latest_day_is_ranked_by_a_model_of_the_collection_with_reasons(
        client: TestClient, data: WebData) -> None:
    members = low_rank_papers(data, 0, 5)
    for paper_id in members:
        file(client, paper_id, "Low rank")
    rows = ranked(client.get("/collection/Low%20rank").text)
    assert len(rows) == 30 and not set(members) & {pid for pid, _ in rows}
    with open_store(data.path) as store:
        papers = get_papers(store, [pid for pid, _ in rows])
    texts = {pid: f"{p.title} {p.abstract}".lower() for pid, p in papers.items()}
    # The collection's subject comes first: 4 of the top 5 are about low-rank adaptation (of the
    # day's ~600 candidates, about 20 are).
    assert sum(bool(LOW_RANK.search(texts[pid])) for pid, _ in rows[:5]) >= 4
    for pid, reason in rows[:10]:
        words = re.findall(r'"([^"]+)"', reason.split("resembles", 1)[0])
        assert reason.startswith("Matches this collection's words ") and words, reason
        assert all(w in re.sub(r"[^a-z0-9]+", " ", texts[pid]) for w in words), (pid, reason)
    named = [r for _, r in rows if "filed here" in r]
    titles = {data.titles[m] for m in members}
    assert named and all(re.search(r'resembles "(.+)", filed here', r).group(1) in titles  # type: ignore[union-attr]
                         for r in named)


def test_the_trained_model_is_kept_until_the_collection_changes(client: TestClient, data: WebData) -> None:
    members = low_rank_papers(data, 0, 4)
    for paper_id in members[:3]:
        file(client, paper_id, "Kept")
    start = collection_rank.trainings
    first = ranked(client.get("/collection/Kept").text)
    assert collection_rank.trainings == start + 1
    assert ranked(client.get("/collection/Kept").text) == first  # from memory, the same ranking
    assert collection_rank.trainings == start + 1
    collection_rank.forget()  # a restarted app reads the model from the store
    assert ranked(client.get("/collection/Kept").text) == first
    assert collection_rank.trainings == start + 1
    with open_store(data.path) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM collection_models").fetchone()[0] == 1
    file(client, members[3], "Kept")  # the collection changed: trained again
    client.get("/collection/Kept")
    assert collection_rank.trainings == start + 2
    file(client, members[3], "Kept", remove="1")
    assert ranked(client.get("/collection/Kept").text) == first
    assert collection_rank.trainings == start + 3


def test_an_empty_collection_ranks_nothing(client: TestClient, data: WebData) -> None:
    paper_id = data.picks[DAYS[0].isoformat()][0]
    file(client, paper_id, "Gone")
    file(client, paper_id, "Gone", remove="1")
    page = client.get("/collection/Gone").text
    assert ranked(page) == [] and "Nothing to rank: the collection is empty" in page
