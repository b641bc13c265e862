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
    without it every day needed is read from its file and the index is left as it is."""

    def __init__(self, out_dir: Path, warn: Warn, known: tuple[Path, dict[str, Any]] | None = None,
                 indexed: bool = False) -> None:
        self._out_dir = out_dir
        self._warn = warn
        self._known = known
        self._read: list[DaySummary] = []
        # The newest last, taken first.
        self._todo = day_files.day_file_names(out_dir)
        self._index = SiteIndex.load(out_dir / SITE_INDEX_NAME) if indexed else None
        if self._index is not None:
            self._index.keep_only({self._name(path) for _, path in self._todo})

    def newest(self, count: int | None = None) -> list[DaySummary]:
        """The newest `count` well-formed days (every one for None), newest first."""
        while self._todo and (count is None or len(self._read) < count):
            self._next()
        return self._read[:count]

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

    def index_bytes(self) -> bytes | None:
        """The site's index as it should now be written, or None when it is unchanged (or not
        kept by this run)."""
        if self._index is None or not self._index.changed:
            return None
        return self._index.to_bytes()

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

    def _summary(self, named: str, path: Path, stamp: Stamp | None) -> DaySummary | None:
        index, name = self._index, self._name(path)
        known = self._known
        if known is not None and path == known[0] and known[1].get("date") == named:
            summary = summarize(known[1])
        else:
            kept = index.get(name, path, stamp) if index is not None and stamp is not None else None
            if kept is not None and kept.date == named and _calendar_date(named):
                return kept
            try:
                summary = summarize(day_files.read_day(path, named))
            except day_files.NotADay as err:
                self._warn(f"left {path} out of the site: {err}")
                if index is not None:
                    index.drop(name)
                return None
        if index is not None:
            if stamp is None:
                index.drop(name)
            else:
                index.put(name, path, stamp, summary)
        return summary


def _calendar_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
