"""The day JSON's text: orjson where it writes what `json.dumps(indent=2)` writes, else json.dumps."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from papersieve.render.json_out import (
    digest_dict,
    dumps_indented,
    orjson_writes_it_alike,
    render_json,
    render_json_utf8,
)
from tests.digestfixtures import sample_digest

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=-1e-3, max_value=1e-3)
           | st.text())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=30)


def standard(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


@given(VALUES)
@settings(max_examples=400, deadline=None)
def test_the_text_is_json_dumps_text_for_any_value(value: Any) -> None:
    """Small floats (an LLM call's cost), NaN, integers past 64 bits, tuples and every string
    (control characters, lone surrogates, astral planes) come out as json.dumps writes them."""
    assert dumps_indented(value) == standard(value)


def test_the_awkward_values_by_name() -> None:
    for value in ({"cost": 3e-06}, {"cost": 1e-05}, [float("nan"), float("-inf")], {"n": 2**64},
                  {1: "a"}, ("a", 1), {"s": "\x00\x1f\x7f\u2028\ud800é😀"}, {"deep": [[[[]]]], "e": {}}):
        assert dumps_indented(value) == standard(value), value


def test_a_days_dict_takes_the_fast_path_and_is_the_same_text() -> None:
    """`digest_dict` builds plain lists, str and floats: if a tuple or an enum slipped in, every
    group member's 2 MB day would silently go back to the slow encoder."""
    for digest in (sample_digest(), sample_digest(judge="local")):
        day = digest_dict(digest)
        assert orjson_writes_it_alike(day)
        assert render_json(digest) == standard(day)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=-1e-3, max_value=1e-3)
                | st.integers(min_value=-(2**70), max_value=2**70) | st.none(), min_size=1, max_size=6))
@settings(max_examples=200, deadline=None)
def test_a_days_candidate_scores_of_any_size_come_out_as_json_dumps_writes_them(scores: list[Any]) -> None:
    """The day's check looks only at the candidates' numbers (`day_writes_alike`): a tiny, NaN or
    huge score still goes to json.dumps."""
    digest = sample_digest()
    n = len(scores)
    judgements = tuple(dataclasses.replace(j, relevance=scores[i % n], novelty=scores[-1 - i % n])
                       for i, j in enumerate(digest.judgements))
    day = digest_dict(dataclasses.replace(digest, judgements=judgements))
    assert render_json_utf8(day) == standard(day).encode("utf-8")


def test_each_paper_is_written_from_one_head_for_every_member() -> None:
    """A group's members write the same paper objects: its fields are made once (`_head`), each
    candidate a dict of its own."""
    digest = sample_digest()
    first, second = digest_dict(digest), digest_dict(dataclasses.replace(digest, profile="other"))
    assert first["candidates"] == second["candidates"]
    assert first["candidates"][0] is not second["candidates"][0]
    assert first["candidates"][0]["authors"] is second["candidates"][0]["authors"]
    # a paper object of the same id but other fields is written from its own fields
    renamed = dataclasses.replace(digest.papers["2507.00004"], title="Renamed")
    papers = {**digest.papers, "2507.00004": renamed}
    third = digest_dict(dataclasses.replace(digest, papers=papers))
    assert [c["title"] for c in third["candidates"] if c["id"] == "2507.00004"] == ["Renamed"]
