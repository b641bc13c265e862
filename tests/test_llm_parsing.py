"""Reading model replies: every shape seen in the wild, and never an exception."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from papersieve.judges.llm.parsing import parse_abstract_reply, parse_title_reply

BATCH = ("2507.00002", "2507.00013", "2507.00100")


def line(paper_id: str, rel: object = 8, nov: object = 7, **extra: object) -> str:
    return json.dumps({"ARXIVID": paper_id, "COMMENT": "Matches MoE.", "RELEVANCE": rel,
                       "NOVELTY": nov, **extra})


def test_plain_json_lines() -> None:
    parsed = parse_abstract_reply("\n".join(line(i) for i in BATCH), BATCH)
    assert set(parsed.items) == set(BATCH) and parsed.problems == []
    item = parsed.items["2507.00002"]
    assert (item.relevance, item.novelty, item.comment) == (8.0, 7.0, "Matches MoE.")


def test_fences_prose_trailing_commas_strings_and_key_case() -> None:
    reply = (
        "Sure, here are the scores:\n```jsonl\n"
        '{"arxiv_id": "arXiv:2507.00002v2", "comment": "a", "relevance": "9", "novelty": 8.0,}\n'
        '{"ArxivId": "2507.00013", "Comment": "b", "Relevance": "7/10", "Novelty": " 6 "}\n'
        "```\nHope this helps!"
    )
    parsed = parse_abstract_reply(reply, BATCH)
    assert parsed.items["2507.00002"].relevance == 9.0
    assert parsed.items["2507.00013"].relevance == 7.0 and parsed.items["2507.00013"].novelty == 6.0
    assert "2507.00100" not in parsed.items


def test_a_json_array_instead_of_lines() -> None:
    reply = "[" + ",\n".join(line(i) for i in BATCH) + ",]"
    assert set(parse_abstract_reply(reply, BATCH).items) == set(BATCH)


def test_rejects_ids_not_in_the_batch_bad_scores_and_broken_lines() -> None:
    reply = "\n".join([
        line("2512.99999", 10, 10),
        line("2507.00002", 11, 7),
        '{"ARXIVID": "2507.00013", "RELEVANCE": 8, "NOVELTY"',
        line("2507.00100"),
        line("2507.00100", 1, 1),
    ])
    parsed = parse_abstract_reply(reply, BATCH)
    # 2507.00100 was answered twice with different scores: neither answer is trusted.
    assert parsed.items == {}
    assert parsed.conflicts == {"2507.00100"}
    assert any("2512.99999 was not in the batch" in p for p in parsed.problems)
    assert any("2507.00002: missing or invalid score" in p for p in parsed.problems)
    assert any("2507.00100: answered twice with different scores" in p for p in parsed.problems)


def test_an_id_answered_twice_alike_is_kept() -> None:
    parsed = parse_abstract_reply("\n".join([line("2507.00100"), line("2507.00100")]), BATCH)
    assert set(parsed.items) == {"2507.00100"} and not parsed.conflicts


def test_title_replies() -> None:
    assert parse_title_reply('["2507.00002", "2507.00100"]', BATCH).drops == {"2507.00002", "2507.00100"}
    empty = parse_title_reply("```json\n[]\n```", BATCH)
    assert empty.complete and empty.drops == set()
    prose = parse_title_reply('Irrelevant: ["2507.00013", "2512.56789",]. Others may matter.', BATCH)
    assert prose.complete and prose.drops == {"2507.00013"} and prose.problems
    for broken in ("", '["2507.00002", "25', "none of them"):
        assert not parse_title_reply(broken, BATCH).complete


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parsers_never_raise_on_any_text(text: str) -> None:
    abstract = parse_abstract_reply(text, BATCH)
    title = parse_title_reply(text, BATCH)
    assert set(abstract.items) <= set(BATCH) and title.drops <= set(BATCH)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(
    st.sampled_from(["ARXIVID", "arxiv_id", "RELEVANCE", "novelty", "Comment", "x"]),
    json_values | st.sampled_from(BATCH), max_size=5), max_size=5),
    st.sampled_from(["\n", ",\n", "\n\n"]), st.booleans())
def test_parsers_never_raise_on_json_like_replies(
    records: list[dict[str, object]], sep: str, fenced: bool
) -> None:
    body = sep.join(json.dumps(r) for r in records)
    text = f"```json\n{body}\n```" if fenced else body
    parsed = parse_abstract_reply(text, BATCH)
    for item in parsed.items.values():
        assert item.paper_id in BATCH and 0 <= item.relevance <= 10 and 0 <= item.novelty <= 10
    parse_title_reply(text, BATCH)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(BATCH), st.integers(1, 10), st.integers(1, 10)),
                max_size=3, unique_by=lambda t: t[0]))
def test_well_formed_lines_round_trip(rows: list[tuple[str, int, int]]) -> None:
    parsed = parse_abstract_reply("\n".join(line(i, r, n) for i, r, n in rows), BATCH)
    assert {(k, v.relevance, v.novelty) for k, v in parsed.items.items()} == set(rows)


def test_deeply_nested_reply_does_not_raise() -> None:
    parsed = parse_abstract_reply("[" * 100_000 + "]" * 100_000, BATCH)
    assert parsed.items == {}
    assert not parse_title_reply("[" * 100_000, BATCH).drops


def test_braces_in_comments_wrapped_lists_and_pretty_printed_objects() -> None:
    braces = json.dumps({"ARXIVID": "2507.00002", "COMMENT": "uses {x} sets", "RELEVANCE": 9,
                         "NOVELTY": 8})
    assert parse_abstract_reply(braces, BATCH).items["2507.00002"].comment == "uses {x} sets"
    wrapped = json.dumps({"papers": [json.loads(line("2507.00013"))]})
    assert set(parse_abstract_reply(wrapped, BATCH).items) == {"2507.00013"}
    pretty = "Scores:\n" + json.dumps(json.loads(line("2507.00100")), indent=2) + "\nDone."
    assert set(parse_abstract_reply(pretty, BATCH).items) == {"2507.00100"}
