"""What the archive pages and the Atom feed show of a day: its date, judge, model, the number of
candidates and its picks, each with the fields the pages and the feed render.

A member's day JSON holds every candidate (~1,000 papers with abstracts, ~2 MB); the pages and
the feed show a few picks of it. The renderers read a day only through `as_summary`, whether it
comes from a day file or from the site's index of summaries (`render/site_index.py`), so the two
cannot render differently.
"""

from __future__ import annotations

import dataclasses
from typing import Any

SHOWN = ("id", "title", "url", "code", "authors", "abstract", "comment", "relevance", "novelty",
         "tldr", "tldr_kind", "language")
"""The fields of a pick that the archive pages and the feed render (render/html.py, atom.py).
The site's index records this list: an index written with another one is not used."""


@dataclasses.dataclass(frozen=True)
class DaySummary:
    """One day as the archive pages and the feed see it."""

    date: str
    judge: str
    model: str
    picks: tuple[str, ...]
    """Every pick's id in rank order, also those without a candidate (they keep their rank)."""
    candidates: int
    """How many candidates the day had."""
    picked: dict[str, dict[str, Any]]
    """The picks that are candidates: id -> its `SHOWN` fields, as the day file holds them."""
    titles_only: bool = False
    """`picked` holds each pick's id and title only: enough for the archive pages, not the feed."""

    def titles(self) -> DaySummary:
        """The summary with its picks' ids and titles only."""
        picked = {pid: {"id": c["id"], "title": c["title"]} for pid, c in self.picked.items()}
        return dataclasses.replace(self, picked=picked, titles_only=True)

    def to_json(self) -> dict[str, Any]:
        """The summary as the site's index keeps it."""
        return {"date": self.date, "judge": self.judge, "model": self.model,
                "picks": list(self.picks), "candidates": self.candidates,
                "titles_only": self.titles_only, "picked": list(self.picked.values())}


def summarize(day: dict[str, Any]) -> DaySummary:
    """The summary of a day JSON (`json_out.digest_dict`'s shape, checked by day_files)."""
    by_id = {c["id"]: c for c in day["candidates"]}  # a repeated id: the last one, as before
    picked = {pid: {key: by_id[pid][key] for key in SHOWN if key in by_id[pid]}
              for pid in day["picks"] if pid in by_id}
    return DaySummary(date=day["date"], judge=day["judge"], model=day["model"],
                      picks=tuple(day["picks"]), candidates=len(day["candidates"]), picked=picked)


def as_summary(day: dict[str, Any] | DaySummary) -> DaySummary:
    """`day` itself when it is a summary already, else its summary."""
    return day if isinstance(day, DaySummary) else summarize(day)
