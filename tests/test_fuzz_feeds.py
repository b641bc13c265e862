"""Fuzz the three source parsers with hypothesis: real responses mutated (truncated, spliced,
flipped, fields replaced by wild text) and random bytes. The only exception allowed is the
project's own clear one (a PapersieveError with a one-line message); whatever parses gives
well-formed papers (valid version-less ids, text fields as strings)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersieve.errors import FeedError, PapersieveError
from papersieve.ids import parse_arxiv_id
from papersieve.models import Paper
from papersieve.sources.arxiv_api import parse_api_page
from papersieve.sources.feeds import parse_feed
from papersieve.sources.oai_pmh import parse_oai_page
from papersieve.validate import MAX_VERSION
from tests.servers import arxiv_feeds as af

DAY = dt.date(2025, 7, 3)
FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=1)
def small_rss() -> bytes:
    """A real-format RSS feed of four real items (new, cross, replacement)."""
    items = af.day_items(DAY, "cs.AI")
    return af.rss_feed("cs.AI", DAY, [items[0], items[1], items[-2], items[-1]])


@lru_cache(maxsize=1)
def small_atom() -> bytes:
    items = af.day_items(DAY, "cs.LG")
    return af.atom_feed("cs.LG", DAY, items[:3])


@lru_cache(maxsize=1)
def api_page() -> bytes:
    return af.api_response("cat:cs.AI AND submittedDate:[202507010000 TO 202507022359]", 0, 3)


@lru_cache(maxsize=1)
def oai_page() -> bytes:
    return af.oai_pages()[0][:200_000]


WILD_SAMPLES = [
    "<script>alert(1)</script>", "]]>", "<![CDATA[", "&amp;&lt;&#0;&#xFFFF;", "&undefined;",
    "arXiv:2507.01234v2 Announce Type: new", "arXiv:../../etc/passwd Announce Type: new",
    "arXiv:9999.99999v999999999999 Announce Type: replace", "\x00\x01\x1b[31m", "\ufeff\u202e",
    "Announce Type: \nAbstract:", "x" * 5000, "<?xml version='1.0'?>", "<!DOCTYPE x [<!ENTITY"
    " a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>", "weird", "",
    "arXiv:2507.01234v123456789012345678901234567890 Announce Type: new", "2025-13-45",
    "yesterday", "9" * 5000,
]
WILD_TEXT = st.one_of(st.text(max_size=200), st.sampled_from(WILD_SAMPLES))


@st.composite
def mutated(draw: st.DrawFn, base: Callable[[], bytes]) -> bytes:
    """A real response with one to three mutations."""
    data = bytearray(base())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "splice", "flip", "field", "drop"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "truncate":
            del data[at:]
        elif kind == "splice":
            data[at:at] = draw(st.binary(max_size=64)) or b"<"
        elif kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "field":
            data = bytearray(_replace_field(bytes(data), draw(st.integers(0, 40)),
                                            draw(WILD_TEXT), draw(st.booleans())))
        elif kind == "drop":
            data = bytearray(_drop_tag(bytes(data), draw(st.integers(0, 40))))
    return bytes(data)


def _replace_field(data: bytes, which: int, text: str, escaped: bool) -> bytes:
    """The text of the which-th element (counting every `>...<` gap) replaced by `text`."""
    parts = data.split(b">")
    if len(parts) < 2:
        return data
    i = 1 + which % (len(parts) - 1)
    tail = parts[i].split(b"<", 1)
    value = (escape(text) if escaped else text).encode("utf-8", "surrogatepass")
    parts[i] = value + (b"<" + tail[1] if len(tail) == 2 else b"")
    return b">".join(parts)


def _drop_tag(data: bytes, which: int) -> bytes:
    """The which-th opening tag removed (its element left unbalanced)."""
    starts = [i for i in range(len(data)) if data[i:i + 1] == b"<" and data[i + 1:i + 2] not in b"/?!"]
    if not starts:
        return data
    start = starts[which % len(starts)]
    end = data.find(b">", start)
    return data[:start] + data[end + 1:] if end > 0 else data[:start]


def check_paper(paper: Paper) -> None:
    assert parse_arxiv_id(paper.id).id == paper.id  # version-less and valid
    assert paper.version is None or 1 <= paper.version <= MAX_VERSION  # fits SQLite
    assert isinstance(paper.title, str) and isinstance(paper.abstract, str)
    assert all(isinstance(a, str) for a in paper.authors)


def clear(err: PapersieveError) -> None:
    """The project's errors are one line for the user."""
    assert str(err) and "\n" not in str(err), repr(str(err))


@FUZZ
@given(st.one_of(mutated(small_rss), mutated(small_atom), st.binary(max_size=2000)))
def test_feed_parser_never_crashes(data: bytes) -> None:
    try:
        listing = parse_feed(data, origin="fuzz")
    except PapersieveError as err:
        clear(err)
        return
    for entry in listing.entries:
        check_paper(entry.paper)
        assert entry.category == listing.category


@FUZZ
@given(st.one_of(mutated(api_page), st.binary(max_size=2000)))
def test_api_parser_never_crashes(data: bytes) -> None:
    try:
        page = parse_api_page(data, origin="fuzz")
    except PapersieveError as err:
        clear(err)
        return
    for record in page.records:
        check_paper(record.paper)


@FUZZ
@given(st.one_of(mutated(oai_page), st.binary(max_size=2000)))
def test_oai_parser_never_crashes(data: bytes) -> None:
    try:
        page = parse_oai_page(data, origin="fuzz")
    except PapersieveError as err:
        clear(err)
        return
    for record in page.records:
        check_paper(record.paper)


@pytest.mark.parametrize("parse", [parse_feed, parse_api_page, parse_oai_page])
def test_an_entity_expansion_bomb_is_refused_or_harmless(parse: Callable[..., object]) -> None:
    """A billion-laughs document must not eat the machine's memory."""
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode()
                       for i in range(8))
            + b']><rss version="2.0"><channel><title>cs.AI updates on arXiv.org</title>'
            b"<item><title>&i;</title></item></channel></rss>")
    try:
        parse(bomb, origin="bomb")
    except PapersieveError as err:
        clear(err)


@pytest.mark.parametrize("parse, base", [(parse_feed, small_rss), (parse_feed, small_atom)],
                         ids=["rss", "atom"])
def test_every_field_of_a_feed_replaced_by_wild_text(parse: Callable[..., Any],
                                                     base: Callable[[], bytes]) -> None:
    """Every element's text, one at a time, replaced by each wild sample: the random draws above
    reach only the first 41 elements and never hit an unknown announce type or an item without
    an id (both were bare ValueErrors nobody noticed when broken on purpose)."""
    data = base()
    fields = len(data.split(b">")) - 1
    for which in range(fields):
        for text in WILD_SAMPLES:
            try:
                listing = parse(_replace_field(data, which, text, True), origin="fuzz")
            except PapersieveError as err:
                clear(err)
                continue
            for entry in listing.entries:
                check_paper(entry.paper)


@pytest.mark.parametrize("base", [small_rss, small_atom], ids=["rss", "atom"])
def test_an_item_without_any_arxiv_id_is_a_clear_error(base: Callable[[], bytes]) -> None:
    """No id in the description, guid or link: the one-line FeedError, not a bare exception."""
    data = re.sub(rb"\d{4}\.\d{4,5}(v\d+)?", b"no-id", base())
    with pytest.raises(PapersieveError, match="an item has no arXiv id") as info:
        parse_feed(data, origin="fuzz")
    clear(info.value)


HUGE = "123456789012345678901234567890"


def test_an_rss_version_too_large_for_sqlite_is_a_feed_error() -> None:
    """`v123456789012345678901234567890` reached SQLite and raised OverflowError there."""
    data = small_rss()
    first = re.search(rb"arXiv:(\d{4}\.\d{4,5})v\d+", data)
    assert first is not None
    data = data.replace(first.group(0), b"arXiv:" + first.group(1) + b"v" + HUGE.encode())
    with pytest.raises(FeedError) as info:
        parse_feed(data, origin="fuzz")
    assert str(info.value).startswith("an item has a bad arXiv id (arXiv version must be between 1"
                                      " and 1000")
    clear(info.value)


def oai_record(datestamp: str = "2025-07-02", version: str = "v2") -> bytes:
    """One arXivRaw record in a ListRecords response."""
    return (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>'
        f"<identifier>oai:arXiv.org:2507.00001</identifier><datestamp>{datestamp}</datestamp>"
        '<setSpec>cs</setSpec></header><metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
        f'<id>2507.00001</id><version version="v1"><date>x</date></version>'
        f'<version version="{version}"><date>y</date></version><title>T</title>'
        "<authors>A. Author</authors><categories>cs.AI</categories><abstract>A.</abstract>"
        "</arXivRaw></metadata></record></ListRecords></OAI-PMH>"
    ).encode()


def test_a_good_oai_record_parses() -> None:
    (record,) = parse_oai_page(oai_record()).records
    assert record.datestamp == dt.date(2025, 7, 2) and record.paper.version == 2


@pytest.mark.parametrize("datestamp, version, expected", [
    ("2025-13-45", "v2", "a record has a bad datestamp (datestamp is not a calendar date"),
    ("yesterday", "v2", "a record has a bad datestamp (datestamp is not a date (YYYY-MM-DD)"),
    ("2025-07-02", "v" + HUGE, "a record has a bad version (arXiv version must be between 1"),
])
def test_a_bad_oai_number_is_a_feed_error(datestamp: str, version: str, expected: str) -> None:
    """A ValueError (datestamp) or an OverflowError in SQLite (version) before."""
    with pytest.raises(FeedError) as info:
        parse_oai_page(oai_record(datestamp, version), origin="oai")
    assert str(info.value).startswith(expected) and str(info.value).endswith(": oai")
    clear(info.value)


OAI_NUMBERS = st.one_of(st.sampled_from(["2025-13-45", "yesterday", "0000-00-00", "2025-02-30",
                                         "9" * 40, "-1", ""]), st.text(max_size=30))


@FUZZ
@given(OAI_NUMBERS, st.one_of(OAI_NUMBERS, st.integers(0, 10**40).map(lambda n: f"v{n}")))
def test_oai_datestamps_and_versions_never_crash(datestamp: str, version: str) -> None:
    try:
        page = parse_oai_page(oai_record(escape(datestamp), escape(version)), origin="oai")
    except PapersieveError as err:
        clear(err)
        return
    for record in page.records:
        check_paper(record.paper)
