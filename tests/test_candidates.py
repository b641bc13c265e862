"""The digest's counts on the three real days, the announce-type and primary-only rules, and
cross-day dedup against the store."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from papersieve.candidates import kept_entries, select_candidates
from papersieve.errors import ConfigError
from papersieve.ingest import load_offline_day, store_day
from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Outcome, Paper
from papersieve.sources.feeds import parse_feed
from papersieve.store import Store
from papersieve.store.listings import load_listings
from papersieve.store.papers import upsert_papers
from papersieve.store.runs import finish_run, papers_judged_before, record_outcomes, start_run
from tests.conftest import DATA
from tests.servers import arxiv_feeds as af

REALWORLD = DATA / "realworld"
CATS = ("cs.LG", "cs.AI")
EXPECTED = {  # (scanned, deduplicated): the seed digests' "Total scanned papers", and ours
    dt.date(2025, 7, 1): (490, 413),
    dt.date(2025, 7, 2): (315, 244),
    dt.date(2025, 7, 3): (272, 215),
}



def raw(day: dt.date, category: str) -> list[dict[str, object]]:
    path = REALWORLD / f"arxiv-{day.isoformat()}-{category}.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.mark.parametrize("day", sorted(EXPECTED))
def test_three_real_days_give_the_seed_counts(store: Store, day: dt.date) -> None:
    fetched = load_offline_day(store, REALWORLD, day, CATS)
    assert fetched.status is ListingStatus.OK and fetched.date == day
    candidates = select_candidates(day, fetched.listings)
    scanned, unique = EXPECTED[day]
    assert (candidates.counts.total, candidates.counts.scanned, candidates.counts.unique) == (
        scanned, scanned, unique)
    assert len(candidates.papers) == unique and len(set(candidates.ids)) == unique
    # The same counts from what was stored.
    stored = load_listings(store, day, list(CATS))
    assert select_candidates(day, stored).counts == candidates.counts
    assert all(listing.source == "jsonl" for listing in stored)


def test_candidates_keep_listing_order_and_first_copy(store: Store) -> None:
    day = dt.date(2025, 7, 3)
    listings = load_offline_day(store, REALWORLD, day, CATS).listings
    expected = list(dict.fromkeys([str(r["id"]) for r in raw(day, "cs.LG")]
                                  + [str(r["id"]) for r in raw(day, "cs.AI")]))
    assert list(select_candidates(day, listings).ids) == expected


@pytest.mark.parametrize("day", sorted(EXPECTED))
def test_announce_type_rule(store: Store, day: dt.date) -> None:
    listings = load_offline_day(store, REALWORLD, day, CATS).listings
    news = [r for c in CATS for r in raw(day, c) if r["announce_type"] == "new"]
    only_new = select_candidates(day, listings, announce_types=("new",))
    assert only_new.counts.scanned == len(news)
    assert only_new.counts.unique == len({r["id"] for r in news})
    assert only_new.counts.total == EXPECTED[day][0]


@pytest.mark.parametrize("day", sorted(EXPECTED))
def test_primary_only_rule(store: Store, day: dt.date) -> None:
    listings = load_offline_day(store, REALWORLD, day, CATS).listings
    primary = [r for c in CATS for r in raw(day, c)
               if r["categories"][0] in CATS]  # type: ignore[index]
    kept = select_candidates(day, listings, primary_only=True)
    assert kept.counts.scanned == len(primary)
    assert kept.counts.unique == len({r["id"] for r in primary})
    assert all(p.primary_category in CATS for p in kept.papers)
    # A cs.AI paper cross-listed to cs.LG stays in the cs.LG listing under primary-only.
    lg = next(listing for listing in listings if listing.category == "cs.LG")
    kept_lg = kept_entries(lg, ("new", "cross"), True, CATS)
    assert any(e.paper.primary_category == "cs.AI" for e in kept_lg)


def test_replacements_count_in_total_but_are_not_scanned() -> None:
    day = af.DAYS[1]
    listings = [store_free_listing(c, day) for c in CATS]
    default = select_candidates(day, listings)
    assert default.counts.total == 315 + 2 * af.REPLACEMENTS_PER_FEED
    assert default.counts.scanned == 315
    with_replacements = select_candidates(
        day, listings, announce_types=("new", "cross", "replace", "replace-cross"))
    assert with_replacements.counts.scanned == 315 + 2 * af.REPLACEMENTS_PER_FEED


def store_free_listing(category: str, day: dt.date) -> Listing:
    return parse_feed(af.rss_feed(category, day, af.day_items(day, category)))


def judge_day(store: Store, day: dt.date, ids: tuple[str, ...], status: str = "done") -> None:
    run = start_run(store, "default", day, "local")
    record_outcomes(store, run, [(pid, Outcome.JUDGED, None, False, None) for pid in ids])
    finish_run(store, run, status)


def test_cross_day_dedup(store: Store) -> None:
    first, second = af.DAYS[0], af.DAYS[1]
    day_one = select_candidates(first, load_offline_day(store, REALWORLD, first, CATS).listings)
    judge_day(store, first, day_one.ids)
    # Day two's feeds re-announce six papers of day one per category as replacements.
    fetched = store_day(store, [store_free_listing(c, second) for c in CATS], second)
    seen = papers_judged_before(store, "default", second)
    assert seen == frozenset(day_one.ids)
    types = ("new", "cross", "replace", "replace-cross")
    day_two = select_candidates(second, fetched.listings, types, seen=seen)
    replaced = {e.paper.id for lst in fetched.listings for e in lst.entries
                if e.announce_type in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS)}
    assert replaced and {p.id for p in day_two.seen_before} == replaced
    assert not replaced & set(day_two.ids)
    assert day_two.counts.unique == len(day_two.papers) + len(day_two.seen_before)
    shown = select_candidates(second, fetched.listings, types, seen=seen, show_seen=True)
    assert replaced <= set(shown.ids) and shown.seen_before == ()
    # Only earlier days of finished runs count: not the same day, not a failed run.
    assert papers_judged_before(store, "default", first) == frozenset()
    upsert_papers(store, [Paper("2506.99999", "t", "a", ("Ada",), ("cs.LG",))])
    judge_day(store, dt.date(2025, 6, 30), ("2506.99999",), status="failed")
    assert "2506.99999" not in papers_judged_before(store, "default", second)
    assert papers_judged_before(store, "other-profile", second) == frozenset()


def test_a_day_without_candidate_files_is_missing_data_not_no_announcement(store: Store) -> None:
    """It was stored as "no announcement" for both categories (issue 17: missing data)."""
    with pytest.raises(ConfigError, match=r"no arxiv-2025-07-05-<category>\.jsonl file: no data"):
        load_offline_day(store, REALWORLD, dt.date(2025, 7, 5), CATS)
    assert store.conn.execute("SELECT COUNT(*) FROM listings").fetchone()[0] == 0


def test_duplicate_within_one_category_counts_twice_in_scanned() -> None:
    paper = Paper("2507.00001", "t", "a", ("Ada",), ("cs.LG",), 1)
    entries = tuple(ListingEntry(paper, "cs.LG", AnnounceType.NEW, i) for i in range(2))
    cands = select_candidates(af.DAYS[0], [Listing("cs.LG", af.DAYS[0], entries, "rss")])
    assert (cands.counts.total, cands.counts.scanned, cands.counts.unique) == (2, 2, 1)


@pytest.mark.parametrize("outcome", [Outcome.FAILED, Outcome.COST_CAP, Outcome.SEEN_BEFORE])
def test_a_paper_never_decided_is_not_seen_on_later_days(store: Store, outcome: Outcome) -> None:
    """A paper that failed or hit the cost cap was counted as "seen" and never judged again."""
    upsert_papers(store, [Paper(pid, "t", "a", ("Ada",), ("cs.LG",))
                          for pid in ("2506.00001", "2506.00002")])
    run = start_run(store, "default", dt.date(2025, 6, 30), "llm")
    record_outcomes(store, run, [("2506.00001", outcome, None, False, None),
                                 ("2506.00002", Outcome.SKIPPED_LOCAL, None, False, None)])
    finish_run(store, run, "done")
    seen = papers_judged_before(store, "default", dt.date(2025, 7, 1))
    assert seen == frozenset({"2506.00002"})
    assert seen == papers_judged_before(store, "default", dt.date(2025, 7, 1),
                                        ["2506.00001", "2506.00002"])
