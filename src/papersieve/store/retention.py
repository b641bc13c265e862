"""What the store keeps only for a while.

- Raw LLM replies are kept for audit ("what did the model actually say?"); once the day is weeks
  old its parsed verdicts (the judgements table) are what every later step reads. The pruned rows
  keep everything else: tokens, cost, latency, status, which papers the call carried (that list
  compressed).
- The local ranker's older model versions: only the newest is ever loaded, so only it is kept (a
  year's store kept three, 3.2 MB more, that nothing read).
- The local ranker's feature cache of papers that left its training window: retraining reads the
  features of the last 60 label days and of the papers with feedback; a pruned row is recomputed
  if it is ever needed again. With `[store] cache_features = false` (the workflow sets it) the
  whole cache goes after each run, and each retraining recomputes it (bench/RESULTS.md).
- With `[store] keep_text_days` (0: never; the GitHub Actions workflow sets 60), the abstracts of
  papers last listed that many days ago or more (and the papers themselves leave the search
  index: only papers whose text is kept are searchable), unless a profile picked the paper,
  someone gave feedback on it, or the local ranker still caches its features or trains on it
  (the candidates of its label days); and the LLM's comments on those papers. The published
  site keeps every day's JSON with all of it. What is never pruned: the papers' rows and content
  hashes, the LLM's scores, the runs' outcomes (what marks a paper as already judged), so the
  judgement cache and the cross-day "seen before" work as before. Such a paper's title, authors
  and comment are then stored compressed (migration 18): read through the `papers` view as
  before; since issue 16 (a real feed's replacement entries) every paper's are, on SQLite.
  With `keep_text_days` also (issue 16: a real feed's ~175 replacement entries a day), the
  `paper_versions` rows of the papers out of the search (only the web paper page lists them: it
  then shows the newest version alone); and, once their day's listing is folded
  (`compact_after_days`, else `keep_text_days`) and the day is not among the newest 10, the
  papers that the feeds listed only as replacements (revised older papers) and that no run ever
  had as a candidate, nobody gave feedback on, filed or discussed: their rows go, and their
  day's folded listing still names them, so a rerun of the day counts and selects as before.
- With `[store] compact_after_days` (0: never; the workflow sets 7), the rows of the candidates
  that runs of that age did not pick are folded into one compact row per run (`store/folding.py`).
- With `[store] search_index = false` (the workflow's) the word search's index is emptied after
  each run and rebuilt when the store is served (`store/search_index.py`).
- A run recorded before migration 18 with its prompt in its own row has the text moved to
  `prompt_texts`, where each distinct prompt is stored once (`store/prompt_texts.py`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3

from papersieve.models import AnnounceType
from papersieve.store.db import PAGE_SIZE, Store
from papersieve.store.folding import (
    fold_old_listings,
    fold_old_runs,
    folded_entries,
    folded_paper_ids,
    ranker_window_start,
)
from papersieve.store.prompt_texts import move_run_prompts
from papersieve.store.search_index import (
    drop_search_index,
    rebuild_search_index,
    search_index_kept,
)


def prune_raw_replies(store: Store, keep_days: int, now: dt.datetime | None = None) -> int:
    """Empty the raw replies of LLM calls older than `keep_days` days; returns how many.

    `keep_days` 0 keeps them all.
    """
    if keep_days <= 0:
        return 0
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = (moment - dt.timedelta(days=keep_days)).replace(microsecond=0).isoformat()
    with store.transaction() as conn:
        cursor = conn.execute(
            "UPDATE llm_calls SET raw_reply = '' WHERE raw_reply != '' AND created_at < ?", (cutoff,))
        if not store.postgres:  # which compresses long values itself (TOAST)
            # The batch's paper ids, a JSON list of ~360 bytes a call, packed as abstracts are
            # (store/textpack.py: 2.4 -> 0.6 MB in a year's store); llm_calls.py reads both forms.
            conn.execute("UPDATE llm_calls SET paper_ids = papersieve_pack(paper_ids)"
                         " WHERE typeof(paper_ids) = 'text' AND created_at < ?", (cutoff,))
        # When a verdict was written: nothing reads it (a run's date says when it was given),
        # 25 bytes a row; emptied with the raw replies of its age.
        conn.execute("UPDATE judgements SET created_at = '' WHERE created_at != '' AND created_at < ?",
                     (cutoff,))
        return cursor.rowcount


def pack_raw_replies(store: Store) -> int:
    """Compress the raw replies kept for audit where that makes them shorter, as abstracts are
    (store/textpack.py: a year's month of replies 0.58 -> 0.07 MB); llm_calls.py reads both
    forms. SQLite only (PostgreSQL compresses long values itself); returns how many."""
    if store.postgres:
        return 0
    with store.transaction() as conn:
        return conn.execute("UPDATE llm_calls SET raw_reply = papersieve_pack_smaller(raw_reply)"
                            " WHERE typeof(raw_reply) = 'text' AND raw_reply != ''").rowcount


FEATURE_DAYS = 90
"""Features of papers first listed this many days ago or more are dropped (the ranker's label
window is 60 days, `judges/local/training.py`)."""
MODEL_VERSIONS = 1
"""Versions of a profile's local model kept: the newest, the one used (`load_model`)."""


def prune_model_versions(store: Store, keep: int = MODEL_VERSIONS) -> int:
    """Delete all but the newest `keep` versions of every profile's local models."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "DELETE FROM local_models WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER"
            " (PARTITION BY profile, method ORDER BY version DESC) AS newer FROM local_models) AS ranked"
            " WHERE newer > ?)", (keep,))
        return cursor.rowcount


def prune_feature_cache(store: Store, keep_days: int = FEATURE_DAYS, now: dt.datetime | None = None,
                        *, keep: bool = True) -> int:
    """Delete cached features of papers first listed `keep_days` ago or more, without feedback;
    with `keep` False (`[store] cache_features = false`), every cached feature."""
    if not keep:
        with store.transaction() as conn:
            return conn.execute("DELETE FROM local_features").rowcount
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = (moment.date() - dt.timedelta(days=keep_days)).isoformat()
    with store.transaction() as conn:
        cursor = conn.execute(
            "DELETE FROM local_features WHERE paper_id IN (SELECT id FROM papers WHERE"
            " first_listed < ?) AND paper_id NOT IN (SELECT paper_id FROM feedback)", (cutoff,))
        return cursor.rowcount


def prune_old_text(store: Store, keep_days: int, now: dt.datetime | None = None,
                   features_cached: bool = True) -> int:
    """Empty the abstracts that only the site still needs (module docstring); returns how many.

    A paper is kept whole while any listing or run of the last `keep_days` days holds it, so the
    digests of those days rebuild as they were. `keep_days` 0 keeps every abstract. A paper kept
    only for the local ranker (its features are cached, or, without the feature cache
    (`features_cached` False), it is a candidate of the ranker's label days: each retraining
    computes its features from the text) keeps its abstract but leaves the search index, which
    holds the last `keep_days` days, the picks and the papers with feedback.
    """
    if keep_days <= 0:
        return 0
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = (moment.date() - dt.timedelta(days=keep_days)).isoformat()
    ranker = " id IN (SELECT paper_id FROM local_features)" + (
        "" if features_cached else
        " OR id IN (SELECT c.paper_id FROM run_candidates c JOIN runs r ON r.id = c.run_id"
        f" WHERE r.date >= ({ranker_window_start()}))"
        " OR id IN (SELECT id FROM temp.ranker_folded)")
    with store.transaction() as conn:
        # The candidates of label-window runs folded already (`[store] fold_label_window`).
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS ranker_folded (id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.ranker_folded")
        since = str(conn.execute(ranker_window_start()).fetchone()[0] or "")
        if not features_cached and since:
            conn.executemany("INSERT INTO temp.ranker_folded (id) VALUES (?)",
                             [(i,) for i in sorted(folded_paper_ids(store, since))])
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS text_old (id TEXT PRIMARY KEY, ranker INTEGER)")
        conn.execute("DELETE FROM temp.text_old")
        conn.execute(
            f"INSERT INTO temp.text_old SELECT id, CASE WHEN {ranker} THEN 1 ELSE 0 END"
            " FROM papers_data WHERE first_listed < ?1"
            f" AND (searchable = 1 OR (abstract != '' AND NOT ({ranker})))"
            " AND id NOT IN (SELECT paper_id FROM run_candidates WHERE picked = 1)"
            " AND id NOT IN (SELECT paper_id FROM feedback)"
            " AND id NOT IN (SELECT e.paper_id FROM listing_entries e JOIN listings l"
            "  ON l.id = e.listing_id WHERE l.requested_date >= ?1 OR l.date >= ?1)"
            " AND id NOT IN (SELECT c.paper_id FROM run_candidates c JOIN runs r"
            "  ON r.id = c.run_id WHERE r.date >= ?1)", (cutoff,))
        # The update trigger takes the paper out of the search index (migration 12).
        cursor = conn.execute("UPDATE papers_data SET abstract = '', searchable = 0"
                              " WHERE id IN (SELECT id FROM temp.text_old WHERE ranker = 0)")
        conn.execute("UPDATE papers_data SET searchable = 0 WHERE searchable = 1"
                     " AND id IN (SELECT id FROM temp.text_old WHERE ranker = 1)")
        conn.execute(
            "UPDATE judgements SET comment = '' WHERE comment != ''"
            " AND paper_id IN (SELECT id FROM temp.text_old WHERE ranker = 0)")
        conn.execute("DELETE FROM temp.text_old")
        conn.execute("DELETE FROM temp.ranker_folded")
        emptied = cursor.rowcount
        # When a paper's row was last written: nothing reads it (25 bytes a row, 1.5 MB of a
        # year's store); a paper out of the search's days keeps it empty until listed again.
        conn.execute("UPDATE papers_data SET updated_at = '' WHERE searchable = 0 AND updated_at != ''")
        if not store.postgres:  # which compresses long values itself (TOAST)
            # The rest of each row's text is packed as its abstract is (migration 18; the
            # `papers` view unpacks it, and the search index reads it through the view): first
            # only out of the index and without the abstract, since issue 16's replacement
            # entries every row (1.9 MB of a year's store); a feed listing it again writes text.
            conn.execute(
                "UPDATE papers_data SET title = papersieve_pack_smaller(title),"
                " authors = papersieve_pack_smaller(authors), comment = papersieve_pack_smaller(comment)"
                " WHERE typeof(title) = 'text' AND title != ''")
        return emptied


def prune_old_versions(store: Store) -> int:
    """Delete the version rows of the papers out of the search (`searchable = 0`: their text was
    pruned, `prune_old_text`); returns how many. Only the web paper page lists a paper's versions
    (it then shows the newest, `papers.latest_version`); a feed listing the paper again records
    the version it lists."""
    with store.transaction() as conn:
        return conn.execute("DELETE FROM paper_versions WHERE paper_id IN"
                            " (SELECT id FROM papers_data WHERE searchable = 0)").rowcount


REPLACED = frozenset({AnnounceType.REPLACE.value, AnnounceType.REPLACE_CROSS.value})
DROPPED_BEFORE = "replaced_dropped_before"
"""`store_state` key: the papers first listed before this date were looked at by
`drop_replaced_only` already (each run looks only at the days that crossed its cutoff)."""
NEWEST_DAYS_KEPT = 10
"""The newest listing days (first listing dates) whose papers are never dropped: the local
ranker's cold start pools the papers of up to `pool_days` of them (5 in the shipped lexicon,
`judges/local/features/earlier.py`)."""
_UNTOUCHED = "".join(
    f" AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.paper_id = papers_data.id)"
    for table in ("listing_entries", "run_candidates", "judgements", "feedback", "collection_papers",
                  "library_examples", "chat_messages", "local_features", "embeddings"))


def drop_replaced_only(store: Store, keep_days: int, now: dt.datetime | None = None) -> int:
    """Delete the papers first listed `keep_days` days ago or more (and not on the newest
    `NEWEST_DAYS_KEPT` listing days) that every listing of that day listed as a replacement only
    (revised older papers) and that nothing else holds: no run's candidate (folded or not), no
    verdict, feedback, collection, library example, chat message, cached feature, unfolded
    listing; with their version rows. Returns how many. Their day's folded listing still names
    them: a rerun counts its entries as before (`store/listings.py` stands an empty paper in
    for each). `keep_days` 0 keeps them."""
    if keep_days <= 0:
        return 0
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = (moment.date() - dt.timedelta(days=keep_days)).isoformat()
    newest = store.conn.execute(
        "SELECT MIN(d) FROM (SELECT DISTINCT first_listed AS d FROM papers_data WHERE first_listed"
        f" IS NOT NULL ORDER BY d DESC LIMIT {NEWEST_DAYS_KEPT}) AS newest").fetchone()[0]
    if newest is None:
        return 0
    cutoff = min(cutoff, str(newest))
    row = store.conn.execute("SELECT value FROM store_state WHERE key = ?", (DROPPED_BEFORE,)).fetchone()
    since = str(row[0]) if row is not None else ""
    if since >= cutoff:
        return 0
    days = [str(r[0]) for r in store.conn.execute(
        "SELECT DISTINCT first_listed FROM papers_data WHERE first_listed >= ? AND first_listed < ?"
        " ORDER BY 1", (since, cutoff)).fetchall()]
    dropped = sum(_drop_day(store, day) for day in days)
    with store.transaction() as conn:
        conn.execute("INSERT INTO store_state (key, value) VALUES (?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (DROPPED_BEFORE, cutoff))
    return dropped


def _drop_day(store: Store, day: str) -> int:
    """`drop_replaced_only` for the papers first listed on `day`."""
    listings = store.conn.execute("SELECT id, requested_date FROM listings"
                                  " WHERE COALESCE(date, requested_date) = ?", (day,)).fetchall()
    replaced: dict[str, bool] = {}
    for listing_id, _ in listings:
        entries = [(str(r[0]), str(r[1])) for r in store.conn.execute(
            "SELECT paper_id, announce_type FROM listing_entries WHERE listing_id = ?", (listing_id,))]
        entries += [(paper_id, kind) for _, paper_id, _, kind in folded_entries(store, int(listing_id))]
        for paper_id, kind in entries:
            replaced[paper_id] = replaced.get(paper_id, True) and kind in REPLACED
    only = {paper_id for paper_id, yes in replaced.items() if yes}
    for run_day in {day, *(str(r[1]) for r in listings)}:  # a run reads its requested date
        only -= folded_paper_ids(store, run_day, date=run_day)
    if not only:
        return 0
    with store.transaction() as conn:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS replaced_only (id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.replaced_only")
        conn.executemany("INSERT INTO temp.replaced_only (id) VALUES (?)", [(i,) for i in sorted(only)])
        conn.execute("DELETE FROM temp.replaced_only WHERE id NOT IN (SELECT id FROM papers_data"
                     f" WHERE id IN (SELECT id FROM temp.replaced_only) AND first_listed = ?{_UNTOUCHED})",
                     (day,))
        conn.execute("DELETE FROM paper_versions WHERE paper_id IN (SELECT id FROM temp.replaced_only)")
        # Its vector for the web app's similar papers goes with it (ON DELETE CASCADE), and on
        # SQLite its entry of the search index (trigger papers_data_ad).
        cursor = conn.execute("DELETE FROM papers_data WHERE id IN (SELECT id FROM temp.replaced_only)")
        conn.execute("DELETE FROM temp.replaced_only")
        return cursor.rowcount


def prune_store(store: Store, keep_raw_days: int, now: dt.datetime | None = None, *,
                keep_text_days: int = 0, compact_after_days: int = 0,
                cache_features: bool = True, search_index: bool = True,
                fold_label_window: bool = False) -> dict[str, int]:
    """Every pruning above, the folding of old runs (`store/folding.py`), the search index
    emptied or rebuilt as `search_index` says (`store/search_index.py`), then the freed pages
    given back (a store made with auto_vacuum, `store/db.py`); returns how many rows each
    touched."""
    counts = {
        "raw replies": prune_raw_replies(store, keep_raw_days, now),
        "raw replies packed": pack_raw_replies(store),
        "run prompts stored once": move_run_prompts(store),
        "model versions": prune_model_versions(store),
        "cached features": prune_feature_cache(store, now=now, keep=cache_features),
        "abstracts": prune_old_text(store, keep_text_days, now, features_cached=cache_features),
        "folded candidates": fold_old_runs(store, compact_after_days, now,
                                           label_window=fold_label_window),
        "folded listing entries": fold_old_listings(store, compact_after_days, now),
        "paper versions": prune_old_versions(store) if keep_text_days > 0 else 0,
        "replaced-only papers dropped": drop_replaced_only(
            store, min(keep_text_days, compact_after_days or keep_text_days), now),
        "search index emptied": int(drop_search_index(store)) if not search_index else 0,
        "search index rebuilt": rebuild_search_index(store) if search_index else 0,
    }
    if not store.conn.in_transaction:
        _give_pages_back(store)
    return counts


def _give_pages_back(store: Store) -> None:
    # It frees one page per step, and execute() steps a statement without result columns once
    # (one page of 61 in the test): executescript steps it to its end. A store busy past the
    # timeout keeps its free pages: new rows reuse them, and the next run tries again.
    with contextlib.suppress(sqlite3.OperationalError):
        store.conn.executescript("PRAGMA incremental_vacuum;")


def vacuum(store: Store, *, rewrite: bool = True) -> tuple[int, int]:
    """Merge the full-text index into one segment and rewrite the database file without its
    free pages; returns its size before and after.

    On PostgreSQL `rewrite` (`db --vacuum`) rewrites each table without its dead rows (VACUUM
    FULL, the GIN index with it), which locks the table against readers while it runs; after a
    run (`[store] vacuum_after_run`) a plain VACUUM marks their space for reuse and the web app
    goes on reading (a group's server has GBs: a rewrite after every run stopped its pages)."""
    before = store_size(store)
    if store.postgres:
        command = "VACUUM FULL" if rewrite else "VACUUM"
        for (table,) in store.conn.execute(_PG_TABLES.format(what="c.relname")).fetchall():
            store.conn.execute(f'{command} "{table}"')
        return before, store_size(store)
    if search_index_kept(store):
        with store.transaction() as conn:
            conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if int(store.conn.execute("PRAGMA page_size").fetchall()[0][0]) != PAGE_SIZE:
        _vacuum_to_page_size(store)  # out of WAL mode while it runs: nothing to checkpoint
    else:
        store.conn.execute("VACUUM")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return before, store_size(store)


def _vacuum_to_page_size(store: Store) -> None:
    """VACUUM a store made with another page size into `PAGE_SIZE` pages: SQLite changes the
    page size of a WAL file only out of WAL mode, which needs the file to itself; a store
    another connection holds is vacuumed as it is (the next vacuum tries again)."""
    try:
        mode = store.conn.execute("PRAGMA journal_mode=DELETE").fetchall()[0][0]
    except sqlite3.OperationalError:  # another connection holds the file (after the busy timeout)
        mode = "wal"
    try:
        if str(mode).lower() != "wal":
            store.conn.execute(f"PRAGMA page_size={PAGE_SIZE}").fetchall()
        store.conn.execute("VACUUM")
    finally:
        if str(mode).lower() != "wal":
            store.conn.execute("PRAGMA journal_mode=WAL").fetchall()


_PG_TABLES = ("SELECT {what} FROM pg_class c WHERE c.relkind = 'r'"
              " AND c.relnamespace = current_schema()::regnamespace")


def store_size(store: Store) -> int:
    """The database file's size in bytes (pages x page size); on PostgreSQL, the store's tables
    with their indexes and TOAST."""
    if store.postgres:
        what = "COALESCE(SUM(pg_total_relation_size(c.oid)), 0)"
        return int(store.conn.execute(_PG_TABLES.format(what=what)).fetchone()[0])
    page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    return int(page_size) * int(pages)
