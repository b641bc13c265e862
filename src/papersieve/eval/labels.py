"""Labelled days for `papersieve eval`: candidate files and the picks file, read at the edge."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papersieve import localfiles
from papersieve.errors import ConfigError
from papersieve.ids import ArxivIdError, parse_arxiv_id
from papersieve.models import Paper
from papersieve.sources.jsonl import file_date, paper_from_record, read_records


@dataclass(frozen=True)
class Label:
    """One pick of one day, with the LLM's scores when known."""

    paper_id: str
    relevance: float | None
    novelty: float | None
    comment: str


def load_days(folder: Path) -> list[tuple[dt.date, list[Paper]]]:
    """Candidates per listing date (files `arxiv-YYYY-MM-DD-*.jsonl`), in date order, deduplicated."""
    if not folder.is_dir():
        raise ConfigError("candidates folder does not exist", path=str(folder))
    per_day: dict[dt.date, dict[str, Paper]] = defaultdict(dict)
    for path in sorted(folder.glob("arxiv-*.jsonl")):
        date = file_date(path)
        if date is None:
            continue
        for record in read_records(path):
            paper = paper_from_record(record)
            per_day[date].setdefault(paper.id, paper)
    if not per_day:
        raise ConfigError("no candidate files named arxiv-YYYY-MM-DD-*.jsonl", path=str(folder))
    return [(date, list(per_day[date].values())) for date in sorted(per_day)]


class LabelBook:
    """The picks file, handed out one day at a time and never ahead of the replay.

    `reveal(date)` gives a day's picks only after every earlier day was revealed and only once
    the replay has moved to that day: a judge cannot be shown a day's labels before judging it.
    """

    def __init__(self, path: Path) -> None:
        self._by_day: dict[str, dict[str, Label]] = defaultdict(dict)
        self.revealed: list[str] = []
        try:
            lines = localfiles.read_text(path).splitlines()
        except OSError as err:
            raise ConfigError(f"cannot read labels ({err.strerror})", path=str(path)) from err
        except UnicodeDecodeError as err:
            raise ConfigError("cannot read labels (not UTF-8 text)", path=str(path)) from err
        for number, line in enumerate(lines, start=1):
            if line.strip():
                self._add(_parse(line, number, path))

    def _add(self, item: tuple[str, Label]) -> None:
        date, label = item
        self._by_day[date][label.paper_id] = label

    def dates(self) -> set[str]:
        """Days that have at least one label."""
        return set(self._by_day)

    def reveal(self, date: dt.date) -> dict[str, Label]:
        """The picks of `date`; refuses to go back to an earlier day than one already revealed."""
        key = date.isoformat()
        if self.revealed and key < self.revealed[-1]:
            raise ConfigError(f"labels of {key} asked for after {self.revealed[-1]}")
        if not self.revealed or self.revealed[-1] != key:
            self.revealed.append(key)
        return dict(self._by_day.get(key, {}))


def coverage(days: Sequence[tuple[dt.date, Sequence[Paper]]], book: LabelBook,
             where: Path, labels: Path) -> tuple[list[str], list[str]]:
    """(labelled days with no candidate file, candidate days with no label); an error when no
    labelled day has candidates (or no label at all), as nothing could then be measured."""
    listed = {date.isoformat() for date, _ in days}
    labelled = book.dates()
    if not labelled:
        raise ConfigError("no label in it (JSON lines with at least date and id)", path=str(labels))
    if not labelled & listed:
        raise ConfigError(f"no labelled day has a candidate file in {where} (labels"
                          f" {min(labelled)} to {max(labelled)}, candidates {min(listed)} to"
                          f" {max(listed)})", path=str(labels))
    return sorted(labelled - listed), sorted(listed - labelled)


def _parse(line: str, number: int, path: Path) -> tuple[str, Label]:
    try:
        record: Any = json.loads(line)
        date = dt.date.fromisoformat(str(record["date"])).isoformat()
        paper_id = parse_arxiv_id(str(record["id"])).id
    except RecursionError as err:  # 100k nested brackets
        raise ConfigError(f"line {number} is nested too deeply to be a label", path=str(path)) from err
    except (ValueError, KeyError, TypeError, ArxivIdError) as err:
        raise ConfigError(f"line {number} needs a date and an id ({err})", path=str(path)) from err
    return date, Label(paper_id, _number(record.get("relevance")), _number(record.get("novelty")),
                       str(record.get("comment") or ""))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer of 400 digits is no score
        return None
