"""Shared set-up of the LLM judge tests: real days from data/, profiles with overrides."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from papersieve.candidates import select_candidates
from papersieve.models import Paper
from papersieve.profile import load_profile
from papersieve.profile.loader import Profile
from papersieve.sources.jsonl import listings_from_file

DATA = Path(__file__).resolve().parent.parent / "data"
DAY = dt.date(2025, 6, 11)
"""A labelled day with 300 unique candidates."""


@lru_cache(maxsize=4)
def day_papers(day: dt.date = DAY) -> tuple[Paper, ...]:
    """The candidates of one labelled day, as the pipeline would select them."""
    path = DATA / "candidates" / f"arxiv-{day.isoformat()}-cs.LG+cs.AI.jsonl"
    return select_candidates(day, listings_from_file(path)).papers


def profile(**overrides: Any) -> Profile:
    """The default profile with `judge.*` overrides (fast, generous limits unless given)."""
    values: dict[str, Any] = {"judge.concurrency": 8, "judge.calls_per_minute": 10_000}
    values.update({f"judge.{k}": v for k, v in overrides.items()})
    return load_profile(None, values)


def priced_like_openai() -> None:
    """Bill the loopback server's calls at OpenAI's prices: the shipped table applies to OpenAI's
    API only, so a test that checks dollars lists them in the user's prices.toml."""
    from importlib import resources

    from papersieve.home import home_dir

    shipped = resources.files("papersieve").joinpath("data/prices.toml").read_text("utf-8")
    home_dir().mkdir(parents=True, exist_ok=True)
    (home_dir() / "prices.toml").write_text(shipped, "utf-8")
