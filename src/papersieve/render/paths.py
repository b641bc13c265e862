"""Where each output of a day goes: `YYYY-MM/YYYY-MM-DD.{md,json,html}` plus `latest.*`.

The output folder is the static site: `index.html` (archive by month), `YYYY-MM/index.html`
(the days of a month), `feed.atom`, the dated files and the `latest.*` copies.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

EXTENSIONS = {"markdown": "md", "json": "json", "html": "html"}
FEED_NAME = "feed.atom"
INDEX_NAME = "index.html"
_DAY_FILE = re.compile(r"^(\d{4}-\d{2})/(\d{4}-\d{2}-\d{2})\.json$")


def month_dir(out_dir: Path, date: dt.date) -> Path:
    """The folder of a month: `YYYY-MM`."""
    return out_dir / f"{date:%Y-%m}"


def dated_path(out_dir: Path, date: dt.date, ext: str) -> Path:
    """`out/YYYY-MM/YYYY-MM-DD.<ext>`."""
    return month_dir(out_dir, date) / f"{date.isoformat()}.{ext}"


def latest_path(out_dir: Path, ext: str) -> Path:
    """`out/latest.<ext>`: a copy of the newest day."""
    return out_dir / f"latest.{ext}"


def relative_day_link(date: dt.date, ext: str = "html") -> str:
    """A day's page relative to the site root."""
    return f"{date:%Y-%m}/{date.isoformat()}.{ext}"


def day_json_files(out_dir: Path) -> list[tuple[dt.date, Path]]:
    """Every day's JSON in the output folder, newest first."""
    found = []
    for path in out_dir.glob("*/*.json"):
        match = _DAY_FILE.match(path.relative_to(out_dir).as_posix())
        if match and match.group(2).startswith(match.group(1)):
            found.append((dt.date.fromisoformat(match.group(2)), path))
    return sorted(found, reverse=True)
