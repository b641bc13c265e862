"""Full-text search over every paper ever fetched, with the search form's filters: FTS5 on SQLite,
the papers' tsvector (store/pgschema.py) on PostgreSQL, one query language (web/query_syntax.py)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field, replace

from markupsafe import Markup, escape

from papersieve.codelinks import CODE_HOSTS, has_code
from papersieve.store.db import Store
from papersieve.store.papers import some_unsearchable
from papersieve.store.search_index import search_index_kept
from papersieve.web.guard import is_interrupted
from papersieve.web.queries import (
    LATEST_LABEL,
    SearchFilters,
    SearchHit,
    SearchResults,
    day_outcomes,
    item_from_row,
)
from papersieve.web.query_syntax import (
    ParsedQuery,
    QuerySyntaxError,
    parse_query,
)

# FTS5 marks matches with these two characters; they are turned into <mark> after escaping.
_OPEN, _CLOSE = "\x02", "\x03"

MAX_PAGE = 10**9
"""Highest page number sent to SQLite."""
TOO_EXPENSIVE_SEARCH = ("this search needs more work than the server allows for one request:"
                        " use fewer or longer prefix* words")
NO_INDEX = ("this store keeps no word search index ([store] search_index = false, the GitHub"
            " workflow's): `papersieve db --reindex` builds it; the filters work without it")
SORTS = ("relevance", "date", "score")
"""Result orders: best match first (with words; newest first without), newest first, best
judged (relevance + novelty of the paper's best verdict) first."""


def fts_query(text: str) -> str:
    """The search box's words as an FTS5 query (web/query_syntax.py); categories are filters.

    Raises `QuerySyntaxError` for a search that cannot be read, `SearchTooBroad` past
    too many terms (web/query_syntax.py: MAX_TERMS, MAX_PREFIX_TERMS).
    """
    return parse_query(text).fts()


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


def _filters(f: SearchFilters, parsed: ParsedQuery) -> _Where:
    # Each filter is an IN over a small, indexed set (a day's listings, the picks, the feedback),
    # not a per-paper subquery, so filtering costs the same however many papers the store holds.
    where = _Where()
    if f.date_from or f.date_to:
        # A folded old listing (`[store] compact_after_days`) has no entry rows: its papers are
        # found by their first listing date.
        span = (f.date_from.isoformat() if f.date_from else "0000-01-01",
                f.date_to.isoformat() if f.date_to else "9999-12-31")
        where.add(
            "(p.id IN (SELECT e.paper_id FROM listings l JOIN listing_entries e ON e.listing_id = l.id"
            " WHERE COALESCE(l.date, l.requested_date) BETWEEN ? AND ?)"
            " OR p.first_listed BETWEEN ? AND ?)", *span, *span,
        )
    for category in ([f.category] if f.category else []) + parsed.categories:
        where.add("EXISTS (SELECT 1 FROM json_each(p.categories) WHERE value = ?)", category)
    for category in parsed.not_categories:
        where.add("NOT EXISTS (SELECT 1 FROM json_each(p.categories) WHERE value = ?)", category)
    runs, run_params = _runs_of(f)
    if f.judged:
        where.add("p.id IN (SELECT j.paper_id FROM judgements j WHERE j.outcome = 'judged'"
                  f"{runs.format(col='j.run_id')})", *run_params)
    if f.picked:
        where.add("p.id IN (SELECT c.paper_id FROM run_candidates c WHERE c.picked = 1"
                  f"{runs.format(col='c.run_id')})", *run_params)
    if f.liked:
        where.add(
            "p.id IN (SELECT f.paper_id FROM feedback f WHERE f.profile = ? AND f.label = 1 AND"
            " f.id = (SELECT MAX(g.id) FROM feedback g WHERE g.profile = f.profile AND"
            " g.paper_id = f.paper_id))", f.profile,
        )
    if f.code:  # the flag kept at ingest (migration 12); a row written without one, by its text
        where.add("p.pk IN (SELECT pk FROM papers_data WHERE has_code = 1 UNION ALL SELECT pk FROM"
                  " papers_data WHERE has_code IS NULL AND"
                  " papersieve_has_code(papersieve_unpack(abstract), papersieve_unpack(comment)))")
    return where


def _runs_of(f: SearchFilters) -> tuple[str, list[object]]:
    """An SQL condition on a run id column (`{col}`) keeping the runs of `f.only`'s profiles
    ("" when every run counts), and its parameters."""
    if f.only is None:
        return "", []
    marks = ", ".join("?" * len(f.only))
    return f" AND {{col}} IN (SELECT r.id FROM runs r WHERE r.profile IN ({marks}))", list(f.only)


def _unflagged_code_pks(store: Store) -> list[int]:
    """On PostgreSQL, which cannot call has_code inside a statement: the papers stored without the
    flag (through the `papers` view, or before migration 15) that name a code repository, found by
    has_code over those whose text mentions a code host at all."""
    hosts = "|".join(re.escape(h) for h in CODE_HOSTS)
    rows = store.conn.execute(
        "SELECT pk, abstract, comment FROM papers WHERE pk IN (SELECT pk FROM papers_data WHERE"
        " has_code IS NULL) AND (abstract ~* ? OR comment ~* ?)", (hosts, hosts)).fetchall()
    return [int(r["pk"]) for r in rows if has_code(r["abstract"], r["comment"])]


_FTS_FROM = "FROM papers_fts JOIN papers p ON p.pk = papers_fts.rowid WHERE papers_fts MATCH ?"


def search(store: Store, f: SearchFilters) -> SearchResults:
    """One page of matches in the order asked for, and the total count. A page past the last is
    the last page (`SearchResults.filters.page` says which page was shown)."""
    try:
        parsed = parse_query(f.text)
    except QuerySyntaxError as err:
        return SearchResults((), 0, f, error=str(err))
    query = parsed.tsquery() if store.postgres else parsed.fts()
    # The "with code" filter is the same rule as the badge, as an SQL function of this connection.
    store.conn.create_function("papersieve_has_code", 2, has_code, deterministic=True)
    where = _filters(f, parsed)
    try:
        if store.postgres:
            if f.code:
                where.clauses[-1] = ("(p.pk IN (SELECT pk FROM papers_data WHERE has_code = 1)"
                                     " OR p.pk = ANY(?))")
                where.params = [*where.params, _unflagged_code_pks(store)]
            total, keys, f = _page_keys_pg(store, query, where, f)
            rows = _page_rows_pg(store, query, keys, f.profile)
        else:
            total, keys, f = _page_keys(store, query, where, f)
            if query and not total and not search_index_kept(store):  # an emptied index finds
                return SearchResults((), 0, f, error=NO_INDEX)  # nothing (`serve` rebuilds it)
            rows = _page_rows(store, query, keys, f.profile)
    except sqlite3.OperationalError as err:
        if is_interrupted(err):  # the statement used its budget (web/guard.py)
            return SearchResults((), 0, f, error=TOO_EXPENSIVE_SEARCH)
        return SearchResults((), 0, f, error=f"cannot search for {f.text!r}: {err}")
    days = day_outcomes(store, [r["id"] for r in rows], f.only)
    if f.only is not None:
        days = {k: [d for d in v if d.profile in f.only] for k, v in days.items()}
    hits = tuple(
        SearchHit(
            item=item_from_row(r),
            title_marked=r["t_marked"],
            snippet_marked=r["s_marked"] if query else _shorten(r["s_marked"]),
            days=tuple(days[r["id"]]),
        )
        for r in rows
    )
    return SearchResults(hits, total, f, unsearchable=bool(query) and some_unsearchable(store))


_BEST_SCORE = ("(SELECT MAX(COALESCE(j.relevance, 0) + COALESCE(j.novelty, 0)) FROM judgements j"
               " WHERE j.paper_id = p.id AND j.outcome = 'judged')")
_NEWEST = "COALESCE(p.first_listed, '') DESC, p.id DESC"


def _page_keys(
    store: Store, query: str, where: _Where, f: SearchFilters
) -> tuple[int, list[int], SearchFilters]:
    """The number of matches, the row keys of the page to show, in order, and the filters with
    that page's number (clamped to the last page)."""
    key = "p.pk"
    params: list[object]
    by_relevance = f.sort not in ("date", "score")
    if query and not where.clauses and by_relevance:
        # No filter reads `papers`: rank inside the FTS index alone, several times faster.
        base, params, key = "FROM papers_fts WHERE papers_fts MATCH ?", [query], "papers_fts.rowid"
        order = " ORDER BY bm25(papers_fts, 10.0, 1.0, 3.0), papers_fts.rowid"
    elif query:
        base, params = _FTS_FROM, [query, *where.params]
        order = " ORDER BY bm25(papers_fts, 10.0, 1.0, 3.0), p.pk" if by_relevance else ""
    else:
        base, params = "FROM papers p WHERE 1", list(where.params)
        order = ""
    if f.sort == "date" or (not query and f.sort != "score"):
        order = f" ORDER BY {_NEWEST}"
    order_params: list[object] = []
    if f.sort == "score":
        runs, run_params = _runs_of(f)
        best = _BEST_SCORE[:-1] + runs.format(col="j.run_id") + ")"
        order = f" ORDER BY {best} IS NULL, {best} DESC, {_NEWEST}"
        order_params = run_params * 2
    total = int(store.conn.execute(f"SELECT COUNT(*) {base}{where.sql()}", params).fetchone()[0])
    last = max(1, (total + f.per_page - 1) // f.per_page)
    page = min(max(f.page, 1), last, MAX_PAGE)
    if page != f.page:
        f = replace(f, page=page)
    keys = store.conn.execute(
        f"SELECT {key} {base}{where.sql()}{order} LIMIT ? OFFSET ?",
        [*params, *order_params, f.per_page, (page - 1) * f.per_page],
    ).fetchall()
    return total, [int(k[0]) for k in keys], f


def _page_rows(store: Store, query: str, keys: list[int], profile: str) -> list[sqlite3.Row]:
    """The page's papers with the profile's labels and marked title and snippet, in `keys` order.

    Highlights are computed for this page only: in the ranking query they would be computed for
    every match before the sort. The page's keys are a range for FTS5 (one pass over the matches)
    and a plain filter after it (`+rowid`): as a `rowid IN (...)` constraint FTS5 ran the whole
    query again for each key, 50 times 0.1 s for `a* b* c*` on 25k papers.
    """
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    label = LATEST_LABEL.format(col="p.id")
    if query:
        sql = (
            f"SELECT p.*, {label} AS label, highlight(papers_fts, 0, char(2), char(3)) AS t_marked,"
            f" snippet(papers_fts, 1, char(2), char(3), '…', 40) AS s_marked {_FTS_FROM}"
            f" AND papers_fts.rowid BETWEEN ? AND ? AND +papers_fts.rowid IN ({marks})"
        )
        params: list[object] = [profile, query, min(keys), max(keys), *keys]
    else:
        sql = (
            f"SELECT p.*, {label} AS label, p.title AS t_marked, p.abstract AS s_marked"
            f" FROM papers p WHERE p.pk IN ({marks})"
        )
        params = [profile, *keys]
    by_key = {int(r["pk"]): r for r in store.conn.execute(sql, params)}
    return [by_key[k] for k in keys if k in by_key]


_TS = "to_tsquery('papersieve', ?)"
_TS_RANK = "ts_rank('{0.1, 0.1, 0.3, 1.0}', d.fts, q.q)"
"""bm25's column weights on SQLite (title 10, authors 3, abstract 1) as ts_rank's label weights."""
_TS_MARKS = "'StartSel=' || chr(2) || ', StopSel=' || chr(3)"


def _page_keys_pg(
    store: Store, query: str, where: _Where, f: SearchFilters
) -> tuple[int, list[int], SearchFilters]:
    """`_page_keys` on PostgreSQL: the words through the papers' tsvector and its GIN index."""
    by_relevance = f.sort not in ("date", "score")
    params: list[object]
    if query:
        base = (f"FROM papers p JOIN papers_data d ON d.pk = p.pk CROSS JOIN {_TS} AS q(q)"
                " WHERE d.fts @@ q.q AND d.searchable = 1")  # kept text only, as SQLite's index
        params = [query, *where.params]
        order = f" ORDER BY {_TS_RANK} DESC, p.pk" if by_relevance else ""
    else:
        base, params, order = "FROM papers p WHERE true", list(where.params), ""
    if f.sort == "date" or (not query and f.sort != "score"):
        order = f" ORDER BY {_NEWEST}"
    elif f.sort == "score":
        order = f" ORDER BY {_BEST_SCORE} IS NULL, {_BEST_SCORE} DESC, {_NEWEST}"
    total = int(store.conn.execute(f"SELECT COUNT(*) {base}{where.sql()}", params).fetchone()[0])
    last = max(1, (total + f.per_page - 1) // f.per_page)
    page = min(max(f.page, 1), last, MAX_PAGE)
    if page != f.page:
        f = replace(f, page=page)
    keys = store.conn.execute(f"SELECT p.pk {base}{where.sql()}{order} LIMIT ? OFFSET ?",
                              [*params, f.per_page, (page - 1) * f.per_page]).fetchall()
    return total, [int(k[0]) for k in keys], f


def _page_rows_pg(store: Store, query: str, keys: list[int], profile: str) -> list[sqlite3.Row]:
    """`_page_rows` on PostgreSQL: ts_headline marks the title whole and cuts the abstract."""
    if not keys:
        return []
    label = LATEST_LABEL.format(col="p.id")
    if query:
        sql = (f"SELECT p.*, {label} AS label,"
               f" ts_headline('papersieve', p.title, q.q, {_TS_MARKS} || ', HighlightAll=true')"
               " AS t_marked, ts_headline('papersieve', p.abstract, q.q, {_TS_MARKS}"
               " || ', MaxWords=40, MinWords=20') AS s_marked".replace("{_TS_MARKS}", _TS_MARKS)
               + f" FROM papers p CROSS JOIN {_TS} AS q(q) WHERE p.pk = ANY(?)")
        params: list[object] = [profile, query, keys]
    else:
        sql = (f"SELECT p.*, {label} AS label, p.title AS t_marked, p.abstract AS s_marked"
               " FROM papers p WHERE p.pk = ANY(?)")
        params = [profile, keys]
    by_key = {int(r["pk"]): r for r in store.conn.execute(sql, params)}
    return [by_key[k] for k in keys if k in by_key]


def _shorten(text: str, limit: int = 320) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
