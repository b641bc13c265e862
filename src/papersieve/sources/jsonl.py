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

from papersieve import localfiles
from papersieve.errors import FeedError
from papersieve.ids import ArxivIdError, parse_arxiv_id
from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Paper
from papersieve.validate import OutsideValueError, version_number

_NAME = re.compile(r"arxiv-(\d{4}-\d{2}-\d{2})-(.+)\.jsonl$")


def file_date(path: Path) -> dt.date | None:
    """The listing date in a candidate file's name, or None (also for `arxiv-2025-13-45-...`)."""
    match = _NAME.search(path.name)
    try:
        return dt.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


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
    """Every JSON object of a file, checked and with a version-less id; a bad line is a clear
    error naming the line."""
    records = []
    try:
        for number, line in enumerate(localfiles.read_text(path).split("\n"), start=1):
            if line.strip():
                records.append(_checked(line, number, path))
    except UnicodeDecodeError as err:
        raise FeedError(f"not UTF-8 text ({err.reason} at byte {err.start})", source=str(path)) from err
    except OSError as err:
        raise FeedError(f"cannot read the candidate file ({err.strerror})", source=str(path)) from err
    return records


def _checked(line: str, number: int, path: Path) -> dict[str, Any]:
    """One line as a record whose fields have the types the candidate files use.

    A hand-edited or cut-off file gave a traceback (an unknown announce type, `listings` or
    `categories` that were not a list) or, worse, stored a paper under a versioned or invalid
    id, or titled "None".
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise FeedError(f"line {number} is not JSON ({err.msg})", source=str(path)) from err
    except (ValueError, RecursionError) as err:  # a 5,000-digit number, 100k nested brackets
        raise FeedError(f"line {number} is not usable JSON ({_first_line(err)})",
                        source=str(path)) from err
    if not isinstance(record, dict) or "id" not in record or "title" not in record:
        raise FeedError(f"line {number} has no id or title", source=str(path))
    problem = _problem(record)
    if problem:
        raise FeedError(f"line {number}: {problem}", source=str(path))
    parsed = parse_arxiv_id(record["id"])
    version = record.get("version") or parsed.version
    return {**record, "id": parsed.id, "version": version}


def _first_line(err: BaseException) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0][:120]


def _problem(record: dict[str, Any]) -> str | None:
    """What is wrong with a record's fields, or None."""
    if not isinstance(record["id"], str):
        return "id must be a string"
    try:
        parse_arxiv_id(record["id"])
    except ArxivIdError as err:
        return str(err)
    if not isinstance(record["title"], str) or not record["title"].strip():
        return "title must be a non-empty string"
    for key in ("abstract", "comment"):
        if record.get(key) is not None and not isinstance(record[key], str):
            return f"{key} must be a string"
    for key in ("authors", "categories"):
        value = record.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
            return f"{key} must be a list of strings"
    version = record.get("version")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int):
            return "version must be a positive integer"
        try:
            version_number(version)
        except OutsideValueError as err:
            return str(err)
    return _announce_problem(record)


def _announce_problem(record: dict[str, Any]) -> str | None:
    known = {t.value for t in AnnounceType}
    if "listings" in record:
        listings = record["listings"]
        if not isinstance(listings, dict) or not all(
                isinstance(c, str) and a in known for c, a in listings.items()):
            return f"listings must map categories to one of {sorted(known)}"
    elif record.get("announce_type", "new") not in known:
        return f"announce_type must be one of {sorted(known)}"
    return None


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

    Per-category files win over union files. A category that no file of the day covers is
    MISSING (unknown: missing data), not "no announcement"; one a file covers without any paper
    of it (an empty per-category file, an `-all` file) had nothing announced.
    """
    found: dict[str, Listing] = {}
    files = sorted(folder.glob(f"arxiv-{date.isoformat()}-*.jsonl"))
    per_category = [f for f in files if _NAME.search(f.name) and _is_single(f)]
    unions = [f for f in files if f not in per_category]
    covered: set[str] = set()
    for path in per_category + unions:
        covered |= _covers(path, categories)
        for listing in listings_from_file(path, categories):
            found.setdefault(listing.category, listing)
    return [found.get(cat) or _empty(cat, date, cat in covered, folder) for cat in categories]


def _covers(path: Path, categories: Sequence[str]) -> set[str]:
    """The categories a file speaks for, from its name: one, several (`cs.LG+cs.AI`) or all."""
    match = _NAME.search(path.name)
    name = match.group(2) if match else ""
    return set(categories) if name == "all" else set(name.split("+"))


def _empty(category: str, date: dt.date, covered: bool, folder: Path) -> Listing:
    if covered:
        return Listing(category, date, (), "jsonl", ListingStatus.NO_ANNOUNCEMENT,
                       note="its candidate file lists no paper")
    return Listing(category, date, (), "jsonl", ListingStatus.MISSING,
                   note=f"no candidate file for this category in {folder}")


def _is_single(path: Path) -> bool:
    match = _NAME.search(path.name)
    return bool(match) and "+" not in match.group(2) and match.group(2) != "all"  # type: ignore[union-attr]
