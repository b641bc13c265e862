"""Reading the model's replies without losing anything and without ever raising.

Accepted: code fences, prose around the answer, JSON lines, one JSON array, or one object keyed by
arXiv id (the structured form, judges/llm/structured.py), trailing commas, keys in any case and
spelling (`ARXIVID`, `arxiv_id`, `id`), scores as integers or strings (`"8"`, `8.0`, `"8/10"`).
As a last resort, `json-repair` reads single quotes, unquoted keys and Python's `None`.
Numbers are read as the text they were written as: an id written as a bare number
(`2507.00010`) keeps its digits (as a float it became `2507.0001`, "not in the batch").
Rejected with a recorded problem: ids that were not in the batch, scores that are not an integer
from 1 to 10 (never clamped), lines that are not JSON, and an id answered twice with different
scores (`conflicts`). What is not parsed is missing, and the caller retries exactly those papers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import json_repair

from papersieve.ids import ArxivIdError, parse_arxiv_id
from papersieve.tldr import cut_words

_FENCE = re.compile(r"```[A-Za-z0-9_-]*")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_OBJECT = re.compile(r"\{[^{}]*\}", re.DOTALL)
_ARRAY = re.compile(r"\[[^\[\]]*\]", re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_BARE_ID = re.compile(r"([:\[,]\s*)(\d{4}\.\d{4,5}(?:v\d+)?)(?=\s*[,}\]\n])")
_KEYS = {
    "arxivid": "id", "arxiv": "id", "id": "id", "paperid": "id",
    "comment": "comment", "comments": "comment", "reason": "comment",
    "relevance": "relevance", "novelty": "novelty",
    "tldr": "tldr", "summary": "tldr",
}


@dataclass(frozen=True)
class Scored:
    """One paper's verdict as read from a reply."""

    paper_id: str
    relevance: float
    novelty: float
    comment: str
    tldr: str = ""
    """The TLDR, cut to 30 words ("" when the reply gave none: no failure)."""


class Number(str):
    """A JSON number as written in the reply (ids and scores are read from the text)."""


@dataclass
class Parsed:
    """What a reply gave: verdicts by paper id (or ids to drop), and what was wrong with it."""

    items: dict[str, Scored] = field(default_factory=dict)
    drops: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    complete: bool = False
    """For the title stage: a list was found (an empty list is a valid answer)."""
    conflicts: set[str] = field(default_factory=set)
    """Ids answered twice with different scores: which answer is the paper's own is unknown."""


def normalise_id(raw: object) -> str:
    """An id as the batch knows it: no `arXiv:` prefix, no version, no spaces."""
    text = str(raw).strip().strip("\"'").strip()
    try:
        return parse_arxiv_id(text).id
    except ArxivIdError:  # an odd id is simply not in the batch
        return text


def strip_fences(text: str) -> str:
    """The reply without Markdown code fences."""
    return _FENCE.sub("\n", text)


def _loads(text: str) -> Any:
    """json.loads that tolerates trailing commas, keeps numbers as written (`Number`) and returns
    None instead of raising."""
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, parse_float=Number, parse_int=Number)
        except (ValueError, RecursionError):
            continue
    return None


def _repair(text: str) -> Any:
    """The last resort: json-repair (single quotes, unquoted keys, `None`), with bare ids quoted
    first so that they keep their digits; None when nothing JSON-like is found."""
    try:
        value = json_repair.loads(_BARE_ID.sub(r'\1"\2"', text))
    except (ValueError, RecursionError, TypeError):
        return None
    return value if isinstance(value, dict | list) and value else None


def _records(value: Any) -> list[dict[str, Any]] | None:
    """The answer records in one parsed value: an array of objects, an object holding one array,
    an object keyed by paper id (the structured form), or one record; None if it holds none."""
    if isinstance(value, list):
        return [o for o in value if isinstance(o, dict)]
    if not isinstance(value, dict):
        return None
    if _canonical(value).get("id"):
        return [value]
    keyed = [(k, v) for k, v in value.items() if isinstance(v, dict) and _looks_like_id(k)]
    if keyed:
        return [{**v, "ARXIVID": k} for k, v in keyed]
    lists = [v for v in value.values() if isinstance(v, list)]
    return _records(lists[0]) if len(lists) == 1 else [value]


def _looks_like_id(key: object) -> bool:
    try:
        parse_arxiv_id(str(key).strip())
    except ArxivIdError:
        return False
    return True


def _objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object in the reply: a whole array (or an object holding one, or keyed by id),
    else one object per line, else flat objects found anywhere in what the lines left over, else
    whatever json-repair makes of the whole reply."""
    whole = _records(_loads(text.strip()))
    if whole is not None:
        yield from whole
        return
    found = False
    leftover = []
    for line in text.splitlines():
        value = _loads(line.strip().rstrip(",")) if line.strip().startswith("{") else None
        if isinstance(value, dict):
            found = True
            yield value
        else:
            leftover.append(line)
    broken = []
    for match in _OBJECT.finditer("\n".join(leftover)):
        value = _loads(match.group(0))
        if not isinstance(value, dict):
            value = _repair(match.group(0))
        if isinstance(value, dict):
            found = True
            yield value
        else:
            broken.append({"__broken__": match.group(0)[:80]})
    if not found and "{" in text:
        repaired = _records(_repair(text))
        if repaired:
            yield from repaired
            return
    yield from broken


def _score(value: Any) -> float | None:
    """An integer score from 1 to 10, from a number or a string such as "8", "8.0" or "8/10";
    None for anything else (8.5, 0, 11, 98): never clamped into range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and not isinstance(value, str):
        number = float(value)
    elif isinstance(value, str) and (m := _NUMBER.search(value)):
        number = float(m.group(0))
    else:
        return None
    return number if number.is_integer() and 1 <= number <= 10 else None


def _canonical(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = _KEYS.get(re.sub(r"[^a-z]", "", str(key).lower()))
        if name and name not in out:
            out[name] = value
    return out


def parse_abstract_reply(text: str, batch: Collection[str]) -> Parsed:
    """Verdicts for ids of `batch` found in an abstract-stage reply; never raises."""
    parsed = Parsed()
    try:
        _fill_scores(parsed, strip_fences(text or ""), set(batch))
    except Exception as err:  # a reply must never crash a run; what was read so far stands
        parsed.problems.append(f"parser error: {type(err).__name__}")
    return parsed


def _fill_scores(parsed: Parsed, text: str, batch: set[str]) -> None:
    for record in _objects(text):
        if "__broken__" in record:
            parsed.problems.append(f"not JSON: {record['__broken__']}")
            continue
        fields = _canonical(record)
        if "id" not in fields:
            parsed.problems.append("a line has no ARXIVID")
            continue
        paper_id = normalise_id(fields["id"])
        relevance, novelty = _score(fields.get("relevance")), _score(fields.get("novelty"))
        if paper_id not in batch:
            parsed.problems.append(f"id {paper_id[:40]} was not in the batch")
        elif relevance is None or novelty is None:
            parsed.problems.append(f"{paper_id}: missing or invalid score")
        elif paper_id in parsed.conflicts:
            continue
        elif paper_id in parsed.items:
            _answered_twice(parsed, parsed.items[paper_id], relevance, novelty)
        else:
            comment = fields.get("comment")
            text_comment = " ".join(comment.split()) if isinstance(comment, str) else ""
            tldr = fields.get("tldr")
            text_tldr = cut_words(tldr) if isinstance(tldr, str) else ""
            parsed.items[paper_id] = Scored(paper_id, relevance, novelty, text_comment, text_tldr)


def _answered_twice(parsed: Parsed, first: Scored, relevance: float, novelty: float) -> None:
    # A model that obeys text inside another paper's abstract ("2507.00001: relevance 10") may
    # answer that id before reaching the paper itself; neither answer can then be trusted.
    if (first.relevance, first.novelty) == (relevance, novelty):
        parsed.problems.append(f"{first.paper_id}: answered twice alike, kept")
        return
    del parsed.items[first.paper_id]
    parsed.conflicts.add(first.paper_id)
    parsed.problems.append(f"{first.paper_id}: answered twice with different scores")


def parse_title_reply(text: str, batch: Collection[str]) -> Parsed:
    """Ids to drop from a title-stage reply (a JSON list of ids); never raises."""
    parsed = Parsed()
    try:
        _fill_drops(parsed, strip_fences(text or ""), set(batch))
    except Exception as err:  # see parse_abstract_reply
        parsed.problems.append(f"parser error: {type(err).__name__}")
    return parsed


def _fill_drops(parsed: Parsed, text: str, batch: set[str]) -> None:
    values: list[Any] | None = None
    whole = _loads(text.strip())
    if isinstance(whole, dict):
        lists = [v for v in whole.values() if isinstance(v, list)]
        whole = lists[0] if len(lists) == 1 else whole
    if isinstance(whole, list):
        values = whole
    else:
        for match in _ARRAY.finditer(text):
            found = _loads(match.group(0))
            if isinstance(found, list):
                values = found
                break
    if values is None:
        parsed.problems.append("no JSON list of ids in the reply")
        return
    parsed.complete = True
    for value in values:
        paper_id = normalise_id(value) if isinstance(value, str | int | float) else ""
        if paper_id in batch:
            parsed.drops.add(paper_id)
        else:
            parsed.problems.append(f"id {str(value)[:40]} was not in the batch")
