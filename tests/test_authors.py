"""Author strings as arXiv's feeds give them (property tests with hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersieve.authors import normalise_name, split_authors

name_chars = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                           blacklist_characters=",()[]{}")
words = st.text(name_chars, min_size=1, max_size=12)
names = st.lists(words, min_size=1, max_size=4).map(" ".join).filter(
    lambda n: not n.startswith("and "))
affiliations = st.lists(words, min_size=1, max_size=3).map(lambda ws: " (" + ", ".join(ws) + ")")


@given(st.lists(names, min_size=1, max_size=20))
def test_comma_joined_names_split_back(authors: list[str]) -> None:
    assert split_authors(", ".join(authors)) == tuple(authors)


@given(st.lists(st.tuples(names, st.one_of(st.just(""), affiliations)), min_size=1, max_size=8))
def test_commas_inside_parentheses_stay(authors: list[tuple[str, str]]) -> None:
    full = [name + affiliation for name, affiliation in authors]
    assert split_authors(", ".join(full)) == tuple(full)


@given(st.lists(names, min_size=1, max_size=6), st.sampled_from([" ", "  ", "\n  ", "\t"]))
def test_whitespace_is_collapsed(authors: list[str], gap: str) -> None:
    assert split_authors(("," + gap).join(authors)) == tuple(authors)


@given(st.text(max_size=200))
def test_never_empty_names(text: str) -> None:
    assert all(name.strip() == name and name for name in split_authors(text))


@pytest.mark.parametrize("creator, expected", [
    ("Michael Cooper, Samuel Cooper", ("Michael Cooper", "Samuel Cooper")),
    ("Anamta Khan, Ratna Kandala,  Deepti, Sheza Munir", ("Anamta Khan", "Ratna Kandala", "Deepti",
                                                          "Sheza Munir")),
    ("J\\\"org M\\\"uller, A. B (MIT, USA), and C. D", ('J\\"org M\\"uller', "A. B (MIT, USA)", "C. D")),
    ("", ()),
])
def test_real_shapes(creator: str, expected: tuple[str, ...]) -> None:
    assert split_authors(creator) == expected


@pytest.mark.parametrize("a, b", [
    ("Jörg Müller", "Jorg Muller"),
    ("J\\\"org M\\\"uller", "Jorg Muller"),
    ("Yann LeCun (NYU)", "yann lecun"),
    ("Jean-Luc Picard", "jean luc picard"),
])
def test_normalised_names_match(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


@given(names)
def test_normalise_is_idempotent(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once
