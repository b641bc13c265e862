"""Feedback: liked and disliked papers, BibTeX / Zotero imports; each change retrains the local judge."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papersieve.bibtex import read_bibtex
from papersieve.errors import ConfigError
from papersieve.ids import ArxivId, ArxivIdError, find_arxiv_id, parse_arxiv_id, parse_paper_id
from papersieve.judges.local import TrainReport, retrain
from papersieve.profile.loader import Profile, load_profile
from papersieve.store.db import Store
from papersieve.store.feedback import FeedbackRow, add_feedback, current_feedback
from papersieve.store.papers import stored_ids

SOURCES = ("cli", "web", "bibtex", "telegram", "slack")


@dataclass(frozen=True)
class FeedbackResult:
    """What one like / dislike did."""

    recorded: tuple[str, ...]
    label: int
    train: TrainReport | None
    unknown: tuple[str, ...] = ()
    """Valid ids that the store holds no paper for (recorded; they train once the paper is seen)."""


@dataclass(frozen=True)
class ImportReport:
    """What one BibTeX import did."""

    entries: int
    matched: tuple[str, ...]
    unmatched: tuple[str, ...] = ()
    """Titles (or keys) of entries with no arXiv id and no stored paper of that title."""
    train: TrainReport | None = None
    by: dict[str, int] = field(default_factory=dict)
    """How the matched entries were found: eprint/url/doi/title/search."""


def record_feedback(store: Store, paper_ids: list[str] | tuple[str, ...], label: int,
                    source: str = "cli", profile: Profile | None = None,
                    note: str = "") -> FeedbackResult:
    """Validate ids, record the label (+1 like, -1 dislike, 0 withdraw), retrain the local judge."""
    if label not in (-1, 0, 1):
        raise ConfigError(f"feedback label must be +1, -1 or 0, not {label}")
    if source not in SOURCES:
        raise ConfigError(f"unknown feedback source {source!r}")
    if not paper_ids:
        raise ConfigError("no paper id given")
    try:
        ids = tuple(dict.fromkeys(parse_paper_id(text) for text in paper_ids))
    except ArxivIdError as err:
        raise ConfigError(str(err)) from err
    add_feedback(store, ids, label, source, note)
    known = stored_ids(store, ids)
    report = retrain(store, profile or load_profile())
    return FeedbackResult(ids, label, report, tuple(i for i in ids if i not in known))


def list_feedback(store: Store) -> list[FeedbackRow]:
    """The current feedback per paper, newest first (withdrawn ones left out)."""
    return [row for row in current_feedback(store) if row.label != 0]


def normalise_title(title: str) -> str:
    """Lower case, TeX braces and commands, punctuation and spacing removed."""
    title = re.sub(r"\\[a-zA-Z]+\s*", " ", title)
    title = re.sub(r"[^0-9a-z]+", " ", title.lower())
    return " ".join(title.split())


ARXIV_DOI = "10.48550/arxiv."
"""The prefix of arXiv's DataCite DOIs (10.48550/arXiv.2507.00641), matched in any case."""


def _doi_id(value: str) -> ArxivId | None:
    """The arXiv id after an arXiv DOI prefix in `value` (a bare DOI or a doi.org address)."""
    start = value.lower().find(ARXIV_DOI)
    # Slice the text as written: an old-style id's subject class is upper case (math.GT/0309136).
    return find_arxiv_id(value[start + len(ARXIV_DOI):]) if start >= 0 else None


def entry_arxiv_id(entry: dict[str, Any]) -> tuple[str, str] | None:
    """(id, field) from eprint / archiveprefix, doi (10.48550/arXiv.X), url, journal or note."""
    eprint = str(entry.get("eprint", "")).strip()
    prefix = str(entry.get("archiveprefix", entry.get("eprinttype", ""))).lower()
    if eprint and (not prefix or "arxiv" in prefix):
        try:
            return parse_arxiv_id(eprint).id, "eprint"
        except ArxivIdError:
            pass
    found = _doi_id(str(entry.get("doi", "")))
    if found:
        return found.id, "doi"
    for name in ("url", "journal", "note", "howpublished"):
        value = str(entry.get(name, ""))
        if "arxiv" in value.lower():
            found = _doi_id(value) or find_arxiv_id(value)
            if found:
                return found.id, "url" if name == "url" else name
    return None


def _match_title(store: Store, title: str) -> tuple[str, str] | None:
    wanted = normalise_title(title)
    if not wanted:
        return None
    words = [w for w in wanted.split() if len(w) > 2][:12]
    if not words:
        return None
    query = " ".join(f'"{w}"' for w in words)
    rows = store.conn.execute(
        "SELECT p.id, p.title FROM papers_fts f JOIN papers p ON p.pk = f.rowid"
        " WHERE papers_fts MATCH ? ORDER BY rank LIMIT 20", (f"title : ({query})",),
    ).fetchall()
    for row in rows:
        if normalise_title(row["title"]) == wanted:
            return str(row["id"]), "title"
    if rows and len(words) >= 4:
        # Accept a near match (a subtitle, a changed word) only when it shares most words both
        # ways: the top full-text hit alone could be a different paper on the same topic.
        best = max(rows, key=lambda row: title_overlap(wanted, normalise_title(row["title"])))
        if title_overlap(wanted, normalise_title(best["title"])) >= MIN_TITLE_OVERLAP:
            return str(best["id"]), "search"
    return None


MIN_TITLE_OVERLAP = 0.8
"""Least token overlap (Dice coefficient of the word sets) for a fuzzy title match."""


def title_overlap(a: str, b: str) -> float:
    """Dice overlap of two normalised titles' word sets (1.0 for the same words)."""
    left, right = set(a.split()), set(b.split())
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def import_likes(store: Store, path: Path | str, profile: Profile | None = None) -> ImportReport:
    """Record every entry of a BibTeX / Zotero export that names an arXiv paper as liked."""
    entries = read_bibtex(Path(path))
    matched: list[str] = []
    unmatched: list[str] = []
    by: dict[str, int] = {}
    for entry in entries:
        found = entry_arxiv_id(entry) or _match_title(store, str(entry.get("title", "")))
        if found is None:
            unmatched.append(str(entry.get("title") or entry.get("id", "?")))
            continue
        matched.append(found[0])
        by[found[1]] = by.get(found[1], 0) + 1
    unique = list(dict.fromkeys(matched))
    report = None
    if unique:
        add_feedback(store, unique, 1, "bibtex", note=Path(path).name)
        report = retrain(store, profile or load_profile())
    return ImportReport(len(entries), tuple(unique), tuple(unmatched), report, by)
