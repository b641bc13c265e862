"""Fuzz the LLM reply parsers with hypothesis: replies built from JSON-ish pieces (records with
wild keys and values, arrays, nesting, fences, prose, cut-offs) and random text. They never
raise; what they return only ever concerns ids of the batch, with scores in 0-10."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersieve.judges.llm.parsing import parse_abstract_reply, parse_title_reply

BATCH = ("2507.00002", "2507.00013", "2507.00100", "2506.99999")
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

IDS = st.one_of(
    st.sampled_from(BATCH),
    st.sampled_from([f"arXiv:{i}v3" for i in BATCH] + [" 2507.00002 ", "9999.99999", "", "null"]),
    st.text(max_size=20),
    st.integers(), st.floats(), st.none(), st.lists(st.sampled_from(BATCH), max_size=2),
)
SCORES = st.one_of(
    st.integers(-20, 20), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["8", "8/10", "9.5", "ten", "", "-1", "1e309", "NaN", "Infinity"]),
    st.booleans(), st.none(), st.text(max_size=8), st.lists(st.integers(0, 10), max_size=2),
)
KEYS = st.sampled_from(["ARXIVID", "arxiv_id", "id", "paperId", "COMMENT", "reason", "RELEVANCE",
                        "relevance", "NOVELTY", "Novelty", "score", "", "ARXIV ID"])
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def record(draw: st.DrawFn) -> str:
    """One JSON record, usually with the expected keys, sometimes broken."""
    fields = {"ARXIVID": draw(IDS), "COMMENT": draw(st.text(max_size=40)),
              "RELEVANCE": draw(SCORES), "NOVELTY": draw(SCORES)}
    fields.update(draw(st.dictionaries(KEYS, st.one_of(IDS, SCORES, JSONISH), max_size=3)))
    text = json.dumps(fields, allow_nan=True)
    cut = draw(st.one_of(st.none(), st.integers(0, len(text))))
    return text if cut is None else text[:cut]


@st.composite
def reply(draw: st.DrawFn) -> str:
    """A whole reply: records as lines or an array, with noise around them."""
    records = draw(st.lists(record(), max_size=6))
    shape = draw(st.sampled_from(["lines", "array", "object", "nested", "raw"]))
    if shape == "lines":
        body = "\n".join(records)
    elif shape == "array":
        body = "[" + ",\n".join(records) + draw(st.sampled_from(["]", ",]", "", ", ]"]))
    elif shape == "object":
        body = '{"papers": [' + ",".join(records) + "]}"
    elif shape == "nested":
        depth = draw(st.integers(1, 3000))  # deep nesting: json's recursion limit
        body = "[" * depth + ",".join(records) + "]" * draw(st.integers(0, depth))
    else:
        body = json.dumps(draw(JSONISH))
    fence = draw(st.sampled_from(["", "```", "```json\n", "```jsonl\n"]))
    prose = draw(st.text(max_size=40))
    return f"{prose}\n{fence}{body}\n{fence and '```'}\n{draw(st.text(max_size=20))}"


def check_scores(text: str) -> None:
    parsed = parse_abstract_reply(text, BATCH)
    assert set(parsed.items) <= set(BATCH)
    for paper_id, scored in parsed.items.items():
        assert scored.paper_id == paper_id
        for value in (scored.relevance, scored.novelty):
            assert isinstance(value, float) and not math.isnan(value) and 0 <= value <= 10
        assert isinstance(scored.comment, str) and "\n" not in scored.comment
    assert all(isinstance(p, str) for p in parsed.problems)


def check_drops(text: str) -> None:
    parsed = parse_title_reply(text, BATCH)
    assert parsed.drops <= set(BATCH)
    assert all(isinstance(p, str) for p in parsed.problems)


@FUZZ
@given(st.one_of(reply(), st.text(max_size=500)))
def test_abstract_replies_never_raise_and_stay_in_the_batch(text: str) -> None:
    check_scores(text)


@FUZZ
@given(st.one_of(reply(), st.text(max_size=500),
                 st.lists(IDS, max_size=6).map(lambda ids: json.dumps(ids, allow_nan=True))))
def test_title_replies_never_raise_and_stay_in_the_batch(text: str) -> None:
    check_drops(text)


def test_pathological_replies() -> None:
    """Shapes that break naive parsers: huge nesting, huge numbers, many lines, NUL bytes."""
    for text in ("[" * 100_000, "{" * 100_000 + "}" * 100_000, '{"ARXIVID": "2507.00002",'
                 ' "RELEVANCE": 1e999, "NOVELTY": -1e999}', "\x00" * 1000,
                 "\n".join('{"ARXIVID": "2507.00002", "RELEVANCE": 9, "NOVELTY": 9}'
                           for _ in range(20_000)),
                 '{"ARXIVID": "2507.00002", "RELEVANCE": NaN, "NOVELTY": Infinity}'):
        check_scores(text)
        check_drops(text)
    parsed = parse_abstract_reply('{"ARXIVID": "2507.00002", "RELEVANCE": NaN, "NOVELTY": 5}', BATCH)
    assert parsed.items == {}
