"""Code links: a repository named in a paper's abstract or arXiv comments becomes a "code" badge
in the HTML, JSON, Atom and web app, and the web app filters on it; the seed Markdown is unchanged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from papersieve.cli.main import main
from papersieve.codelinks import code_links, has_code
from papersieve.home import database_path
from papersieve.models import Digest
from papersieve.render.atom import render_atom
from papersieve.render.html import render_day_html
from papersieve.render.json_out import digest_dict
from papersieve.render.markdown import render_markdown
from papersieve.store import open_store
from papersieve.web.app import create_app
from tests.digestfixtures import sample_digest
from tests.servers.biorxiv_server import BiorxivServer
from tests.servers.feed_server import FeedServer
from tests.test_biorxiv import profile_folder

REPO = "https://github.com/okafor-lab/grid-remap"


@pytest.mark.parametrize(("text", "expected"), [
    ("Code and data are at https://github.com/okafor-lab/grid-remap.", (REPO,)),
    ("(code: github.com/okafor-lab/grid-remap.git)", (REPO,)),
    ("see https://GitHub.com/okafor-lab/grid-remap/tree/main/src and " + REPO, (REPO,)),
    ("https://gitlab.com/silva-group/sub/dengue/-/tree/main", ("https://gitlab.com/silva-group/sub/dengue",)),
    ("demo at https://huggingface.co/spaces/acme/demo, weights at huggingface.co/acme/model-7b",
     ("https://huggingface.co/spaces/acme/demo", "https://huggingface.co/acme/model-7b")),
    ("mirror: https://codeberg.org/forge/tool;", ("https://codeberg.org/forge/tool",)),
    ("our profile https://github.com/okafor-lab and https://github.com/features/actions", ()),
    ("no code here, only notgithub.com/a/b and https://example.org/github.com/a/b", ()),
])
def test_repositories_are_found_and_normalised(text: str, expected: tuple[str, ...]) -> None:
    assert code_links(text) == expected
    assert has_code(text) is bool(expected)


def test_the_arxiv_comments_count_too() -> None:
    assert code_links("An abstract.", "12 pages; code: https://github.com/a/b") == ("https://github.com/a/b",)


def with_code(digest: Digest) -> Digest:
    first = digest.picks[0]
    paper = dataclasses.replace(first.paper, comment=f"Accepted at X. Code: {REPO}")
    papers = {**digest.papers, paper.id: paper}
    picks = (dataclasses.replace(first, paper=paper), *digest.picks[1:])
    return dataclasses.replace(digest, picks=picks, papers=papers)


def test_every_output_shows_the_badge_and_the_markdown_stays_the_seed_format() -> None:
    plain = sample_digest()
    digest = with_code(plain)
    day = digest_dict(digest)
    by_id = {c["id"]: c for c in day["candidates"]}
    assert by_id[digest.picks[0].paper.id]["code"] == [REPO]
    assert by_id[digest.picks[1].paper.id]["code"] == []
    html = render_day_html(day)
    assert html.count('class="pinned code"') == 1 and f'href="{REPO}"' in html
    atom = render_atom([day], "default")
    assert f'<link rel="related" title="code" href="{REPO}" />' in atom
    assert f"Code: {REPO}." in atom
    assert render_markdown(digest) == render_markdown(plain)


@pytest.fixture
def mixed_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A run of an arXiv day (the feed server) plus bioRxiv and medRxiv posts, two of which name
    a repository; yields the run id."""
    folder = profile_folder(tmp_path / "mixed", '["cs.LG", "biorxiv:neuroscience", "medrxiv:epidemiology"]')
    with BiorxivServer() as api, FeedServer(dt.date(2025, 7, 3)) as feeds:
        monkeypatch.setenv("PAPERSIEVE_BIORXIV_API_URL", api.url)
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", feeds.rss_template)
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        result = CliRunner().invoke(click.Command("p", callback=lambda: main(
            ["run", "--profile", str(folder), "--date", "2025-07-03", "--out", str(tmp_path / "out")])), [])
    assert result.exit_code == 0, result.output
    with open_store() as store:
        yield int(store.conn.execute("SELECT MAX(id) FROM runs").fetchone()[0])


def article_ids(html: str) -> list[str]:
    return re.findall(r'<article class="paper[^"]*" id="p-([^"]+)"', html)


def test_the_web_app_filters_with_code_only(mixed_day: int) -> None:
    with open_store() as store:
        rows = store.conn.execute("SELECT id, abstract, comment FROM papers").fetchall()
    expected = {r[0].replace("/", "-") for r in rows if has_code(r[1], r[2])}
    assert "10.1101-2025.07.01.662001" in expected and "10.1101-2025.07.01.25330002" in expected
    assert len(expected) < len(rows)
    with TestClient(create_app(database_path(), token=""), base_url="http://127.0.0.1:8000") as client:
        everything = client.get(f"/run/{mixed_day}?all=1").text
        coded = client.get(f"/run/{mixed_day}?all=1&code=1").text
        found = client.get("/search?code=1").text
    assert set(article_ids(coded)) == expected < set(article_ids(everything))
    assert 'class="code" href="https://github.com/okafor-lab/grid-remap"' in coded
    assert 'class="code" href="https://gitlab.com/silva-group/dengue-forecast"' in coded
    assert set(article_ids(found)) == expected
    assert 'name="code" value="1" checked' in found


def test_the_json_of_the_day_lists_code(mixed_day: int, tmp_path: Path) -> None:
    day = json.loads((tmp_path / "out" / "2025-07" / "2025-07-03.json").read_text("utf-8"))
    by_id = {c["id"]: c for c in day["candidates"]}
    assert by_id["10.1101/2025.07.01.662001"]["code"] == [REPO]
    assert by_id["10.1101/2025.07.01.662002"]["code"] == []


def test_with_code_reads_the_flag_kept_at_ingest_not_every_abstract(
        mixed_day: int, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store() as store:
        rows = store.conn.execute("SELECT d.has_code, p.abstract, p.comment FROM papers_data d"
                                  " JOIN papers p ON p.pk = d.pk").fetchall()
    assert [r[0] for r in rows] == [int(has_code(r[1], r[2])) for r in rows] and len(rows) > 30
    calls: list[tuple[str | None, ...]] = []

    def counted(*texts: str | None) -> bool:
        calls.append(texts)
        return has_code(*texts)

    monkeypatch.setattr("papersieve.web.search.has_code", counted)
    with TestClient(create_app(database_path(), token=""), base_url="http://127.0.0.1:8000") as client:
        found = client.get("/search?code=1").text
        assert len(article_ids(found)) == sum(r[0] for r in rows)
        assert calls == []  # no abstract read again (it was once per stored paper)
        with open_store() as store:  # a row written without the flag (through the view) is read
            store.conn.execute("UPDATE papers_data SET has_code = NULL WHERE has_code = 1")
        assert len(article_ids(client.get("/search?code=1").text)) == sum(r[0] for r in rows)
        assert len(set(calls)) == sum(r[0] for r in rows)  # those rows only (count and page)
