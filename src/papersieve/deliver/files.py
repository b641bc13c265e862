"""Write a day's outputs and refresh the static site (archive, month pages, latest, Atom feed).

The day's JSON is always written (unless no format is asked for at all): the archive pages and
the feed are rebuilt from the JSON files in the output folder, so the folder alone (e.g. on a git
branch) is the whole site. What they show of each day is kept in the site's index beside them
(`site-index.json`, render/site_index.py), which follows the day files and is read instead of them.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from papersieve.errors import DeliveryError
from papersieve.models import Digest
from papersieve.redact import current
from papersieve.render.atom import render_atom
from papersieve.render.day_files import Warn, read_latest
from papersieve.render.day_summary import DaySummary
from papersieve.render.html import (
    KATEX,
    katex_files,
    render_day_html,
    render_group_index_html,
    render_index_html,
    render_month_html,
)
from papersieve.render.json_out import digest_dict, render_json_utf8
from papersieve.render.markdown import render_markdown
from papersieve.render.paths import (
    FEED_NAME,
    INDEX_NAME,
    KATEX_SITE_DIR,
    SITE_INDEX_NAME,
    dated_path,
    latest_path,
    month_dir,
)
from papersieve.render.site_days import SiteDays

FEED_DAYS = 14


def write_outputs(
    digest: Digest, out_dir: Path, formats: Sequence[str] = ("markdown", "json", "html", "atom"),
    site_url: str = "", warn: Warn | None = None,
) -> list[Path]:
    """Write the day's files (dated and, if it is the newest day, `latest.*`); returns the paths.

    A malformed day file of the folder is left out of the site and named to `warn`.
    """
    try:
        return _write_all(digest, out_dir, formats, site_url, warn or _stderr)
    except OSError as err:
        raise DeliveryError(f"cannot write the outputs to {out_dir}: {err.strerror}") from err


def _stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _write_all(digest: Digest, out_dir: Path, formats: Sequence[str], site_url: str,
               warn: Warn) -> list[Path]:
    if not formats:
        # `formats = []`: no files at all, the store holds the day (a group's member reads it in
        # the web app; the day's JSON alone took ~0.4 s and 4 MB per member and day).
        return []
    day = digest_dict(digest)
    texts: dict[str, str | bytes] = {"json": render_json_utf8(day)}
    if "markdown" in formats:
        texts["md"] = render_markdown(digest)
    if "html" in formats:
        texts["html"] = render_day_html(day)
    written = [write_text(dated_path(out_dir, digest.date, ext), text) for ext, text in texts.items()]
    site = "html" in formats or "atom" in formats
    days = SiteDays(out_dir, warn, known=(written[0], day), indexed=site,
                    full_days=FEED_DAYS if "atom" in formats else 0)
    newest = days.newest_current()
    # A day in the future (a feed that announced 2100-07-02, before that was refused) must not
    # keep `latest.*` on itself for ever.
    if newest is not None and newest.date == day["date"]:
        dated = dict(zip(texts, written, strict=True))
        if "html" in texts:
            texts["html"] = render_day_html(day, root="")
            del dated["html"]  # its links differ: written anew
        written += [copy_file(dated[ext], latest_path(out_dir, ext)) if ext in dated
                    else write_text(latest_path(out_dir, ext), text) for ext, text in texts.items()]
    if "html" in formats:
        written += _write_site(out_dir, days.newest(), digest)
    if "atom" in formats:
        feed = render_atom(days.newest(FEED_DAYS, full=True), digest.profile, site_url)
        written.append(write_text(out_dir / FEED_NAME, feed))
    _write_index(out_dir / SITE_INDEX_NAME, days.index_text(), warn)
    return written


def _write_index(path: Path, index: str | None, warn: Warn) -> None:
    """The site's index, when it changed (not one of the day's outputs: not in their list).
    The site is right without it, so a failure to write it is a warning, not a failed run."""
    if index is None:
        return
    try:
        write_text(path, index)
    except (OSError, UnicodeError) as err:  # a lone surrogate of a hand-edited day: not UTF-8
        reason = err.strerror if isinstance(err, OSError) else "a character UTF-8 cannot hold"
        warn(f"cannot write the site's index {path} ({reason}): the next run reads the day "
             "files again")


def write_group_index(out_dir: Path, names: Sequence[str], warn: Warn | None = None) -> Path:
    """The root page of a group's site (`run --all --out DIR`): one link per member's folder
    with her latest day; the members' own sites are `DIR/<name>/`."""
    members = [(name, read_latest(out_dir / name, warn or _stderr)) for name in sorted(names)
               if (out_dir / name / INDEX_NAME).is_file()]
    try:
        return write_text(out_dir / INDEX_NAME, render_group_index_html(members))
    except OSError as err:
        raise DeliveryError(f"cannot write the group's page to {out_dir}: {err.strerror}") from err


def _write_site(out_dir: Path, days: list[DaySummary], digest: Digest) -> list[Path]:
    month = f"{digest.date:%Y-%m}"
    in_month = [d for d in days if d.date.startswith(month)]
    return [
        write_text(out_dir / INDEX_NAME, render_index_html(days, digest.profile)),
        write_text(month_dir(out_dir, digest.date) / INDEX_NAME, render_month_html(month, in_month)),
        *_copy_katex(out_dir / KATEX_SITE_DIR),
    ]


def _copy_katex(target: Path) -> list[Path]:
    """The site's copy of KaTeX (the day pages render TeX with it), written when it differs."""
    written = []
    for name in katex_files():
        source, copy = KATEX / name, target / name
        data = source.read_bytes()
        if not copy.is_file() or copy.read_bytes() != data:
            copy.parent.mkdir(parents=True, exist_ok=True)
            tmp = copy.with_name(f".{copy.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, copy)
            written.append(copy)
    return written


def copy_file(source: Path, path: Path) -> Path:
    """`path` made the same file as `source` (just written): a hard link, replaced atomically;
    a copy where the file system has no hard links. A group's day wrote each member's 2 MB day
    JSON twice (dated and `latest.json`): 2 GB more to the disk for 1,000 members."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.unlink(missing_ok=True)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str | bytes) -> Path:
    """Write atomically (temporary file + rename), so a reader never sees half a file; every
    output file passes through the redactor here. `text` may be UTF-8 bytes already (a day's
    JSON from orjson): written as they are when no secret is set, else decoded for the
    redactor."""
    redactor = current()
    if isinstance(text, str):
        data = redactor(text).encode("utf-8")
    else:
        data = redactor(text.decode("utf-8")).encode("utf-8") if redactor.active else text
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        # A full disk leaves a partial temporary file that holds the space the next run needs.
        tmp.unlink(missing_ok=True)
        raise
    return path
