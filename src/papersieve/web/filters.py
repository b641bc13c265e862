"""Jinja2 filters for scores, dollars, tokens and outcomes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_OUTCOME_WORDS = {
    "judged": "judged",
    "pinned_author": "pinned author",
    "filtered_by_title": "filtered by title",
    "filtered_by_hindex": "filtered by h-index",
    "filtered_by_keyword": "filtered by keyword",
    "skipped_by_local_ranker": "skipped by local ranker",
    "seen_before": "seen before",
    "failed_after_retries": "failed after retries",
    "not_judged_cost_cap": "not judged (cost cap)",
}


def score(value: float | None) -> str:
    """A relevance or novelty score; "n/a" when the judge gave none."""
    if value is None:
        return "n/a"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def dollars(value: float | None) -> str:
    """Dollars with cents; "unknown" when a model's price is not known."""
    return "unknown" if value is None else f"${value:.2f}"


def tokens(value: int | None) -> str:
    """Token counts with thousands separators."""
    return "" if value is None else f"{value:,}"


def outcome(value: str | None) -> str:
    """An outcome code in words."""
    return "" if value is None else _OUTCOME_WORDS.get(value, value.replace("_", " "))


def label(value: int | None) -> str:
    """A feedback label in words."""
    return {1: "liked", -1: "disliked", 0: "withdrawn"}.get(value, "") if value is not None else ""


def plural(count: int | None, singular: str, many: str = "") -> str:
    """The noun that goes with `count`: `1|plural("run")` is "run", `2|plural("run")` "runs"."""
    return singular if count == 1 else (many or singular + "s")


FILTERS: dict[str, Callable[..., Any]] = {
    "plural": plural,
    "score": score,
    "dollars": dollars,
    "tokens": tokens,
    "outcome": outcome,
    "label": label,
}
