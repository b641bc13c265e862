"""The site's index of day summaries (`site-index.json` beside the pages): what the archive pages
and the feed show of each day, so a run reads that instead of every earlier day's JSON.

A member's day JSON is ~2 MB (every candidate, with abstracts); rebuilding the archive parsed
all of them every run: ~2.2 s a run for 60 days, ~37 minutes a day for a group of 1,000 such
members. The index keeps each day's `DaySummary` with the size and mtime_ns of the file it was
taken from (as make and rsync's quick check do; not the inode, so a copy that keeps mtimes, such
as a restored cache, keeps its index). The folder is shared (hand edits, a git branch, a copy, a
rerun of a day): an entry whose file no longer has that size and mtime is not used, and neither
is a malformed entry or index, nor one written with other `SHOWN` fields. That day's file is read
instead and the entry written anew; a deleted day's entry is dropped. The index can be deleted at
any time: the next run that writes the site rebuilds it.

A file's mtime moves in ticks (a few ms on Linux, 2 s on FAT): a file changed in place within the
tick it was recorded in keeps its stamp. As git does with its index ("racily clean" entries), an
entry recorded less than `RACY_NS` after its file's mtime also keeps the SHA-256 of the file's
bytes, checked before it is used (~2 ms for 2 MB, against ~20-30 ms to parse and check the day);
once its file is older than that, the entry is recorded again without it. The day just written is
such an entry: the next run hashes that one file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from papersieve import localfiles
from papersieve.render.day_files import DAY_FILE_MAX, PickShape, Shape
from papersieve.render.day_summary import SHOWN, DaySummary

FORMAT = "papersieve-site-index/1"
INDEX_MAX = 64 * 1024 * 1024
"""Largest index read (a year of days with 30 picks each is ~20 MB); a larger one is rebuilt."""

RACY_NS = 3_000_000_000
"""An entry recorded less than this after its file's mtime is checked by its bytes' hash too."""

Stamp = tuple[int, int]
"""A day file's size and mtime_ns."""


def stamp_of(path: Path) -> Stamp:
    """`path`'s stamp (an OSError when it cannot be read)."""
    status = os.stat(path)
    return status.st_size, status.st_mtime_ns


class _Title(Shape):
    """A pick of a day kept for the archive pages only."""

    id: str
    title: str


class _Summary(Shape):
    date: str
    judge: str
    model: str
    picks: list[str]
    candidates: int
    titles_only: bool


class _Full(_Summary):
    picked: list[PickShape]


class _Titles(_Summary):
    picked: list[_Title]


class _Entry(Shape):
    size: int
    mtime_ns: int
    sha256: str


class _FullEntry(_Entry):
    day: _Full


class _TitlesEntry(_Entry):
    day: _Titles


@dataclasses.dataclass(frozen=True)
class _Kept:
    stamp: Stamp
    sha256: str
    """The file's hash when the entry was recorded within `RACY_NS` of its mtime, else ""."""
    summary: DaySummary


class SiteIndex:
    """The index of one site folder: entries by the day file's path relative to the folder."""

    def __init__(self, entries: dict[str, _Kept] | None = None) -> None:
        self._entries = entries or {}
        self.changed = False

    @classmethod
    def load(cls, path: Path) -> SiteIndex:
        """The index at `path`; an empty one when it is missing or malformed (it is rebuilt),
        without a malformed entry (its day file is read again)."""
        try:
            data = json.loads(localfiles.read_bytes(path, INDEX_MAX).decode("utf-8"))
        except (OSError, ValueError, RecursionError):  # missing, too large, not UTF-8, not JSON
            return cls()
        if (not isinstance(data, dict) or data.get("format") != FORMAT
                or data.get("fields") != list(SHOWN) or not isinstance(data.get("days"), dict)):
            return cls()
        index = cls({name: entry for name, value in data["days"].items()
                     if (entry := _entry(value)) is not None})
        index.changed = len(index._entries) != len(data["days"])
        return index

    def get(self, name: str, path: Path, stamp: Stamp) -> DaySummary | None:
        """The summary of the day file `name` (at `path`) when the file still has `stamp` (and
        its recorded hash)."""
        kept = self._entries.get(name)
        if kept is None or kept.stamp != stamp:
            return None
        if kept.sha256:
            if _sha256(path) != kept.sha256:
                return None
            if not _racy(stamp):  # old enough now: its stamp alone says
                self._entries[name] = dataclasses.replace(kept, sha256="")
                self.changed = True
        return kept.summary

    def put(self, name: str, path: Path, stamp: Stamp, summary: DaySummary) -> None:
        """Record `summary` as the day of the file `name` (at `path`), which has `stamp`."""
        kept = _Kept(stamp, (_sha256(path) or "unreadable") if _racy(stamp) else "", summary)
        if self._entries.get(name) != kept:
            self._entries[name] = kept
            self.changed = True

    def drop(self, name: str) -> None:
        if self._entries.pop(name, None) is not None:
            self.changed = True

    def keep_only(self, names: set[str]) -> None:
        """Drop the entries of day files that are gone."""
        for name in set(self._entries) - names:
            self.drop(name)

    def to_text(self, full_days: int) -> str:
        """The index file's text: JSON on one line, by the standard library (it writes any value
        a day file may hold and reads it back the same), not escaped to ASCII: the redactor of
        the output files must see a secret with other characters as it is. The newest
        `full_days` days keep every shown field of their picks, older ones their titles only."""
        names = sorted(self._entries)  # `YYYY-MM/YYYY-MM-DD.json`: by date
        full = set(names[len(names) - full_days:]) if full_days else set()
        days = {name: {"size": kept.stamp[0], "mtime_ns": kept.stamp[1], "sha256": kept.sha256,
                       "day": (kept.summary if name in full else kept.summary.titles()).to_json()}
                for name, kept in ((name, self._entries[name]) for name in names)}
        text = json.dumps({"format": FORMAT, "fields": list(SHOWN), "days": days},
                          ensure_ascii=False, separators=(",", ":"))
        return text + "\n"


def _racy(stamp: Stamp) -> bool:
    """Whether the file's mtime is too recent for its stamp alone to show a later change."""
    return stamp[1] >= time.time_ns() - RACY_NS


def _sha256(path: Path) -> str:
    """The file's SHA-256, or "" when it cannot be read."""
    try:
        return hashlib.sha256(localfiles.read_bytes(path, DAY_FILE_MAX)).hexdigest()
    except OSError:
        return ""


def _entry(value: Any) -> _Kept | None:
    titles_only = isinstance(value, dict) and isinstance(value.get("day"), dict) \
        and value["day"].get("titles_only") is True
    try:
        (_TitlesEntry if titles_only else _FullEntry).model_validate(value)
    except ValidationError:
        return None
    day = value["day"]
    summary = DaySummary(date=day["date"], judge=day["judge"], model=day["model"],
                         picks=tuple(day["picks"]), candidates=day["candidates"],
                         picked={pick["id"]: pick for pick in day["picked"]},
                         titles_only=day["titles_only"])
    return _Kept((value["size"], value["mtime_ns"]), value["sha256"], summary)
