"""The JSON digest: every candidate with its one outcome (not only the picks) and run metadata."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import orjson

from papersieve.models import Digest, Judgement, Paper, Pick, abs_url
from papersieve.tldr import LLM

FORMAT = "papersieve-digest/1"


def digest_dict(digest: Digest) -> dict[str, Any]:
    """A plain dict of the day, stable key order; `render_json` dumps it."""
    ranks = {pick.paper.id: (rank, pick) for rank, pick in enumerate(digest.picks, 1)}
    judgements = list(digest.judgements) or [p.judgement for p in digest.picks]
    return {
        "format": FORMAT,
        "date": digest.date.isoformat(),
        "profile": digest.profile,
        "run_id": digest.run_id,
        "judge": digest.judge,
        "model": digest.model,
        "prompt_hash": digest.prompt_hash,
        "counts": _counts(digest, judgements),
        "usage": _usage(digest),
        "notes": list(digest.notes),
        "picks": [pick.paper.id for pick in digest.picks],
        "candidates": [_candidate(j, digest.papers, ranks) for j in judgements],
        "prompt": _prompt(digest),
    }


def _prompt(digest: Digest) -> dict[str, Any]:
    prompt: dict[str, Any] = {"system": digest.prompt.system, "user": digest.prompt.user}
    if digest.prompt.schema:  # only when replies were constrained to one (judges/llm/structured.py)
        prompt["schema"] = json.loads(digest.prompt.schema)
    return prompt


def render_json(digest: Digest, day: dict[str, Any] | None = None) -> str:
    """The JSON text (UTF-8, indented, ends with a newline); `day`: `digest_dict(digest)` when
    the caller has it already."""
    return dumps_indented(digest_dict(digest) if day is None else day)


def render_json_utf8(day: dict[str, Any]) -> bytes:
    """`render_json`'s text of `day` (a `digest_dict`), encoded in UTF-8, as the file holds it:
    orjson's bytes are that already (decoding 2 MB and encoding it again took ~5 ms a member)."""
    data = _by_orjson(day, day_writes_alike(day))
    return data if data is not None else _by_json(day).encode("utf-8")


def dumps_indented(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)` and a newline, the same text, by orjson
    when it writes that text: a group member's day is 2 MB, ~25 ms with the standard library's
    indenting encoder (pure Python), ~4 ms with orjson. orjson writes floats below 1e-4 in
    another form (`3e-6`, `0.00001`: an LLM call's cost), NaN and infinities as null, and refuses
    integers past 64 bits, lone surrogates and keys that are not strings: such a value goes to
    `json.dumps`."""
    data = _by_orjson(value)
    return data.decode("utf-8") if data is not None else _by_json(value)


def _by_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _by_orjson(value: Any, alike: bool | None = None) -> bytes | None:
    """orjson's UTF-8 text of `value` when it is `_by_json`'s, else None (`alike`: the
    caller's `orjson_writes_it_alike(value)`)."""
    if not (orjson_writes_it_alike(value) if alike is None else alike):
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # a key that is not a string, a lone surrogate, nesting past orjson's limit
        return None


_INT64 = 2**63


def orjson_writes_it_alike(value: Any) -> bool:
    """True when every value inside is a plain str, None, bool, dict, list, an integer within 64
    bits or a finite float that is 0 or at least 1e-4 in size (where orjson's shortest float
    text is `repr`'s, as json.dumps writes it); subclasses (an enum) go to json.dumps."""
    todo = [value]
    pop, extend = todo.pop, todo.extend
    while todo:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            extend(item.values())
        elif kind is list:
            extend(item)
        elif kind is float:
            if not (math.isfinite(item) and (item == 0.0 or abs(item) >= 1e-4)):
                return False
        elif kind is not int or not -_INT64 <= item < _INT64:
            return False
    return True


_NUMBERS = ("relevance", "novelty", "rank")


def day_writes_alike(day: dict[str, Any]) -> bool:
    """`orjson_writes_it_alike(day)` for a `digest_dict`, looking only at the numbers of its
    candidates: `_candidate` fills the rest from typed str, bool and list-of-str fields, and a
    walk over a million candidate values was a tenth of a group's render."""
    candidates = day.get("candidates")
    rest = {key: value for key, value in day.items() if key != "candidates"}
    if type(candidates) is not list or not orjson_writes_it_alike(rest):
        return orjson_writes_it_alike(day)
    try:
        numbers = [candidate[key] for candidate in candidates for key in _NUMBERS]
    except (KeyError, TypeError):  # not `_candidate`'s
        return orjson_writes_it_alike(candidates)
    return orjson_writes_it_alike(numbers)


def _counts(digest: Digest, judgements: list[Judgement]) -> dict[str, Any]:
    # Counted by the enum member (a str: its hash is the value's) and named once per outcome:
    # `Outcome.value` is a Python-level property, and a group's day has a million judgements.
    by_outcome = Counter(j.outcome for j in judgements)
    outcomes = {str(outcome.value): count for outcome, count in by_outcome.items()}
    return {
        "total": digest.counts.total,
        "scanned": digest.counts.scanned,
        "deduplicated": digest.counts.unique,
        "candidates": len(judgements),
        "relevant": len(digest.picks),
        "outcomes": dict(sorted(outcomes.items())),
    }


def _usage(digest: Digest) -> dict[str, Any]:
    usage = digest.usage
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cached_tokens": usage.cached_tokens,
        "prompt_cost": usage.prompt_cost,
        "completion_cost": usage.completion_cost,
        "cost": usage.cost,
    }


def _candidate(
    j: Judgement, papers: dict[str, Paper], ranks: dict[str, tuple[int, Pick]]
) -> dict[str, Any]:
    paper = papers.get(j.paper_id)
    rank, pick = ranks.get(j.paper_id, (None, None))
    out: dict[str, Any] = dict(_head(paper)) if paper is not None and paper.id == j.paper_id else {
        "id": j.paper_id, "title": paper.title if paper else "",
        "authors": list(paper.authors) if paper else [], "abstract": paper.abstract if paper else "",
        "categories": list(paper.categories) if paper else [],
        "url": paper.abs_url if paper else abs_url(j.paper_id),
        "code": list(paper.code_links) if paper else []}
    out["outcome"] = j.outcome.value
    out["picked"] = pick is not None
    out["rank"] = rank
    out["pinned"] = bool(pick and pick.pinned)
    out["judge"] = j.judge
    out["model"] = j.model
    out["relevance"] = j.relevance
    out["novelty"] = j.novelty
    out["comment"] = j.comment
    out["detail"] = j.detail
    # `tldr`, `tldr_kind` and `language` only when the judgement has them (a day without them
    # keeps the keys it always had)
    if j.tldr:
        out["tldr"] = j.tldr
        out["tldr_kind"] = j.tldr_kind or LLM
    if j.language:
        out["language"] = j.language
    return out


_HEADS: dict[int, tuple[Paper, dict[str, Any]]] = {}
_HEADS_MAX = 20_000


def _head(paper: Paper) -> dict[str, Any]:
    """A candidate's paper fields (`id` to `code`), made once per paper object: a group's day
    writes each of its ~1,000 papers into every member's day file (7 of a member's 20 ms).
    Read-only: each candidate copies the dict, and the lists in it are shared."""
    found = _HEADS.get(id(paper))
    if found is not None and found[0] is paper:
        return found[1]
    if len(_HEADS) >= _HEADS_MAX:  # a long-lived process (the web app) reads many days
        _HEADS.clear()
    head = {"id": paper.id, "title": paper.title, "authors": list(paper.authors),
            "abstract": paper.abstract, "categories": list(paper.categories), "url": paper.abs_url,
            "code": list(paper.code_links)}
    _HEADS[id(paper)] = (paper, head)  # the paper kept with it: its id() is not reused meanwhile
    return head
