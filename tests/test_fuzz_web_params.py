"""Fuzz the web app's query parameters and path numbers with hypothesis: whatever an address
holds, the answer is a page or a 4xx with the security headers, never a 500 (issue 17:
`/search?page=99999999999999999999` and `/run/99999999999999999999` were bare 500s)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.testclient import TestClient

from papersieve.validate import MAX_PAGE
from papersieve.web.app import create_app
from papersieve.web.routes.papers import parse_filters
from tests.webdata import build_store

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NUMBERS = st.one_of(
    st.integers(-10**30, 10**30).map(str), st.text(max_size=30),
    st.sampled_from(["99999999999999999999", "9" * 5000, "0", "-1", "1e9", "0x10", "\uff11",
                     "１２", " 3 ", "", "NaN"]),
)
DATES = st.one_of(st.text(max_size=20), st.sampled_from(["2025-13-45", "yesterday", "0000-01-01",
                                                         "9999-12-31", "2025-02-30"]))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # The store build_store made (under make test-postgres a schema, not this file: the app
    # served an empty SQLite file there).
    data = build_store(tmp_path_factory.mktemp("webfuzz") / "store.db", hostile=False)
    with TestClient(create_app(data.path, token=""), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


@FUZZ
@given(NUMBERS, DATES, DATES)
@example("99999999999999999999", "", "")
def test_search_parameters_parse_or_are_a_400(page: str, date_from: str, date_to: str) -> None:
    params = QueryParams({"q": "x", "page": page, "from": date_from, "to": date_to})
    try:
        filters, _problem = parse_filters(params)
    except HTTPException as err:
        assert err.status_code == 400 and "\n" not in str(err.detail)
        return
    assert 1 <= filters.page <= MAX_PAGE


@FUZZ
@given(NUMBERS)
@example("99999999999999999999")
def test_run_and_page_numbers_in_the_address_are_never_a_500(client: TestClient, number: str) -> None:
    for path in (f"/run/{quote(number, safe='')}", f"/search?q=learning&page={quote(number)}"):
        answer = client.get(path)
        assert answer.status_code in (200, 400, 404), (path, answer.status_code)
        assert answer.headers["x-frame-options"] == "DENY"
