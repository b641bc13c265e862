"""Reading the model's replies without losing anything and without ever raising.

Accepted: code fences, prose around the answer, JSON lines or one JSON array, trailing commas,
keys in any case and spelling (`ARXIVID`, `arxiv_id`, `id`), scores as numbers or strings
(`"8"`, `8.0`, `"8/10"`). Rejected with a recorded problem: ids that were not in the batch,
scores outside 0-10, lines that are not JSON, and an id answered twice with different scores
(`conflicts`). What is not parsed is missing, and the caller retries exactly the missing papers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from papersieve.ids import ArxivIdError, parse_arxiv_id

_FENCE = re.compile(r"```[A-Za-z0-9_-]*")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_OBJECT = re.compile(r"\{[^{}]*\}", re.DOTALL)
_ARRAY = re.compile(r"\[[^\[\]]*\]", re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_KEYS = {
    "arxivid": "id", "arxiv": "id", "id": "id", "paperid": "id",
    "comment": "comment", "comments": "comment", "reason": "comment",
    "relevance": "relevance", "novelty": "novelty",
}


@dataclass(frozen=True)
class Scored:
    """One paper's verdict as read from a reply."""

    paper_id: str
    relevance: float
    novelty: float
    comment: str


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
    """json.loads that tolerates trailing commas and returns None instead of raising."""
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate)
        except (ValueError, RecursionError):
            continue
    return None


def _objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object in the reply: a whole array (or an object holding one), else one object
    per line, else flat objects found anywhere in what the lines left over."""
    whole = _loads(text.strip())
    if isinstance(whole, dict):
        lists = [v for v in whole.values() if isinstance(v, list)]
        whole = lists[0] if len(lists) == 1 and not _canonical(whole).get("id") else [whole]
    if isinstance(whole, list):
        yield from (o for o in whole if isinstance(o, dict))
        return
    leftover = []
    for line in text.splitlines():
        value = _loads(line.strip().rstrip(",")) if line.strip().startswith("{") else None
        if isinstance(value, dict):
            yield value
        else:
            leftover.append(line)
    for match in _OBJECT.finditer("\n".join(leftover)):
        value = _loads(match.group(0))
        yield value if isinstance(value, dict) else {"__broken__": match.group(0)[:80]}


def _score(value: Any) -> float | None:
    """A 0-10 score from a number or a string such as "8", "8.5" or "8/10"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (m := _NUMBER.search(value)):
        number = float(m.group(0))
    else:
        return None
    return number if 0 <= number <= 10 else None


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
            parsed.items[paper_id] = Scored(paper_id, relevance, novelty, text_comment)


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
