"""An Atom feed (RFC 4287) of the picks of the most recent days, for feed readers.

Built with the standard library's ElementTree, which escapes `<`, `&` and `>` in text and
attributes; characters that XML 1.0 forbids are removed first.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from papersieve.render.day_summary import DaySummary, as_summary
from papersieve.render.paths import FEED_NAME, relative_day_link
from papersieve.render.text import lang_attrs, tldr_view

ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EASTERN = ZoneInfo("America/New_York")
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text that XML 1.0 can carry."""
    return _FORBIDDEN.sub("", text)


def render_atom(days: Sequence[dict[str, Any] | DaySummary], profile: str, site_url: str = "") -> str:
    """The feed of the picks of `days` (JSON digest dicts or their summaries, newest first)."""
    summaries = [as_summary(day) for day in days]
    if any(day.titles_only for day in summaries):
        raise ValueError("the feed needs every shown field of the picks, not their titles only")
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("xhtml", XHTML_NS)
    base = site_url.rstrip("/") + "/" if site_url else ""
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "title", f"papersieve picks ({profile})")
    # One id for the life of the feed: setting or changing `site_url` later must not make
    # readers see a new feed (RFC 4287 4.2.6: an id is permanent).
    _sub(feed, "id", f"urn:papersieve:{profile}:feed")
    newest = dt.date.fromisoformat(summaries[0].date) if summaries else dt.date(1970, 1, 2)
    _sub(feed, "updated", _stamp(announced(newest)))
    _sub(feed, "author").append(_el("name", "papersieve"))
    _sub(feed, "generator", "papersieve")
    if base:
        ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=base + FEED_NAME)
        ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="alternate", href=base + "index.html")
    for day in summaries:
        for entry in _entries(day, profile, base):
            feed.append(entry)
    ET.indent(feed)
    body = ET.tostring(feed, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def _entries(day: DaySummary, profile: str, base: str) -> list[ET.Element]:
    date = dt.date.fromisoformat(day.date)
    entries = []
    for rank, pid in enumerate(day.picks, 1):
        c = day.picked.get(pid)
        if c is None:
            continue
        entry = ET.Element(f"{{{ATOM_NS}}}entry")
        _sub(entry, "title", c["title"])
        _sub(entry, "id", f"urn:papersieve:{profile}:{day.date}:{pid}")
        _sub(entry, "updated", _stamp(entry_updated(date, rank)))
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=c["url"])
        if base:
            ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="related",
                          href=f"{base}{relative_day_link(date)}#link{rank}")
        for url in c.get("code", []):
            ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="related", title="code", href=url)
        for name in c["authors"]:
            _sub(entry, "author").append(_el("name", name))
        _language_parts(entry, c)
        entries.append(entry)
    return entries


def announced(day: dt.date) -> dt.datetime:
    """When arXiv announced the listing of `day`: 20:00 US Eastern the evening before, in UTC."""
    evening = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(20, 0), tzinfo=EASTERN)
    return evening.astimezone(dt.UTC)


def entry_updated(day: dt.date, rank: int) -> dt.datetime:
    """A pick's `updated`: the announcement, one second earlier per rank.

    Distinct within the feed (a day's picks never reach 86,400), the same on every rerun of the
    day, and in rank order for readers that sort by time; every entry having the day's midnight
    made them reorder the picks.
    """
    return announced(day) - dt.timedelta(seconds=rank - 1)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(c: dict[str, Any], comment: bool = True) -> str:
    scores = f"Relevance {_n(c['relevance'])}, novelty {_n(c['novelty'])}."
    code = "Code: " + " ".join(c["code"]) + "." if c.get("code") else ""
    said = c["comment"] if comment else ""
    return " ".join(part for part in (scores, said, code, c["abstract"]) if part)


def _language_parts(entry: ET.Element, c: dict[str, Any]) -> None:
    """The summary; with a TL;DR or a comment in another language, also an XHTML `content` whose
    parts carry their own `xml:lang` (and `dir` for right-to-left), the summary staying English."""
    language, tldr = c.get("language", ""), c.get("tldr", "")
    if not language and not tldr:
        _sub(entry, "summary", _summary(c))
        return
    _sub(entry, "summary", _summary(c, comment=not language)).set(XML_LANG, "en")
    content = _sub(entry, "content")
    content.set("type", "xhtml")
    div = ET.SubElement(content, f"{{{XHTML_NS}}}div")
    if tldr:
        view = tldr_view(tldr, c.get("tldr_kind", ""), language)
        para = ET.SubElement(div, f"{{{XHTML_NS}}}p")
        ET.SubElement(para, f"{{{XHTML_NS}}}b").text = view["label"] + ":"
        para[0].tail = " "
        _xhtml_text(para, "span", tldr, view["lang"])
    if c["comment"]:
        _xhtml_text(div, "p", c["comment"], language)


def _xhtml_text(parent: ET.Element, tag: str, text: str, language: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{XHTML_NS}}}{tag}")
    element.text = clean(text)
    for name, value in lang_attrs(language).items():
        element.set(XML_LANG if name == "lang" else name, value)
    return element


def _n(value: float | None) -> str:
    if value is None:
        return "n/a"
    return str(int(value)) if float(value).is_integer() else str(value)


def _el(tag: str, text: str) -> ET.Element:
    element = ET.Element(f"{{{ATOM_NS}}}{tag}")
    element.text = clean(text)
    return element


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}")
    if text is not None:
        element.text = clean(text)
    return element
