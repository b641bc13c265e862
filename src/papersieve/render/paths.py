"""Where each output of a day goes: `YYYY-MM/YYYY-MM-DD.{md,json,html}` plus `latest.*`.

The output folder is the static site: `index.html` (archive by month), `YYYY-MM/index.html`
(the days of a month), `feed.atom`, the dated files and the `latest.*` copies; beside them
`site-index.json`, what the archive and the feed show of each day (render/site_index.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

EXTENSIONS = {"markdown": "md", "json": "json", "html": "html"}
FEED_NAME = "feed.atom"
INDEX_NAME = "index.html"
SITE_INDEX_NAME = "site-index.json"
KATEX_SITE_DIR = "static/katex"
"""Where a site keeps its copy of KaTeX (papersieve/data/katex)."""


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


