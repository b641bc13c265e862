"""What the latest stored day's digest would have been with other topics (the topics editor).

The local judge scores the latest stored day's candidates (the profile's categories and rules)
twice, with the current and with the edited topics text, and the profile's cutoffs pick; nothing
is recorded (no run, no judgement, no model).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from papersieve.candidates import select_candidates
from papersieve.judges.local import LocalJudge
from papersieve.models import Paper, Pick
from papersieve.profile.loader import Profile, profile_from_files
from papersieve.selection import select
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_labels
from papersieve.store.listings import listed_dates, load_listings

TOPICS_FILE = "topics.txt"
MAX_TOPICS = 20_000
"""Characters of a topics text the editor accepts."""
DAYS_LOOKED_AT = 14
"""Stored days looked back through for one that lists the profile's categories."""


@dataclass(frozen=True)
class PreviewPick:
    """One paper of the previewed digest, and whether the current topics pick it too."""

    paper: Paper
    relevance: float | None
    comment: str
    new: bool


@dataclass(frozen=True)
class Preview:
    """The latest stored day's digest with the edited topics, against the current one."""

    date: str | None
    candidates: int
    picks: tuple[PreviewPick, ...]
    dropped: tuple[Paper, ...]
    """Papers the current topics pick and the edited ones do not."""


def with_topics(files: Mapping[str, str], name: str, topics: str) -> Profile:
    """The stored profile's files with `topics` as its topics text, judged locally."""
    return profile_from_files({**files, TOPICS_FILE: topics}, name, {"judge.kind": "local"})


def preview(store: Store, files: Mapping[str, str], name: str, topics: str) -> Preview:
    """The digest the latest stored day would have had with `topics` (ConfigError if invalid)."""
    edited = with_topics(files, name, topics)
    current = profile_from_files(files, name, {"judge.kind": "local"})
    date, papers = latest_candidates(store, edited)
    if not papers:
        return Preview(date, 0, (), ())
    before = {p.paper.id for p in _picks(store, current, papers)}
    after = _picks(store, edited, papers)
    kept = {p.paper.id for p in after}
    return Preview(
        date, len(papers),
        tuple(PreviewPick(p.paper, p.judgement.relevance, p.judgement.comment,
                          p.paper.id not in before) for p in after),
        tuple(p for p in papers if p.id in before - kept),
    )


def latest_candidates(store: Store, profile: Profile) -> tuple[str | None, list[Paper]]:
    """The newest stored day that lists the profile's categories, and its candidates."""
    settings = profile.settings
    for day in listed_dates(store)[:DAYS_LOOKED_AT]:
        date = dt.date.fromisoformat(day)
        listings = load_listings(store, date, settings.categories)
        if listings:
            found = select_candidates(date, listings, settings.announce_types, settings.primary_only)
            return day, list(found.papers)
    return None, []


def _picks(store: Store, profile: Profile, papers: list[Paper]) -> list[Pick]:
    judged = LocalJudge(profile, store).judge(papers).judgements
    disliked = {pid for pid, label in feedback_labels(store, profile.name).items() if label < 0}
    return select(judged, {p.id: p for p in papers}, profile.settings.cutoffs, disliked)
