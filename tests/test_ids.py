"""arXiv identifiers: new and old style, versions, prefixes (property tests with hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersieve.ids import ArxivId, ArxivIdError, base_id, find_arxiv_id, parse_arxiv_id

ARCHIVES = ["hep-th", "hep-ph", "cond-mat", "astro-ph", "quant-ph", "math", "cs", "nlin", "gr-qc"]

new_ids = st.builds(
    lambda yy, mm, n, five: f"{yy:02d}{mm:02d}.{n:05d}" if five else f"{yy:02d}{mm:02d}.{n % 10000:04d}",
    st.integers(7, 99), st.integers(1, 12), st.integers(0, 99999), st.booleans(),
)
old_ids = st.builds(
    lambda archive, sub, yy, mm, n: f"{archive}{sub}/{yy:02d}{mm:02d}{n:03d}",
    st.sampled_from(ARCHIVES), st.sampled_from(["", ".GT", ".AG"]), st.integers(0, 99),
    st.integers(1, 12), st.integers(1, 999),
)
any_id = st.one_of(new_ids, old_ids)
versions = st.one_of(st.none(), st.integers(1, 99))
prefixes = st.sampled_from([
    "", "arXiv:", "arxiv:", "https://arxiv.org/abs/", "http://arxiv.org/abs/",
    "https://arxiv.org/pdf/", "oai:arXiv.org:", "https://export.arxiv.org/abs/",
])


@given(any_id, versions, prefixes)
def test_round_trip(arxiv_id: str, version: int | None, prefix: str) -> None:
    text = arxiv_id + (f"v{version}" if version is not None else "")
    parsed = parse_arxiv_id(f"  {prefix}{text} ")
    assert parsed == ArxivId(arxiv_id, version)
    assert str(parsed) == text
    assert base_id(prefix + text) == arxiv_id


@given(any_id, st.integers(1, 99))
def test_found_inside_free_text(arxiv_id: str, version: int) -> None:
    text = f"Available at arXiv:{arxiv_id}v{version}, see also the journal."
    assert find_arxiv_id(text) == ArxivId(arxiv_id, version)


@given(any_id, st.integers(1, 50), st.integers(1, 50))
def test_versions_order_within_one_paper(arxiv_id: str, a: int, b: int) -> None:
    assert (ArxivId(arxiv_id, a) < ArxivId(arxiv_id, b)) == (a < b)


@pytest.mark.parametrize("text, expected", [
    ("hep-th/9901001", ArxivId("hep-th/9901001")),
    ("hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
    ("math.GT/0309136", ArxivId("math.GT/0309136")),
    ("0704.0001", ArxivId("0704.0001")),
    ("2507.01335v2", ArxivId("2507.01335", 2)),
    ("https://arxiv.org/pdf/2507.01335v1.pdf", ArxivId("2507.01335", 1)),
    ("10.48550/arXiv.2507.01335", ArxivId("2507.01335")),
    ("oai:arXiv.org:cond-mat/0603029", ArxivId("cond-mat/0603029")),
])
def test_known_forms(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize("text", ["", "2507", "2507.1", "hello", "hep-th/99", "2507.01335vx",
                                  "9999.99999", "2500.00001", "2513.00001",  # no month 99, 00, 13
                                  "HEP-TH/9901001", "2507.01335 v2"])
def test_not_ids(text: str) -> None:
    with pytest.raises(ArxivIdError, match="not an arXiv identifier"):
        parse_arxiv_id(text)


@given(st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=60))
def test_text_without_digits_has_no_id(text: str) -> None:
    assert find_arxiv_id(text) is None
    with pytest.raises(ArxivIdError):
        parse_arxiv_id(text)
