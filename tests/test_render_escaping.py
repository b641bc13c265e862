"""Hostile titles, abstracts and authors come out as text in HTML and Atom, never as markup."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser

from papersieve.deliver.files import write_outputs
from papersieve.render.atom import ATOM_NS, render_atom
from papersieve.render.html import render_day_html
from papersieve.render.json_out import digest_dict, render_json
from tests.digestfixtures import HOSTILE_ABSTRACT, HOSTILE_AUTHOR, HOSTILE_TITLE, sample_digest


class Collector(HTMLParser):
    """Every start tag with its attributes, and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


KATEX_SCRIPTS = ("katex.min.js", "contrib/auto-render.min.js", "papersieve-tex.js")
"""The only script elements a site page may hold: KaTeX, from the site's own static/katex/."""


def foreign_tags(page: Collector) -> set[str]:
    """The names of the tags hostile text could have brought, KaTeX's own script elements aside."""
    names = set()
    for tag, attrs in page.tags:
        src = attrs.get("src") or ""
        ours = tag == "script" and any(src.endswith("static/katex/" + name) for name in KATEX_SCRIPTS)
        if not ours:
            names.add(tag)
    return names


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    return collector


def test_html_page_shows_hostile_text_as_text() -> None:
    page = parse(render_day_html(digest_dict(sample_digest(hostile=True))))
    names = foreign_tags(page)
    assert not names & {"script", "img", "svg", "textarea", "b", "iframe"}
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)
    text = "".join(page.text)
    assert HOSTILE_TITLE in text
    assert HOSTILE_ABSTRACT in text
    assert HOSTILE_AUTHOR in text


def test_atom_feed_carries_hostile_text_exactly_and_parses() -> None:
    day = digest_dict(sample_digest(hostile=True))
    xml = render_atom([day], "default")
    root = ET.fromstring(xml)
    titles = [e.text for e in root.iter(f"{{{ATOM_NS}}}title")]
    assert HOSTILE_TITLE in titles
    summaries = [e.text or "" for e in root.iter(f"{{{ATOM_NS}}}summary")]
    # XML 1.0 cannot carry \x0b: it is the one character removed.
    assert any(HOSTILE_ABSTRACT.replace("\x0b", "") in s for s in summaries)
    parsed = feedparser.parse(xml)
    assert not parsed.bozo
    assert len(parsed.entries) == 2
    assert {a["name"] for e in parsed.entries for a in e.authors} >= {HOSTILE_AUTHOR}


def test_json_round_trips_hostile_text() -> None:
    data = json.loads(render_json(sample_digest(hostile=True)))
    by_id = {c["id"]: c for c in data["candidates"]}
    assert by_id["2507.00001"]["title"] == HOSTILE_TITLE
    assert by_id["2507.00001"]["abstract"] == HOSTILE_ABSTRACT


def test_written_site_has_no_hostile_markup_in_any_page(tmp_path: Path) -> None:
    write_outputs(sample_digest(hostile=True), tmp_path)
    for page in tmp_path.rglob("*.html"):
        names = foreign_tags(parse(page.read_text("utf-8")))
        assert "script" not in names and "img" not in names, page
