"""The day JSON's text: orjson where it writes what `json.dumps(indent=2)` writes, else json.dumps."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from papersieve.render.json_out import digest_dict, dumps_indented, orjson_writes_it_alike, render_json
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
