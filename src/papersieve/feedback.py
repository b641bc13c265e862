"""Feedback: liked and disliked papers, BibTeX / Zotero imports; each change retrains the local judge."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from papersieve.errors import ConfigError
from papersieve.ids import ArxivIdError, parse_paper_id
from papersieve.judges.local import TrainReport, retrain
from papersieve.library import Entry, example_key, read_library
from papersieve.models import Paper
from papersieve.profile.loader import Profile, load_profile
from papersieve.store.db import Store
from papersieve.store.feedback import FeedbackRow, add_feedback, current_feedback
from papersieve.store.library import LibraryExample, save_examples
from papersieve.store.papers import get_papers, stored_ids
from papersieve.store.search_index import rebuild_search_index

SOURCES = ("cli", "web", "bibtex", "teach", "telegram", "slack")


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
    """What one library import did."""

    entries: int
    matched: tuple[str, ...]
    """Ids of the stored papers the entries name (their stored text teaches)."""
    unmatched: tuple[str, ...] = ()
    """Titles (or keys) of entries the store holds no paper for: their own title and abstract
    teach."""
    train: TrainReport | None = None
    by: dict[str, int] = field(default_factory=dict)
    """How the matched entries were found: eprint/url/doi/title/search."""
    examples: int = 0
    """Entries kept as the profile's library examples (all with a title)."""
    new: int = 0
    """Of those, the ones the profile's library did not hold yet."""
    without_text: tuple[str, ...] = ()
    """Entries with no title (nothing to learn from)."""
    looked_up: int = 0
    """Abstracts fetched from the arXiv API for entries that had none."""
    format: str = "bibtex"
    profile: str = "default"
    lookup_note: str = ""
    """Why abstracts were not looked up (offline, the API failed), '' when they were or none was missing."""


def record_feedback(store: Store, paper_ids: list[str] | tuple[str, ...], label: int,
                    source: str = "cli", profile: Profile | None = None,
                    note: str = "", profile_name: str | None = None) -> FeedbackResult:
    """Validate ids, record the label (+1 like, -1 dislike, 0 withdraw) for one profile and
    retrain its local judge.

    The profile is `profile` (default: the user's); `profile_name` alone records for a profile
    this process cannot load (a web page of another profile): its next run retrains it.
    """
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
    if profile is None and profile_name is None:
        profile = load_profile()
    name = profile.name if profile is not None else str(profile_name)
    add_feedback(store, ids, label, source, note, profile=name)
    known = stored_ids(store, ids)
    report = retrain(store, profile) if profile is not None else None
    return FeedbackResult(ids, label, report, tuple(i for i in ids if i not in known))


def list_feedback(store: Store, profile: str = "default") -> list[FeedbackRow]:
    """The profile's current feedback per paper, newest first (withdrawn ones left out)."""
    return [row for row in current_feedback(store, profile) if row.label != 0]


def normalise_title(title: str) -> str:
    """Lower case, TeX braces and commands, punctuation and spacing removed."""
    title = re.sub(r"\\[a-zA-Z]+\s*", " ", title)
    title = re.sub(r"[^0-9a-z]+", " ", title.lower())
    return " ".join(title.split())


def _match_title(store: Store, title: str) -> tuple[str, str] | None:
    wanted = normalise_title(title)
    if not wanted:
        return None
    words = [w for w in wanted.split() if len(w) > 2][:12]
    if not words:
        return None
    if store.postgres:  # the papers' tsvector, title words weighted A (store/pgschema.py)
        terms = " & ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "':A" for w in words)
        rows = store.conn.execute(
            "SELECT p.id, p.title FROM papers p JOIN papers_data d ON d.pk = p.pk"
            " CROSS JOIN to_tsquery('papersieve', ?) AS q(q) WHERE d.fts @@ q.q"
            " ORDER BY ts_rank(d.fts, q.q) DESC, p.pk LIMIT 20", (terms,)).fetchall()
    else:
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


def import_likes(store: Store, path: Path | str, profile: Profile | None = None,
                 lookup: AbstractLookup | None = None) -> ImportReport:
    """Keep every entry of a library export (BibTeX, CSL-JSON, Zotero RDF) as a positive example
    of the profile, with its own title and abstract, whether or not the store holds the paper;
    `lookup` fills in missing abstracts of arXiv papers (the arXiv API)."""
    entries, kind = read_library(Path(path))
    return teach_library(store, entries, kind, profile or load_profile(), Path(path).name, lookup)


AbstractLookup = Callable[[list[str]], tuple[dict[str, Paper], str]]
"""arXiv ids -> (papers found, a note when the lookup could not be done or failed)."""


def teach_library(store: Store, entries: list[Entry], kind: str, profile: Profile, note: str,
                  lookup: AbstractLookup | None = None) -> ImportReport:
    """Store `entries` as the profile's library examples and retrain its local judge."""
    matched: list[str] = []
    unmatched: list[str] = []
    by: dict[str, int] = {}
    examples: list[LibraryExample] = []
    if any(not entry.arxiv_id and entry.title for entry in entries):
        # A title is looked up through the word search index: built again where the store
        # keeps none (`[store] search_index = false`, store/search_index.py).
        rebuild_search_index(store)
    resolved = [_resolve(store, entry) for entry in entries]
    missing = [e.arxiv_id for e in resolved if e.arxiv_id and not e.abstract]
    held = get_papers(store, [e.arxiv_id for e in resolved if e.arxiv_id])
    fetched, lookup_note = lookup([i for i in missing if i not in held]) if (
        lookup and any(i not in held for i in missing)) else ({}, "")
    known = {**fetched, **held}
    for entry in resolved:
        paper = known.get(entry.arxiv_id)
        if not entry.title and paper is None:
            continue
        if entry.arxiv_id in held:
            matched.append(entry.arxiv_id)
            by[entry.found_by] = by.get(entry.found_by, 0) + 1
        else:
            unmatched.append(entry.title or entry.key or "?")
        examples.append(LibraryExample(
            example_key(entry), entry.title or (paper.title if paper else ""),
            entry.abstract or (paper.abstract if paper else ""), entry.arxiv_id, entry.added,
            kind, note))
    new = save_examples(store, profile.name, examples)
    report = retrain(store, profile) if examples else None
    return ImportReport(
        len(entries), tuple(dict.fromkeys(matched)), tuple(unmatched), report, by,
        examples=len(examples), new=new, looked_up=len(fetched), format=kind,
        without_text=tuple(e.key or "?" for e in resolved if not e.title and e.arxiv_id not in known),
        profile=profile.name, lookup_note=lookup_note)


def _resolve(store: Store, entry: Entry) -> Entry:
    """The entry with the arXiv id of the stored paper of the same title when it names none."""
    if entry.arxiv_id or not entry.title:
        return entry
    found = _match_title(store, entry.title)
    return replace(entry, arxiv_id=found[0], found_by=found[1]) if found else entry
