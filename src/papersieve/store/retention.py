"""What the store keeps only for a while: raw LLM replies are pruned by age.

A raw reply is kept for audit ("what did the model actually say?"); once the day is weeks old its
parsed verdicts (the judgements table) are what every later step reads, and a year of raw replies
would be most of the store. The pruned rows keep everything else: tokens, cost, latency, status,
which papers the call carried.
"""

from __future__ import annotations

import datetime as dt

from papersieve.store.db import Store


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
        return cursor.rowcount


def vacuum(store: Store) -> tuple[int, int]:
    """Rewrite the database file without its free pages; returns its size before and after."""
    before = _size(store)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.conn.execute("VACUUM")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return before, _size(store)


def _size(store: Store) -> int:
    page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    return int(page_size) * int(pages)
