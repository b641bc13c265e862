"""The day JSON files of an output folder, read back for the archive, the Atom feed and `latest.*`.

The folder is shared with people and tools (a git branch, a hand edit, a copy cut short by a
full disk). One malformed file (cut short, no `candidates`, not UTF-8, a date in its name that
is not in the calendar) broke every later run with a traceback that did not name it; now it is
left out of the site with a warning naming the file and what is wrong, and the day's own files
are still written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from papersieve import localfiles

Warn = Callable[[str], None]
DAY_FILE_MAX = 64 * 1024 * 1024
"""Largest day JSON read from a site (the largest real day's is well under 2 MB)."""
_DAY_FILE = re.compile(r"^(\d{4}-\d{2})/(\d{4}-\d{2}-\d{2})\.json$")


class Shape(BaseModel):
    """A strict check of what a renderer reads (other keys are kept)."""

    model_config = ConfigDict(strict=True, extra="allow")


class PickShape(Shape):
    """What the archive and the feed read of a pick (the site index keeps the same)."""

    id: str
    title: str
    url: str
    authors: list[str]
    abstract: str
    comment: str
    relevance: float | None
    novelty: float | None


class _Candidate(PickShape):
    """What the archive and the feed read of a candidate."""

    outcome: str


class _Day(Shape):
    """What the archive and the feed read of a day."""

    date: str
    judge: str
    model: str
    picks: list[str]
    candidates: list[_Candidate]


def read_days(out_dir: Path, warn: Warn, known: tuple[Path, dict[str, Any]] | None = None
              ) -> list[dict[str, Any]]:
    """Every well-formed day of the folder, newest first; each other one is named to `warn`.

    `known`: a day file just written and the day it holds (`json_out.digest_dict`), taken as it
    is instead of read back (a group member's day file is 2 MB: ~18 ms to parse and check)."""
    days = []
    for named, path in reversed(day_file_names(out_dir)):
        if known is not None and path == known[0] and known[1].get("date") == named:
            days.append(known[1])
            continue
        try:
            days.append(read_day(path, named))
        except NotADay as err:
            warn(f"left {path} out of the site: {err}")
    return days


def day_file_names(out_dir: Path) -> list[tuple[str, Path]]:
    """The folder's day files (`YYYY-MM/YYYY-MM-DD.json`) and the date in each name, oldest
    first by that date; not read."""
    named = []
    for path in out_dir.glob("*/*.json"):
        match = _DAY_FILE.match(path.relative_to(out_dir).as_posix())
        if match is not None and match.group(2).startswith(match.group(1)):
            named.append((match.group(2), path))
    # ISO dates sort as the days do (the month folder is in the name: one file a name).
    return sorted(named)


def read_latest(out_dir: Path, warn: Warn) -> dict[str, Any] | None:
    """The folder's `latest.json` (its newest day), or None when it has none; a malformed one
    is named to `warn` and left out."""
    path = out_dir / "latest.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(localfiles.read_bytes(path, DAY_FILE_MAX).decode("utf-8"))
        day = _Day.model_validate(data)
        dt.date.fromisoformat(day.date)
    except (OSError, ValueError, RecursionError) as err:  # ValidationError is a ValueError
        warn(f"left {path} out of the group's page: {str(err).splitlines()[0][:120]}")
        return None
    return dict(data)


class NotADay(Exception):
    """Why one file is left out of the site (a one-line reason)."""


def read_day(path: Path, named: str) -> dict[str, Any]:
    """The day that the file `path` holds, checked; `named`: the date in its name."""
    try:
        dt.date.fromisoformat(named)
    except ValueError as err:
        raise NotADay(f"its name is not a calendar date ({err})") from err
    try:
        data = json.loads(localfiles.read_bytes(path, DAY_FILE_MAX).decode("utf-8"))
    except UnicodeDecodeError as err:
        raise NotADay(f"not UTF-8 text ({err.reason} at byte {err.start})") from err
    except (ValueError, RecursionError) as err:
        raise NotADay(f"not valid JSON ({str(err).splitlines()[0][:120]})") from err
    except OSError as err:
        raise NotADay(f"cannot be read ({err.strerror})") from err
    try:
        day = _Day.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise NotADay(f"not a papersieve day ({where}: {first['msg']})") from err
    if day.date != named:
        raise NotADay(f"it holds the day {day.date[:20]!r}, not {named}")
    return dict(data)
