"""Offline source: the JSON-lines candidate files of `shared/data/realworld/`.

Two layouts exist. Per-category files (`arxiv-<date>-<category>.jsonl`) carry `announce_type`;
union files (`arxiv-<date>-all.jsonl`, `arxiv-<date>-cs.LG+cs.AI.jsonl`) carry `listings`, a map
listing category -> announce type. Both carry id, title, abstract, authors, categories, comment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from papersieve.errors import FeedError
from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Paper

_NAME = re.compile(r"arxiv-(\d{4}-\d{2}-\d{2})-(.+)\.jsonl$")


def file_date(path: Path) -> dt.date | None:
    """The listing date in a candidate file's name, or None."""
    match = _NAME.search(path.name)
    return dt.date.fromisoformat(match.group(1)) if match else None


def paper_from_record(record: dict[str, Any]) -> Paper:
    """A `Paper` from one JSON line."""
    return Paper(
        id=str(record["id"]),
        title=" ".join(str(record["title"]).split()),
        abstract=" ".join(str(record.get("abstract") or "").split()),
        authors=tuple(record.get("authors") or ()),
        categories=tuple(record.get("categories") or ()),
        version=record.get("version"),
        comment=record.get("comment"),
    )


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every JSON object of a file; a broken line is a clear error naming the line."""
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise FeedError(f"line {number} is not JSON ({err.msg})", source=str(path)) from err
            if not isinstance(record, dict) or "id" not in record or "title" not in record:
                raise FeedError(f"line {number} has no id or title", source=str(path))
            records.append(record)
    return records


def listings_from_file(path: Path, categories: Iterable[str] | None = None) -> list[Listing]:
    """Split one candidate file into per-category listings (optionally only these categories)."""
    date = file_date(path)
    wanted = set(categories) if categories is not None else None
    per_category: dict[str, list[ListingEntry]] = {}
    match = _NAME.search(path.name)
    single = match.group(2) if match and "+" not in match.group(2) and match.group(2) != "all" else None
    for record in read_records(path):
        paper = paper_from_record(record)
        if "listings" in record:
            memberships = dict(record["listings"])
        else:
            memberships = {single or paper.primary_category or "": record.get("announce_type", "new")}
        for category, announce in memberships.items():
            if wanted is not None and category not in wanted:
                continue
            entries = per_category.setdefault(category, [])
            entries.append(ListingEntry(paper, category, AnnounceType(announce), len(entries)))
    return [
        Listing(category=cat, date=date, entries=tuple(entries), source="jsonl",
                status=ListingStatus.OK if entries else ListingStatus.NO_ANNOUNCEMENT)
        for cat, entries in per_category.items()
    ]


def listings_for_day(
    folder: Path, date: dt.date, categories: Sequence[str]
) -> list[Listing]:
    """The listings of one day from a folder of candidate files, one per requested category.

    Per-category files win over union files; a category with no file gets a "no announcement"
    listing.
    """
    found: dict[str, Listing] = {}
    files = sorted(folder.glob(f"arxiv-{date.isoformat()}-*.jsonl"))
    per_category = [f for f in files if _NAME.search(f.name) and _is_single(f)]
    unions = [f for f in files if f not in per_category]
    for path in per_category + unions:
        for listing in listings_from_file(path, categories):
            found.setdefault(listing.category, listing)
    return [
        found.get(cat) or Listing(cat, date, (), "jsonl", ListingStatus.NO_ANNOUNCEMENT,
                                  note="no candidate file for this category")
        for cat in categories
    ]


def _is_single(path: Path) -> bool:
    match = _NAME.search(path.name)
    return bool(match) and "+" not in match.group(2) and match.group(2) != "all"  # type: ignore[union-attr]
