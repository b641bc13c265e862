"""The word search's index kept or not (`[store] search_index`, migration 18).

The scheduled job's store lives in the GitHub Actions cache, where nothing searches it: there its
full-text index (the FTS5 table `papers_fts`, 16 MB of a year's 79 MB store, bench/RESULTS.md) is
emptied after each run, and rebuilt (~13 s for a year's store) from the text the store keeps when
someone serves that store (`papersieve serve`), asks for it (`papersieve db --reindex`), or runs
with the setting on. What the index would hold is kept either way: `papers_data.searchable` (the
last `keep_text_days` days, the picks, the liked papers). The row `store_state('search_index',
'off')` says the index is empty on purpose; the triggers of migration 18 then leave it alone.

PostgreSQL's search reads each row's generated tsvector (store/pgschema.py): always kept there.
"""

from __future__ import annotations

from papersieve.store.db import Store

_OFF = "SELECT 1 FROM store_state WHERE key = 'search_index' AND value = 'off'"


def search_index_kept(store: Store) -> bool:
    """Whether the store holds its word search index."""
    return store.postgres or store.conn.execute(f"SELECT NOT EXISTS ({_OFF})").fetchone()[0] == 1


def drop_search_index(store: Store) -> bool:
    """Empty the index (SQLite); returns whether there was one to empty."""
    if store.postgres or not search_index_kept(store):
        return False
    with store.transaction() as conn:
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('delete-all')")
        conn.execute("INSERT INTO store_state (key, value) VALUES ('search_index', 'off')"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    return True


def rebuild_search_index(store: Store) -> int:
    """Fill an emptied index again from the papers it should hold; returns how many (0 when it
    was kept, or on PostgreSQL)."""
    if search_index_kept(store):
        return 0
    with store.transaction() as conn:
        conn.execute("DELETE FROM store_state WHERE key = 'search_index'")
        cursor = conn.execute(
            "INSERT INTO papers_fts(rowid, title, abstract, authors) SELECT pk,"
            " papersieve_unpack(title), papersieve_unpack(abstract), papersieve_unpack(authors)"
            " FROM papers_data WHERE searchable = 1")
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")
        return cursor.rowcount
