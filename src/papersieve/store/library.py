"""A researcher's library as positive examples of one profile (`import-likes`, migration 7).

Each row keeps the entry's own title and abstract, so it teaches the local judge whether or not
the store holds the paper (most of a library is older than anything papersieve fetched).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from papersieve.store.db import Store, utcnow


@dataclass(frozen=True)
class LibraryExample:
    """One paper of a library: what it says, and when it was added to the library."""

    key: str
    """The arXiv id, else the DOI, else the normalised title: one row per paper and profile."""
    title: str
    abstract: str = ""
    paper_id: str = ""
    """The version-less arXiv id when the entry names one, else ''."""
    added: str = ""
    """When the researcher added it (ISO date or timestamp), '' when the export does not say."""
    source: str = "bibtex"
    note: str = ""


def save_examples(store: Store, profile: str, examples: Iterable[LibraryExample]) -> int:
    """Insert or refresh the profile's examples (one row per key) in one transaction; returns how
    many were new."""
    now = utcnow()
    new = 0
    with store.transaction() as conn:
        for ex in examples:
            cursor = conn.execute(
                "INSERT INTO library_examples (profile, key, paper_id, title, abstract, added,"
                " source, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (profile, key) DO NOTHING",
                (profile, ex.key, ex.paper_id, ex.title, ex.abstract, ex.added or now, ex.source,
                 ex.note, now))
            if cursor.rowcount:
                new += 1
                continue
            # A second import of the same paper keeps its first date and fills in what was missing.
            conn.execute(
                "UPDATE library_examples SET title = ?, abstract = CASE WHEN ? != '' THEN ?"
                " ELSE abstract END, paper_id = CASE WHEN ? != '' THEN ? ELSE paper_id END,"
                " note = ? WHERE profile = ? AND key = ?",
                (ex.title, ex.abstract, ex.abstract, ex.paper_id, ex.paper_id, ex.note, profile,
                 ex.key))
    return new


def library_examples(store: Store, profile: str) -> list[LibraryExample]:
    """The profile's library, newest addition first."""
    rows = store.conn.execute(
        "SELECT key, title, abstract, paper_id, added, source, note FROM library_examples"
        " WHERE profile = ? ORDER BY added DESC, id DESC", (profile,)).fetchall()
    return [LibraryExample(r["key"], r["title"], r["abstract"], r["paper_id"], r["added"],
                           r["source"], r["note"]) for r in rows]


def library_size(store: Store, profile: str) -> int:
    """How many examples the profile's library holds."""
    row = store.conn.execute("SELECT COUNT(*) FROM library_examples WHERE profile = ?",
                             (profile,)).fetchone()
    return int(row[0])
