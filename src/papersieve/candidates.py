"""From a day's listings to the candidates a judge sees, with the digest's counts.

"Total arXiv papers" counts every entry of every fetched feed; "Total scanned papers" counts the
entries kept by the announce-type and primary-category rules, summed per category (not
deduplicated); the candidates are those entries deduplicated by version-less id, in listing order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from papersieve.models import DayCounts, Listing, ListingEntry, Paper


@dataclass(frozen=True)
class Candidates:
    """The day's unique candidates (after rules and cross-day dedup) and the counts."""

    date: dt.date
    papers: tuple[Paper, ...]
    counts: DayCounts
    seen_before: tuple[Paper, ...] = ()
    """Papers kept by the rules but judged on an earlier day; not judged again."""

    @property
    def ids(self) -> tuple[str, ...]:
        """Candidate ids in order."""
        return tuple(p.id for p in self.papers)


def kept_entries(
    listing: Listing, announce_types: Iterable[str], primary_only: bool,
    categories: Sequence[str] = (),
) -> list[ListingEntry]:
    """The entries of one listing kept by the announce-type and primary-only rules."""
    allowed = set(announce_types)
    wanted = set(categories) or {listing.category}
    return [
        e for e in listing.entries
        # The member itself: a StrEnum hashes and compares as its value (`.value` is a
        # Python-level property, read a million times on a group's day).
        if e.announce_type in allowed
        and (not primary_only or e.paper.primary_category in wanted)
    ]


def select_candidates(
    date: dt.date,
    listings: Sequence[Listing],
    announce_types: Iterable[str] = ("new", "cross"),
    primary_only: bool = False,
    seen: frozenset[str] | set[str] = frozenset(),
    show_seen: bool = False,
) -> Candidates:
    """Apply the rules, count, dedup across categories and against papers `seen` on earlier days."""
    types = tuple(announce_types)
    categories = [listing.category for listing in listings]
    total = sum(len(listing.entries) for listing in listings)
    scanned = 0
    unique: dict[str, Paper] = {}
    for listing in listings:
        entries = kept_entries(listing, types, primary_only, categories)
        scanned += len(entries)
        for entry in entries:
            unique.setdefault(entry.paper.id, entry.paper)
    fresh = [p for p in unique.values() if show_seen or p.id not in seen]
    old = [p for p in unique.values() if not show_seen and p.id in seen]
    counts = DayCounts(total=total, scanned=scanned, unique=len(unique))
    return Candidates(date=date, papers=tuple(fresh), counts=counts, seen_before=tuple(old))
