"""Collections: filing papers from a card, a collection's page with the latest day ranked by it,
and BibTeX / CSL-JSON exports of a collection and of the likes (read back by bibtexparser, the
library `import-likes` uses, and as JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest
from starlette.testclient import TestClient

from papersieve.store import open_store
from papersieve.web.app import create_app
from tests.webdata import DAYS, HOSTILE_IDS, SCRIPT_TITLE, WebData, build_store

BASE = "http://127.0.0.1:8000"


@pytest.fixture()
def data(tmp_path: Path) -> WebData:
    return build_store(tmp_path / "store.db")


@pytest.fixture()
def client(data: WebData) -> Iterator[TestClient]:
    with TestClient(create_app(data.path, token=""), base_url=BASE) as test_client:
        yield test_client


def csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def file(client: TestClient, paper_id: str, name: str, **extra: str) -> object:
    return client.post("/collections/file", data={"paper_id": paper_id, "collection": name, **extra},
                       headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"})


def test_file_papers_and_open_the_collection(client: TestClient, data: WebData) -> None:
    picks = data.picks[DAYS[0].isoformat()]
    assert 'class="file"' in client.get("/").text  # every card can file its paper
    for paper_id in picks[:3]:
        reply = file(client, paper_id, "  Reading   group ")
        assert reply.status_code == 200 and "Filed under" in reply.text  # type: ignore[attr-defined]
    again = file(client, picks[0], "reading GROUP")  # the same collection, the paper once
    assert "(3 papers)" in again.text  # type: ignore[attr-defined]
    out = file(client, picks[2], "Reading group", remove="1")
    assert "Taken out of" in out.text and "(2 papers)" in out.text  # type: ignore[attr-defined]
    page = client.get("/collection/Reading%20group").text
    assert sorted(re.findall(r'<article class="paper" id="p-([^"]+)"', page)) == sorted(picks[:2])
    ranked = page.split('class="ranked"', 1)[1].split("</section>", 1)[0]
    assert DAYS[-1].isoformat() + ", ranked by this collection" in ranked
    assert ranked.count("<li>") == 30 and picks[0] not in ranked
    listing = client.get("/collections").text
    assert 'href="/collection/Reading%20group/bibtex"' in listing
    with open_store(data.path) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0  # not likes


def test_bad_names_and_papers_are_one_line(client: TestClient, data: WebData) -> None:
    assert file(client, data.picks[DAYS[0].isoformat()][0], "   ").status_code == 400  # type: ignore[attr-defined]
    missing = file(client, "2601.99999", "x")
    assert missing.status_code == 400 and "no paper &#39;2601.99999&#39; in the store" in missing.text  # type: ignore[attr-defined]
    assert client.get("/collection/nothing").status_code == 404
    assert client.get("/collection/nothing/bibtex").status_code == 404
    assert client.get("/likes/pdf").status_code == 404


def test_exports_read_back(client: TestClient, data: WebData) -> None:
    picks = data.picks[DAYS[0].isoformat()][:2]
    for paper_id in (*picks, HOSTILE_IDS[0]):
        file(client, paper_id, "Export me")
    bib = client.get("/collection/Export%20me/bibtex")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert 'filename="papersieve-collection.bib"' in bib.headers["content-disposition"]
    library = bibtexparser.parse_string(bib.text)
    assert not library.failed_blocks
    titles = {e.fields_dict["eprint"].value.strip("{}"): e.fields_dict["title"].value
              for e in library.entries}
    assert sorted(titles) == sorted([*picks, HOSTILE_IDS[0]])
    assert {e.fields_dict["archivePrefix"].value for e in library.entries} == {"{arXiv}"}
    assert titles[HOSTILE_IDS[0]] == "{" + SCRIPT_TITLE + "}"
    csl = json.loads(client.get("/collection/Export%20me/csl-json").text)
    assert {r["id"] for r in csl} == {*picks, HOSTILE_IDS[0]}
    first = next(r for r in csl if r["id"] == picks[0])
    assert first["type"] == "article" and first["DOI"] == f"10.48550/arXiv.{picks[0]}"
    assert first["issued"]["date-parts"][0][:2] == [DAYS[0].year, DAYS[0].month] and first["author"]


def test_likes_export(client: TestClient, data: WebData) -> None:
    token = csrf(client)
    liked = data.picks[DAYS[1].isoformat()][3]
    reply = client.post("/feedback", data={"paper_id": liked, "label": "like"},
                        headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert reply.status_code == 200
    csl = json.loads(client.get("/likes/csl-json").text)
    assert [r["id"] for r in csl] == [liked]
    assert liked in client.get("/likes/bibtex").text
