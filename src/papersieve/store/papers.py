"""Papers and their versions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from papersieve.codelinks import has_code
from papersieve.models import Paper
from papersieve.store.db import Store, utcnow


def upsert_papers(store: Store, papers: Iterable[Paper], listed_on: str | None = None) -> int:
    """Insert or refresh papers (newest version wins) and record their versions; returns count."""
    now = utcnow()
    count = 0
    with store.transaction() as conn:
        for paper in papers:
            _upsert_one(conn, paper, listed_on, now)
            count += 1
    return count


def _upsert_one(conn: sqlite3.Connection, paper: Paper, listed_on: str | None, now: str) -> None:
    row = conn.execute(
        "SELECT latest_version FROM papers_data WHERE id = ?", (paper.id,)
    ).fetchone()
    values = (
        paper.title, paper.abstract, json.dumps(list(paper.authors), ensure_ascii=False),
        json.dumps(list(paper.categories)), paper.primary_category, paper.comment,
        paper.version, paper.content_hash, now, has_code(paper.abstract, paper.comment),
    )
    # Written to the table under the `papers` view; the abstract is compressed inside the
    # statement (store/textpack.py), after the connection has redacted it as text.
    if row is None:
        conn.execute(
            "INSERT INTO papers_data (title, abstract, authors, categories, primary_category,"
            " comment, latest_version, content_hash, updated_at, has_code, id, first_listed)"
            " VALUES (?, papersieve_pack(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, paper.id, listed_on),
        )
    elif paper.version is None or (row["latest_version"] or 0) <= paper.version:
        conn.execute(
            "UPDATE papers_data SET title = ?, abstract = papersieve_pack(?), authors = ?, categories = ?,"
            " primary_category = ?, comment = ?, latest_version = ?, content_hash = ?,"
            " updated_at = ?, has_code = ?, first_listed = COALESCE(first_listed, ?), searchable = 1"
            " WHERE id = ?",
            (*values, listed_on, paper.id),
        )
    if paper.version is not None:
        conn.execute(
            "INSERT OR IGNORE INTO paper_versions (paper_id, version, first_seen) VALUES (?, ?, ?)",
            (paper.id, paper.version, listed_on or now[:10]),
        )


def paper_from_row(row: sqlite3.Row) -> Paper:
    """Rebuild a `Paper` from a `papers` row."""
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        categories=tuple(json.loads(row["categories"])),
        version=row["latest_version"],
        comment=row["comment"],
    )


def some_unsearchable(store: Store) -> bool:
    """Whether the search index leaves any paper out (its text was pruned, migration 12). The
    oldest papers go first, so the scan stops at once when one is."""
    return bool(store.conn.execute(
        "SELECT EXISTS (SELECT 1 FROM papers_data WHERE searchable = 0)").fetchone()[0])


def get_papers(store: Store, ids: Iterable[str]) -> dict[str, Paper]:
    """The stored papers with these ids (missing ids are absent from the result)."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Paper] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.conn.execute(f"SELECT * FROM papers WHERE id IN ({marks})", chunk):
            found[row["id"]] = paper_from_row(row)
    return found


def stored_ids(store: Store, ids: Iterable[str]) -> set[str]:
    """Which of these ids the store holds (a paper row), without reading the rows."""
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(str(r[0]) for r in store.conn.execute(
            f"SELECT id FROM papers WHERE id IN ({marks})", chunk))
    return found


def get_paper(store: Store, paper_id: str) -> Paper | None:
    """One stored paper, or None."""
    return get_papers(store, [paper_id]).get(paper_id)


def paper_versions(store: Store, paper_id: str) -> list[tuple[int, str]]:
    """(version, first seen) pairs of one paper, oldest first."""
    rows = store.conn.execute(
        "SELECT version, first_seen FROM paper_versions WHERE paper_id = ? ORDER BY version",
        (paper_id,),
    )
    return [(int(r["version"]), str(r["first_seen"])) for r in rows]


def count_papers(store: Store) -> int:
    """How many distinct papers the store holds."""
    return int(store.conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])
