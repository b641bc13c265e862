"""Full-text search (FTS5) over every paper ever fetched, with the search form's filters."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from papersieve.store.db import Store
from papersieve.web.queries import (
    LATEST_LABEL,
    SearchFilters,
    SearchHit,
    SearchResults,
    day_outcomes,
    item_from_row,
)

# FTS5 marks matches with these two characters; they are turned into <mark> after escaping.
_OPEN, _CLOSE = "\x02", "\x03"
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: each word or "quoted phrase" a literal, all required.

    Every term is quoted, so FTS5 operators and punctuation typed by the user cannot break the
    query; a trailing `*` keeps its meaning of a prefix search.
    """
    terms = []
    for phrase, word in _TOKEN.findall(text):
        raw = phrase if phrase else word
        prefix = bool(word) and raw.endswith("*") and len(raw) > 1
        raw = raw.rstrip("*") if prefix else raw
        cleaned = raw.replace('"', " ").strip()
        if cleaned:
            terms.append(f'"{cleaned}"' + ("*" if prefix else ""))
    return " ".join(terms)


def marked(text: str) -> Markup:
    """Escape paper text, then turn FTS5's match marks into <mark> elements."""
    escaped = str(escape(text))
    return Markup(escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, clause: str, *params: object) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def sql(self) -> str:
        return (" AND " + " AND ".join(self.clauses)) if self.clauses else ""


def _filters(f: SearchFilters) -> _Where:
    where = _Where()
    if f.date_from or f.date_to:
        where.add(
            "EXISTS (SELECT 1 FROM listing_entries e JOIN listings l ON l.id = e.listing_id"
            " WHERE e.paper_id = p.id AND COALESCE(l.date, l.requested_date) BETWEEN ? AND ?)",
            f.date_from.isoformat() if f.date_from else "0000-01-01",
            f.date_to.isoformat() if f.date_to else "9999-12-31",
        )
    if f.category:
        where.add("EXISTS (SELECT 1 FROM json_each(p.categories) WHERE value = ?)", f.category)
    if f.judged:
        where.add("EXISTS (SELECT 1 FROM judgements j WHERE j.paper_id = p.id AND j.outcome = 'judged')")
    if f.picked:
        where.add("EXISTS (SELECT 1 FROM run_candidates c WHERE c.paper_id = p.id AND c.picked = 1)")
    if f.liked:
        where.add(f"{LATEST_LABEL.format(col='p.id')} = 1")
    return where


def search(store: Store, f: SearchFilters) -> SearchResults:
    """One page of matches (best first with text, newest first without) and the total count."""
    where = _filters(f)
    query = fts_query(f.text)
    label = LATEST_LABEL.format(col="p.id")
    if query:
        base = "FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid WHERE papers_fts MATCH ?"
        params: list[object] = [query, *where.params]
        select = (
            f"SELECT p.*, {label} AS label, highlight(papers_fts, 0, char(2), char(3)) AS t_marked,"
            " snippet(papers_fts, 1, char(2), char(3), '…', 40) AS s_marked "
        )
        order = " ORDER BY bm25(papers_fts, 10.0, 1.0, 3.0), p.id"
    else:
        base = "FROM papers p WHERE 1"
        params = list(where.params)
        select = f"SELECT p.*, {label} AS label, p.title AS t_marked, p.abstract AS s_marked "
        order = " ORDER BY COALESCE(p.first_listed, '') DESC, p.id DESC"
    offset = (max(f.page, 1) - 1) * f.per_page
    try:
        total = int(store.conn.execute(f"SELECT COUNT(*) {base}{where.sql()}", params).fetchone()[0])
        rows = store.conn.execute(
            f"{select}{base}{where.sql()}{order} LIMIT ? OFFSET ?", [*params, f.per_page, offset]
        ).fetchall()
    except sqlite3.OperationalError as err:
        return SearchResults((), 0, f, error=f"cannot search for {f.text!r}: {err}")
    days = day_outcomes(store, [r["id"] for r in rows])
    hits = tuple(
        SearchHit(
            item=item_from_row(r),
            title_marked=r["t_marked"],
            snippet_marked=r["s_marked"] if query else _shorten(r["s_marked"]),
            days=tuple(days[r["id"]]),
        )
        for r in rows
    )
    return SearchResults(hits, total, f)


def _shorten(text: str, limit: int = 320) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
