"""Build arXiv responses byte-compatible with the real services from the repo's real data.

Daily feeds for 2025-07-01..03 are generated from `data/realworld/arxiv-<date>-<cat>.jsonl` in
the exact item format of rss.arxiv.org (copied from the recorded feeds in
`data/realworld/feeds/rss/`), plus `replace` / `replace-cross` items re-announcing papers of the
previous day as version 2. The recorded feeds themselves are served verbatim too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
REALWORLD = REPO / "data" / "realworld"
FEEDS = REALWORLD / "feeds"
DAYS = (dt.date(2025, 7, 1), dt.date(2025, 7, 2), dt.date(2025, 7, 3))
REPLACEMENTS_PER_FEED = 6
"""How many papers of the previous day each generated feed re-announces as replacements."""


@dataclass(frozen=True)
class FeedItem:
    """One item of a daily feed."""

    id: str
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    announce_type: str


def jsonl_items(day: dt.date, category: str) -> list[FeedItem]:
    """The new and cross items of one real day and category."""
    path = REALWORLD / f"arxiv-{day.isoformat()}-{category}.jsonl"
    if not path.exists():
        return []
    items = []
    for line in path.read_text("utf-8").splitlines():
        r = json.loads(line)
        items.append(FeedItem(r["id"], 1, r["title"], r["abstract"], tuple(r["authors"]),
                              tuple(r["categories"]), r["announce_type"]))
    return sorted(items, key=lambda i: i.announce_type != "new")


def day_items(day: dt.date, category: str, replacements: bool = True) -> list[FeedItem]:
    """A full day: new, then cross, then replacements of the previous day's papers."""
    items = jsonl_items(day, category)
    if replacements:
        previous = jsonl_items(day - dt.timedelta(days=1), category)[:REPLACEMENTS_PER_FEED]
        for old in previous:
            kind = "replace" if old.categories[:1] == (category,) else "replace-cross"
            items.append(FeedItem(old.id, 2, old.title, old.abstract, old.authors,
                                  old.categories, kind))
    return items


def rss_date(day: dt.date) -> str:
    """RFC 822 midnight US Eastern, as the feeds print it (EDT in summer, EST in winter)."""
    offset = "-0400" if 3 <= day.month <= 10 else "-0500"
    return day.strftime("%a, %d %b %Y 00:00:00 ") + offset


def rss_item(item: FeedItem, day: dt.date) -> str:
    """One `<item>` exactly as rss.arxiv.org writes it."""
    cats = "".join(f"      <category>{c}</category>\n" for c in item.categories)
    return (
        "    <item>\n"
        f"      <title>{escape(item.title)}</title>\n"
        f"      <link>https://arxiv.org/abs/{item.id}</link>\n"
        f"      <description>arXiv:{item.id}v{item.version} Announce Type: {item.announce_type} \n"
        f"Abstract: {escape(item.abstract)}</description>\n"
        f'      <guid isPermaLink="false">oai:arXiv.org:{item.id}v{item.version}</guid>\n'
        f"{cats}"
        f"      <pubDate>{rss_date(day)}</pubDate>\n"
        f"      <arxiv:announce_type>{item.announce_type}</arxiv:announce_type>\n"
        "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
        f"      <dc:creator>{escape(', '.join(item.authors))}</dc:creator>\n"
        "    </item>\n"
    )


def rss_feed(category: str, day: dt.date, items: list[FeedItem]) -> bytes:
    """A whole RSS 2.0 channel in the rss.arxiv.org layout."""
    head = (
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">\n  <channel>\n'
        f"    <title>{category} updates on arXiv.org</title>\n"
        f"    <link>http://rss.arxiv.org/rss/{category}</link>\n"
        f"    <description>{category} updates on the arXiv.org e-print archive.</description>\n"
        f'    <atom:link href="http://rss.arxiv.org/rss/{category}" rel="self"'
        ' type="application/rss+xml" />\n'
        "    <docs>http://www.rssboard.org/rss-specification</docs>\n"
        "    <language>en-us</language>\n"
        f"    <lastBuildDate>{day.strftime('%a, %d %b %Y')} 04:00:00 +0000</lastBuildDate>\n"
        "    <managingEditor>rss-help@arxiv.org</managingEditor>\n"
        f"    <pubDate>{rss_date(day)}</pubDate>\n"
        "    <skipDays>\n      <day>Saturday</day>\n      <day>Sunday</day>\n    </skipDays>\n"
    )
    body = "".join(rss_item(i, day) for i in items)
    return (head + body + "    </channel>\n</rss>").encode("utf-8")


def atom_feed(category: str, day: dt.date, items: list[FeedItem]) -> bytes:
    """The Atom variant (rss.arxiv.org/atom), laid out per arXiv's Atom specification."""
    published = f"{day.isoformat()}T00:00:00{'-04:00' if 3 <= day.month <= 10 else '-05:00'}"
    entries = "".join(
        "  <entry>\n"
        f"    <id>oai:arXiv.org:{i.id}v{i.version}</id>\n"
        f"    <title>{escape(i.title)}</title>\n"
        f"    <updated>{day.isoformat()}T04:00:05.000000+00:00</updated>\n"
        f'    <link href="https://arxiv.org/abs/{i.id}" rel="alternate" type="text/html"/>\n'
        f"    <summary>arXiv:{i.id}v{i.version} Announce Type: {i.announce_type} \n"
        f"Abstract: {escape(i.abstract)}</summary>\n"
        + "".join(f'    <category term="{c}"/>\n' for c in i.categories)
        + f"    <published>{published}</published>\n"
        f"    <arxiv:announce_type>{i.announce_type}</arxiv:announce_type>\n"
        "    <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
        f"    <dc:creator>{escape(', '.join(i.authors))}</dc:creator>\n"
        "  </entry>\n"
        for i in items
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="en-us">\n'
        f"  <id>http://rss.arxiv.org/atom/{category}</id>\n"
        f"  <title>{category} updates on arXiv.org</title>\n"
        f"  <updated>{day.isoformat()}T04:00:05.000000+00:00</updated>\n"
        f'  <link href="http://rss.arxiv.org/atom/{category}" rel="self"'
        ' type="application/atom+xml"/>\n'
        f"  <subtitle>{category} updates on the arXiv.org e-print archive.</subtitle>\n"
        f"{entries}</feed>"
    ).encode()


def recorded_rss(category: str) -> bytes | None:
    """The real recorded feed of a category (data/realworld/feeds/rss), byte for byte."""
    path = FEEDS / "rss" / f"jmamath-distill_arxiv_{category.replace('.', '_').lower()}.xml"
    return path.read_bytes() if path.exists() else None


# --- the arXiv query API: the recorded cs.LG OR cs.AI page, re-paged and filtered by date ---

_ENTRY = re.compile(r"  <entry>.*?</entry>\n", re.DOTALL)
_PUBLISHED = re.compile(r"<published>(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")
_WINDOW = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")


def api_entries() -> tuple[str, list[str], str]:
    """(head, entries, tail) of the recorded API response."""
    text = (FEEDS / "atom-api" / "crsamson-brevio-ai_arxiv_cs_lg_api.xml").read_text("utf-8")
    entries = _ENTRY.findall(text)
    first = text.index("  <entry>")
    return text[:first], entries, "</feed>\n"


def api_response(query: str, start: int, max_results: int) -> bytes:
    """An API page for a `submittedDate` window query, built from the recorded entries."""
    head, entries, tail = api_entries()
    window = _WINDOW.search(query)
    if window:
        low, high = window.group(1), window.group(2)
        entries = [e for e in entries if low <= _stamp(e) <= high]
    page = entries[start : start + max_results]
    head = re.sub(r"<opensearch:totalResults>\d+", f"<opensearch:totalResults>{len(entries)}", head)
    head = re.sub(r"<opensearch:startIndex>\d+", f"<opensearch:startIndex>{start}", head)
    head = re.sub(r"<opensearch:itemsPerPage>\d+",
                  f"<opensearch:itemsPerPage>{max_results}", head)
    return (head + "".join(page) + tail).encode("utf-8")


def _stamp(entry: str) -> str:
    match = _PUBLISHED.search(entry)
    return "".join(match.groups()) if match else ""


# --- OAI-PMH: the recorded arXivRaw ListRecords, split into two pages by resumptionToken ---

_RECORD = re.compile(r"        <record>.*?</record>\n", re.DOTALL)
OAI_TOKEN = "1403493|1001"


def oai_pages() -> tuple[bytes, bytes]:
    """Page one (first half, ending with a resumption token) and page two (the rest)."""
    text = (FEEDS / "oai-pmh" / "litpuvn_arXivRaw_ListRecords.xml").read_text("utf-8")
    records = _RECORD.findall(text)
    head = text[: text.index("        <record>")]
    half = len(records) // 2
    token = (f'        <resumptionToken cursor="0" completeListSize="{len(records)}">'
             f"{OAI_TOKEN}</resumptionToken>\n")
    end = f'        <resumptionToken cursor="{half}" completeListSize="{len(records)}"/>\n'
    close = "    </ListRecords>\n</OAI-PMH>\n"
    first = head + "".join(records[:half]) + token + close
    second = head + "".join(records[half:]) + end + close
    return first.encode("utf-8"), second.encode("utf-8")
