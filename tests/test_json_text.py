"""`render.json_text.dumps_indented` writes exactly what `json.dumps(..., indent=2)` writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from papersieve.render.json_out import digest_dict, render_json
from papersieve.render.json_text import dumps_indented
from tests.digestfixtures import sample_digest

_KEYS = st.text(max_size=8)
_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
            | st.text(alphabet=st.characters(), max_size=20))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=30,
)


def _stdlib(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


@settings(max_examples=400)
@given(_VALUES)
def test_any_json_value_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    assert dumps_indented(value) == _stdlib(value)


def test_keys_and_values_json_writes_its_own_way_are_left_to_it() -> None:
    for value in ({1: "a", None: [2.5]}, {"a": {True: 1}}, [{"x": {0.5: "y"}}]):
        assert dumps_indented(value) == _stdlib(value)
    deep: list[Any] = []
    for _ in range(300):
        deep = [deep, {"k": "\u00e9\n\"\x00"}]
    assert dumps_indented(deep) == _stdlib(deep)


def test_a_value_json_cannot_write_fails_as_in_json() -> None:
    loop: list[Any] = []
    loop.append(loop)
    for bad in (loop, {"when": object()}):
        try:
            _stdlib(bad)
        except (ValueError, TypeError) as err:
            expected: type[Exception] = type(err)
        try:
            dumps_indented(bad)
        except expected:
            continue
        raise AssertionError(f"{bad!r} was written")


def test_a_local_digest_day_file_is_the_standard_librarys_text() -> None:
    for digest in (sample_digest(), sample_digest(judge="local")):
        day = digest_dict(digest)
        assert render_json(digest) == _stdlib(day) + "\n"
        assert render_json(digest, day) == _stdlib(day) + "\n"
