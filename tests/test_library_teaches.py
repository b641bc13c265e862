"""The library teaches (issue 18): each entry's own title and abstract is a liked example of the
profile whether or not the store holds the paper; CSL-JSON and Zotero RDF exports; arXiv
abstracts looked up by `id_list`; a live Zotero library through the web API (loopback)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from papersieve import outbound
from papersieve.cli.main import main
from papersieve.feedback import import_likes
from papersieve.judges.local import LocalJudge
from papersieve.judges.local.model.persist import load_model
from papersieve.judges.local.model.ranker import Ranker
from papersieve.library import read_library
from papersieve.outbound.transport import _Pacer
from papersieve.profile.loader import load_profile
from papersieve.sources import arxiv_lookup
from papersieve.sources.jsonl import paper_from_record, read_records
from papersieve.store.db import Store
from papersieve.store.library import library_examples
from papersieve.store.papers import upsert_papers
from papersieve.zotero import ZoteroClient, ZoteroLibrary
from tests.conftest import DATA
from tests.fakeclock import Clock
from tests.servers.scripted_http import Reply, ScriptedServer

HERE = Path(__file__).resolve().parent / "fixtures"
DAY = DATA / "candidates" / "arxiv-2025-07-03-cs.LG+cs.AI.jsonl"
EARLIER = [DATA / "candidates" / f"arxiv-2025-06-{d}-cs.LG+cs.AI.jsonl" for d in (25, 26, 27, 30)]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def test_entries_not_in_the_store_teach_with_their_own_text(store: Store, tmp_path: Path) -> None:
    """A library of papers the store never saw moves the judge towards them: before, such
    entries were recorded as likes of ids the store did not hold, which taught nothing."""
    day = [paper_from_record(r) for r in read_records(DAY)]
    upsert_papers(store, day)
    profile = load_profile()
    _, before, _ = LocalJudge(profile, store).score(day)
    # Twenty papers of another day, about one subject: far down today's ranking at first.
    earlier = [paper_from_record(r) for name in EARLIER for r in read_records(name)]
    robots = [p for p in earlier if "robot" in p.abstract.lower()][:20]
    assert len(robots) == 20
    bib = tmp_path / "mine.bib"
    bib.write_text("".join(
        f"@article{{k{i}, title={{{p.title}}}, abstract={{{p.abstract}}}, eprint={{{p.id}}}}}\n"
        for i, p in enumerate(robots)))
    report = import_likes(store, bib, profile)
    assert report.examples == 20 and report.matched == () and report.train is not None
    assert report.train.positives == 20 and report.train.negatives > 0  # stand-in negatives
    # A library is not the ranker's own choice: its model is not capped as answers alone are.
    stored = load_model(store, profile.name)
    assert stored is not None and stored.meta["library_labels"] == 20
    assert not Ranker(profile, stored.model, stored.meta, store).answers_only
    _, after, _ = LocalJudge(profile, store).score(day)
    about = np.array(["robot" in p.abstract.lower() for p in day])
    assert about.sum() >= 5
    rank_before = np.argsort(np.argsort(-before))[about].mean()
    rank_after = np.argsort(np.argsort(-after))[about].mean()
    assert rank_after < rank_before - 20, (rank_before, rank_after)


def test_csl_json_and_zotero_rdf_exports(tmp_path: Path) -> None:
    csl = tmp_path / "lib.json"
    csl.write_text(json.dumps([
        {"id": "a", "type": "article", "title": "Sparse Experts", "abstract": "We route tokens.",
         "number": "arXiv:2506.01234", "archive": "arXiv", "issued": {"date-parts": [[2025, 6]]}},
        {"id": "b", "type": "article-journal", "title": "A Journal Paper",
         "DOI": "10.48550/arXiv.2501.00001", "accessed": {"date-parts": [[2025, 7, 3]]}},
    ]))
    entries, kind = read_library(csl)
    assert kind == "csl-json"
    assert [(e.title, e.abstract, e.arxiv_id, e.added) for e in entries] == [
        ("Sparse Experts", "We route tokens.", "2506.01234", "2025-06-01"),
        ("A Journal Paper", "", "2501.00001", "2025-07-03")]
    rdf = tmp_path / "lib.rdf"
    rdf.write_text("""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:z="http://www.zotero.org/namespaces/export#" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:dcterms="http://purl.org/dc/terms/" xmlns:bib="http://purl.org/net/biblio#">
 <bib:Article rdf:about="http://arxiv.org/abs/2506.01234v2">
  <z:itemType>preprint</z:itemType>
  <dc:title>Sparse Experts</dc:title>
  <dcterms:abstract>We route tokens.</dcterms:abstract>
  <dcterms:dateSubmitted>2025-06-30 08:00:00</dcterms:dateSubmitted>
 </bib:Article>
 <z:Attachment rdf:about="#item_9"><z:itemType>attachment</z:itemType>
  <dc:title>Full Text PDF</dc:title></z:Attachment>
 <bib:Journal rdf:about="urn:issn:1234"><dc:title>Some Journal</dc:title></bib:Journal>
 <bib:Article rdf:about="#item_3">
  <z:itemType>journalArticle</z:itemType>
  <dc:title>Reef Surveys</dc:title>
  <dc:identifier>DOI 10.1000/reef</dc:identifier>
 </bib:Article>
</rdf:RDF>""")
    entries, kind = read_library(rdf)
    assert kind == "zotero-rdf"
    assert [(e.title, e.abstract, e.arxiv_id, e.doi, e.added) for e in entries] == [
        ("Sparse Experts", "We route tokens.", "2506.01234", "", "2025-06-30 08:00:00"),
        ("Reef Surveys", "", "", "10.1000/reef", "")]


def test_missing_abstracts_are_looked_up_by_id_list(store: Store, tmp_path: Path,
                                                    server: ScriptedServer) -> None:
    recording = json.loads((HERE / "arxiv_idlist" / "id_0808.05394_1707.08567.json").read_text())
    server.script(Reply(body=recording["body"].encode(),
                        headers={"Content-Type": "application/atom+xml"}))
    bib = tmp_path / "ids.bib"
    bib.write_text("@misc{a, title={Workshop AEW10}, eprint={1707.08567}}\n"
                   "@misc{b, title={Not on arXiv any more}, eprint={0808.05394}}\n")
    clock = Clock(100.0)
    http = httpx.Client(transport=outbound.PoliteTransport(
        outbound.ARXIV_LOOKUP, sleep=clock.sleep, clock=clock, pacer=_Pacer()))

    def lookup(ids: list[str]) -> tuple[dict[str, object], str]:
        return arxiv_lookup.lookup_abstracts(ids, server.url + "/api/query", http)  # type: ignore[return-value]

    report = import_likes(store, bib, load_profile(), lookup)  # type: ignore[arg-type]
    assert report.looked_up == 1 and report.lookup_note == ""
    assert len(server.requests) == 1
    assert "id_list=1707.08567%2C0808.05394" in server.requests[0][1]
    kept = {e.key: e for e in library_examples(store, "default")}
    assert kept["1707.08567"].abstract.startswith("The 10th Asia-Europe workshop in \"Concepts")
    assert kept["0808.05394"].abstract == ""


def test_lookups_are_batched_three_seconds_apart(server: ScriptedServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.loads((HERE / "arxiv_idlist" / "id_0808.05394_1707.08567.json").read_text())["body"]
    server.script(*[Reply(body=body.encode()) for _ in range(3)])
    monkeypatch.setattr(arxiv_lookup, "BATCH", 2)
    clock = Clock(100.0)
    http = httpx.Client(transport=outbound.PoliteTransport(
        outbound.ARXIV_LOOKUP, sleep=clock.sleep, clock=clock, pacer=_Pacer()))
    found, note = arxiv_lookup.lookup_abstracts(["1707.08567", "2501.00001", "2501.00002",
                                                 "2501.00003", "2501.00004"],
                                                server.url + "/api/query", http)
    assert set(found) == {"1707.08567"} and note == ""
    assert len(server.requests) == 3
    assert clock.waits == [pytest.approx(3.0), pytest.approx(3.0)]


def test_a_failing_api_keeps_the_titles_and_says_why(store: Store, tmp_path: Path,
                                                      server: ScriptedServer) -> None:
    server.script(Reply(status=400, body=b"bad"))
    bib = tmp_path / "ids.bib"
    bib.write_text("@misc{a, title={Workshop AEW10}, eprint={1707.08567}}\n")
    report = import_likes(store, bib, load_profile(),
                          lambda ids: arxiv_lookup.lookup_abstracts(ids, server.url + "/q"))
    assert report.looked_up == 0 and report.lookup_note.startswith("the arXiv API did not answer (HTTP 400)")
    assert [e.title for e in library_examples(store, "default")] == ["Workshop AEW10"]


def _zotero_pages(server: ScriptedServer, *, link: bool) -> None:
    collections = (HERE / "zotero" / "collections.json").read_bytes()
    page1 = (HERE / "zotero" / "items-top-page1.json").read_bytes()
    page2 = (HERE / "zotero" / "items-top-page2.json").read_bytes()
    nxt = {"Link": f'<{server.url}/users/475425/items/top?format=json&limit=2&start=2>; rel="next"'}
    server.script(
        Reply(body=collections, headers={"Total-Results": "3"}),
        Reply(status=429, body=b"Too many requests", headers={"Retry-After": "2"}),
        Reply(body=page1, headers={"Total-Results": "4", "Backoff": "5", **(nxt if link else {})}),
        Reply(body=page2, headers={"Total-Results": "4"}),
    )


@pytest.mark.parametrize("link", [True, False])
def test_a_live_zotero_library_is_read_page_by_page(server: ScriptedServer, link: bool) -> None:
    _zotero_pages(server, link=link)
    clock = Clock(100.0)
    http = httpx.Client(transport=outbound.PoliteTransport(
        outbound.ZOTERO, sleep=clock.sleep, clock=clock, pacer=_Pacer()))
    client = ZoteroClient(ZoteroLibrary("475425", exclude=("Hobby",)), key="sekrit-key",
                          base=server.url, client=http, sleep=clock.sleep)
    entries = client.entries()
    assert [(e.title, e.arxiv_id, e.added[:10]) for e in entries] == [
        ("Sparse Mixture-of-Experts Layers Learn Modular Features", "2506.01234", "2025-06-30"),
        ("Low-Rank Adaptation of Quantized Transformers", "", "2025-05-02"),
        ("Protein Language Models at Scale", "2504.05678", "2025-04-01")]
    paths = [r[1] for r in server.requests]
    assert paths[0].startswith("/users/475425/collections?")
    assert all(p.startswith("/users/475425/items/top?") for p in paths[1:])
    assert "start=2" in paths[-1] and "limit=" in paths[-1]
    assert all(r[2].get("Zotero-API-Key") == "sekrit-key" and r[2].get("Zotero-API-Version") == "3"
               for r in server.requests)
    assert clock.waits == [pytest.approx(2.0), pytest.approx(5.0)]  # Retry-After, then Backoff


def test_import_likes_zotero_on_the_command_line(
        server: ScriptedServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], store: Store) -> None:
    _zotero_pages(server, link=True)
    server.script()  # nothing more
    monkeypatch.setenv("PAPERSIEVE_ZOTERO_API_URL", server.url)
    monkeypatch.setenv("ZOTERO_USER_ID", "475425")
    monkeypatch.setenv("ZOTERO_API_KEY", "sekrit-key")
    monkeypatch.setattr("papersieve.zotero.time.sleep", lambda s: None)
    monkeypatch.setattr("papersieve.outbound.transport.time.sleep", lambda s: None, raising=False)
    main(["import-likes", "--zotero", "--offline", "--collection", "Efficiency",
          "--collection", "COLLKEY2"])
    out = capsys.readouterr().out
    assert out.startswith("3 entries (zotero): 3 library examples for profile default (3 new)")
    assert "sekrit" not in out
    kept = library_examples(store, "default")
    assert kept[0].title == "Sparse Mixture-of-Experts Layers Learn Modular Features"
    assert not any("sekrit" in str(tuple(r)) for r in store.conn.execute("SELECT * FROM library_examples"))


def test_zotero_needs_a_user_or_group(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["import-likes", "--zotero"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == ("error: set ZOTERO_USER_ID (your Zotero user id,"
                                       " zotero.org/settings/keys) or give --group ID\n")
