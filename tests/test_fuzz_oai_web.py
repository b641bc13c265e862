"""Hypothesis fuzzing of the OAI-PMH parser field by field (datestamps, version attributes, ids,
list sizes: the random byte mutations of test_fuzz_feeds.py rarely reach them) and of every web
page's query parameters. Allowed outcomes: a result, the project's own one-line error, or, on the
web, a page with a 4xx/503 status; never another exception or a 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from papersieve.errors import PapersieveError
from papersieve.ids import parse_arxiv_id
from papersieve.sources.oai_pmh import OaiPmhSource, parse_oai_page
from papersieve.web.app import create_app
from tests.webdata import WebData, build_store

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

NUMBERISH = st.one_of(
    st.sampled_from(["2025-07-02", "2025-13-45", "yesterday", "2025-02-30", "0000-00-00",
                     "9999-12-31T23:59:59Z", "2025-07-02T10:00:00Z", "", " ", "-1",
                     "99999999999999999999", "v123456789012345678901234567890", "v0", "v-1",
                     "v1", "v2", "1e309", "nan", "2507.01234", "2507.01234v99999999999999999999",
                     "oai:arXiv.org:2507.01234", "\x00", "٣"]),
    st.text(max_size=30),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
)


def oai_record(identifier: str, datestamp: str, raw_id: str, versions: list[str],
               categories: str, deleted: bool) -> str:
    status = ' status="deleted"' if deleted else ""
    version_xml = "".join(f'<version version="{escape(v, {chr(34): "&quot;"})}"><date>x</date>'
                          "</version>" for v in versions)
    return (f"<record><header{status}><identifier>{escape(identifier)}</identifier>"
            f"<datestamp>{escape(datestamp)}</datestamp><setSpec>cs</setSpec></header>"
            '<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
            f"<id>{escape(raw_id)}</id>{version_xml}<title>T</title><authors>A B</authors>"
            f"<categories>{escape(categories)}</categories><abstract>x</abstract>"
            "</arXivRaw></metadata></record>")


@st.composite
def oai_pages(draw: st.DrawFn) -> bytes:
    records = draw(st.lists(st.builds(
        oai_record, NUMBERISH, NUMBERISH, st.one_of(st.just("2507.01234"), NUMBERISH),
        st.lists(NUMBERISH, max_size=3), st.sampled_from(["cs.LG", "cs.AI cs.LG", "", "x y"]),
        st.booleans()), min_size=1, max_size=3))
    size = draw(NUMBERISH)
    token = draw(st.one_of(st.just(""), NUMBERISH))
    ok = ["", " ".join(records)]
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
            f"{ok[1]}<resumptionToken completeListSize=\"{escape(size, {chr(34): '&quot;'})}\">"
            f"{escape(token)}</resumptionToken></ListRecords></OAI-PMH>").encode("utf-8", "surrogatepass")


class OnePage:
    """An HTTP client that answers every request with the same OAI page (then the page's end)."""

    def __init__(self, page: bytes) -> None:
        self.page = page
        self.calls = 0

    def get_text(self, url: str, params: object = None) -> bytes:
        self.calls += 1
        if self.calls > 1:  # a resumed request: an empty last page
            return (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error'
                    b' code="noRecordsMatch"/></OAI-PMH>')
        return self.page


@FUZZ
@given(oai_pages())
def test_oai_fields_parse_or_fail_in_one_line(data: bytes) -> None:
    try:
        page = parse_oai_page(data, origin="fuzz")
        for record in page.records:
            assert parse_arxiv_id(record.paper.id).id == record.paper.id
        source = OaiPmhSource(OnePage(data), "http://127.0.0.1/oai")  # type: ignore[arg-type]
        day = dt.date(2025, 7, 2)
        listings = source.listings_for_range(["cs.LG"], day, day)
    except PapersieveError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert list(listings) == [day]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("fuzzweb") / "store.db", hostile=False)


@pytest.fixture(scope="module")
def client(data: WebData) -> Iterator[TestClient]:
    with TestClient(create_app(data.path, token=""), base_url="http://127.0.0.1:8000",
                    raise_server_exceptions=False) as test_client:
        yield test_client


PARAM = st.one_of(NUMBERISH, st.sampled_from(["cs.LG", "learn*", '"a b"', "a* b* c* d*", "1",
                                              "on", "%", "*", "NEAR(", "\ud800"]))


BIG = st.one_of(st.sampled_from(["99999999999999999999", str(2**63), str(2**63 - 1), "-0"]),
                st.integers(min_value=2**62, max_value=2**70).map(str))


@FUZZ
@given(st.fixed_dictionaries({"q": PARAM}, optional={
           "from": PARAM, "to": PARAM, "category": PARAM, "judged": PARAM, "picked": PARAM,
           "liked": PARAM, "page": st.one_of(PARAM, BIG), "profile": PARAM, "all": PARAM}),
       st.sampled_from(["/search", "/", "/archive", "/runs", "/day/{}", "/run/{}", "/paper/{}"]),
       st.one_of(NUMBERISH, BIG))
@example({"q": "x", "page": "99999999999999999999"}, "/search", "")
@example({"q": ""}, "/run/{}", "99999999999999999999")
def test_web_query_parameters_never_give_a_500(client: TestClient, params: dict[str, str],
                                               route: str, segment: str) -> None:
    path = route.format(quote(segment.encode("utf-8", "surrogatepass"), safe="")) if "{}" in route \
        else route
    query = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()})
    reply = client.get(f"{path}?{query}")
    assert reply.status_code in (200, 400, 404, 503), (path, query, reply.status_code)
    assert "Traceback" not in reply.text
