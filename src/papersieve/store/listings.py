"""Daily listings: one row per (requested date, category, source) and its entries in order."""

from __future__ import annotations

import datetime as dt
import sqlite3

from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Paper
from papersieve.store.db import Store, utcnow
from papersieve.store.folding import folded_entries
from papersieve.store.papers import _upsert_one, get_papers


def save_listing(store: Store, listing: Listing, requested: dt.date) -> int:
    """Store a listing and its papers in one transaction, replacing an earlier fetch of it."""
    now = utcnow()
    listed_on = (listing.date or requested).isoformat()
    with store.transaction() as conn:
        conn.execute(
            "DELETE FROM listings WHERE requested_date = ? AND category = ? AND source = ?",
            (requested.isoformat(), listing.category, listing.source),
        )
        cursor = conn.execute(
            "INSERT INTO listings (date, requested_date, category, source, status, approximate,"
            " note, total_entries, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                listing.date.isoformat() if listing.date else None, requested.isoformat(),
                listing.category, listing.source, listing.status.value, int(listing.approximate),
                listing.note, len(listing.entries), now,
            ),
        )
        listing_id = int(cursor.lastrowid or 0)
        for entry in listing.entries:
            _upsert_one(conn, entry.paper, listed_on, now)
            conn.execute(
                "INSERT INTO listing_entries (listing_id, position, paper_id, version,"
                " announce_type) VALUES (?, ?, ?, ?, ?)",
                (listing_id, entry.position, entry.paper.id, entry.paper.version,
                 entry.announce_type.value),
            )
    return listing_id


def load_listings(
    store: Store, requested: dt.date, categories: list[str] | tuple[str, ...]
) -> list[Listing]:
    """The stored listings of a requested day for these categories (newest fetch per category)."""
    listings = []
    for category in categories:
        row = store.conn.execute(
            "SELECT * FROM listings WHERE requested_date = ? AND category = ?"
            " ORDER BY fetched_at DESC, id DESC LIMIT 1",
            (requested.isoformat(), category),
        ).fetchone()
        if row is not None:
            listings.append(_listing_from_row(store, row))
    return listings


def _listing_from_row(store: Store, row: sqlite3.Row) -> Listing:
    entry_rows = [(int(r["position"]), str(r["paper_id"]), r["version"], str(r["announce_type"]))
                  for r in store.conn.execute("SELECT * FROM listing_entries WHERE listing_id = ?"
                                              " ORDER BY position", (row["id"],))]
    if not entry_rows:  # an old listing folded into one row (`[store] compact_after_days`)
        entry_rows = folded_entries(store, int(row["id"]))
    papers = get_papers(store, [paper_id for _, paper_id, _, _ in entry_rows])
    entries = tuple(
        ListingEntry(
            # A paper listed only as a replacement, dropped since (store/retention.py
            # `drop_replaced_only`): an empty paper under its id, so the day counts as before.
            paper=papers.get(paper_id) or Paper(paper_id, "", "", (), (), version),
            category=row["category"],
            announce_type=AnnounceType(announce_type),
            position=position,
        )
        for position, paper_id, version, announce_type in entry_rows
    )
    return Listing(
        category=row["category"],
        date=dt.date.fromisoformat(row["date"]) if row["date"] else None,
        entries=entries,
        source=row["source"],
        status=ListingStatus(row["status"]),
        approximate=bool(row["approximate"]),
        note=row["note"],
    )


def listed_dates(store: Store) -> list[str]:
    """Every requested date with at least one stored listing, newest first."""
    rows = store.conn.execute(
        "SELECT DISTINCT requested_date FROM listings ORDER BY requested_date DESC"
    )
    return [str(r[0]) for r in rows]
