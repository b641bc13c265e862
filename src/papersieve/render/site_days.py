"""The days a run's site shows (`latest.*`, the archive pages, the feed), as summaries, newest
first, each read only when a caller gets that far.

`latest.*` needs the newest day that is not in the future, the feed the newest `FEED_DAYS`,
the archive pages every day. A day comes from the day just written when it is that one, else
from the site's index (`site_index.py`) when its entry still matches the file, else from the
day file itself (2 MB for a group's member: ~18-30 ms to parse and check), whose summary then
goes into the index. A malformed day file is named to `warn` when it is reached, every run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from papersieve.render import day_files
from papersieve.render.day_files import Warn
from papersieve.render.day_summary import DaySummary, summarize
from papersieve.render.paths import SITE_INDEX_NAME
from papersieve.render.site_index import SiteIndex, Stamp, stamp_of
from papersieve.today import is_future


class SiteDays:
    """The folder's well-formed days, newest first by the date in their names.

    `known`: the day file just written and the day it holds (`json_out.digest_dict`), taken as
    it is. `indexed`: read and keep the site's index (runs that write the archive or the feed);
    without it every day needed is read from its file and the index is left as it is.
    `full_days`: how many of the newest days the index keeps with every `SHOWN` field of their
    picks (the feed's days); older ones keep their picks' titles only (the archive pages show
    no more), which makes a 60-day index ~4 times smaller."""

    def __init__(self, out_dir: Path, warn: Warn, known: tuple[Path, dict[str, Any]] | None = None,
                 indexed: bool = False, full_days: int = 0) -> None:
        self._out_dir = out_dir
        self._warn = warn
        self._known = known
        self._read: list[DaySummary] = []
        self._where: list[tuple[str, Path, Stamp | None]] = []  # each day's name, file and stamp
        self._full_days = full_days
        # The newest last, taken first.
        self._todo = day_files.day_file_names(out_dir)
        self._index = SiteIndex.load(out_dir / SITE_INDEX_NAME) if indexed else None
        if self._index is not None:
            self._index.keep_only({self._name(path) for _, path in self._todo})

    def newest(self, count: int | None = None, full: bool = False) -> list[DaySummary]:
        """The newest `count` well-formed days (every one for None), newest first; `full`: each
        with every `SHOWN` field of its picks (the feed's), not only their titles."""
        while True:
            while self._todo and (count is None or len(self._read) < count):
                self._next()
            titles_only = [n for n, day in enumerate(self._read[:count]) if day.titles_only]
            if not full or not titles_only:
                return self._read[:count]
            self._read_again(titles_only[0])

    def newest_current(self) -> DaySummary | None:
        """The newest day that is not in the future: the one `latest.*` copies."""
        number = 0
        while True:
            while number == len(self._read) and self._todo:
                self._next()
            if number == len(self._read):
                return None
            day = self._read[number]
            if not is_future(dt.date.fromisoformat(day.date)):
                return day
            number += 1

    def index_text(self) -> str | None:
        """The site's index as it should now be written, or None when it is unchanged (or not
        kept by this run)."""
        if self._index is None or not self._index.changed:
            return None
        return self._index.to_text(self._full_days)

    def _name(self, path: Path) -> str:
        return path.relative_to(self._out_dir).as_posix()

    def _next(self) -> None:
        named, path = self._todo.pop()
        stamp: Stamp | None
        try:
            stamp = stamp_of(path)  # before reading: a file replaced meanwhile is read next run
        except OSError:
            stamp = None
        summary = self._summary(named, path, stamp)
        if summary is not None:
            self._read.append(summary)
            self._where.append((named, path, stamp))

    def _read_again(self, number: int) -> None:
        """Day `number` read from its file: the index kept only its picks' titles."""
        summary = self._from_file(*self._where[number])
        if summary is None:
            del self._read[number], self._where[number]
        else:
            self._read[number] = summary

    def _summary(self, named: str, path: Path, stamp: Stamp | None) -> DaySummary | None:
        known = self._known
        if known is None or path != known[0] or known[1].get("date") != named:
            index = self._index
            kept = (index.get(self._name(path), path, stamp)
                    if index is not None and stamp is not None else None)
            if kept is not None and kept.date == named and _calendar_date(named):
                return kept
            return self._from_file(named, path, stamp)
        summary = summarize(known[1])
        self._record(path, stamp, summary)
        return summary

    def _from_file(self, named: str, path: Path, stamp: Stamp | None) -> DaySummary | None:
        try:
            summary = summarize(day_files.read_day(path, named))
        except day_files.NotADay as err:
            self._warn(f"left {path} out of the site: {err}")
            if self._index is not None:
                self._index.drop(self._name(path))
            return None
        self._record(path, stamp, summary)
        return summary

    def _record(self, path: Path, stamp: Stamp | None, summary: DaySummary) -> None:
        if self._index is None:
            return
        if stamp is None:
            self._index.drop(self._name(path))
        else:
            self._index.put(self._name(path), path, stamp, summary)


def _calendar_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
