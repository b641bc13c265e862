"""The weekly digest: a profile's picks of the seven days ending on a date, grouped under the
profile's own topic headings (the numbered topics of topics.txt).

Each paper goes under the one topic it matches best: the topic the judge's comment names (the
local judge's says which topic is nearest in its semantic space; the LLM's say "relevant to model
compression" or "criterion 3"), else the topic whose words
its title, abstract and comment share most, weighted by how rare each word is among the week's
papers and topics (the local judge's stemming). A paper that matches no topic goes under "Other".
The week is read from the store (the finished daily runs), so it costs no fetch and no judging.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass

from papersieve.digests import load_digest
from papersieve.judges.local.text.topics import Topic, parse_topics
from papersieve.judges.local.text.words import stem_text
from papersieve.models import Pick
from papersieve.profile import Profile
from papersieve.store.db import Store

OTHER = "Other"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NEAREST = re.compile(r"nearest topic in meaning:\s*(.+?)\s*\(\d")
_NUMBERED = re.compile(r"\b(?:criterion|criteria|topic)\s*#?\s*(\d+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class WeeklyPick:
    """A pick of one day of the week, with the topic it was filed under and why."""

    date: dt.date
    pick: Pick
    topic: str
    matched_by: str
    """`comment` (the judge named the topic) or `text` (the words it shares with the topic)."""


@dataclass(frozen=True)
class WeeklyDigest:
    """The week's picks by topic, in the profile's topic order (then "Other")."""

    profile: str
    start: dt.date
    end: dt.date
    days: tuple[dt.date, ...]
    """The days of the week with a finished run."""
    sections: tuple[tuple[str, tuple[WeeklyPick, ...]], ...]

    @property
    def picks(self) -> tuple[WeeklyPick, ...]:
        """Every pick, section by section."""
        return tuple(p for _, picks in self.sections for p in picks)


def week_of(end: dt.date) -> tuple[dt.date, dt.date]:
    """The seven days ending on `end`."""
    return end - dt.timedelta(days=6), end


def is_delivery_day(profile: Profile, day: dt.date) -> bool:
    """True for a weekly profile on its chosen weekday."""
    schedule = profile.settings.schedule
    return schedule.frequency == "weekly" and WEEKDAYS[day.weekday()] == schedule.weekday


def build_weekly(store: Store, profile: Profile, end: dt.date) -> WeeklyDigest:
    """The weekly digest of the seven days ending on `end`; see the module docstring."""
    start, end = week_of(end)
    rows = store.conn.execute(
        "SELECT date, MAX(id) AS id FROM runs WHERE profile = ? AND status = 'done'"
        " AND date BETWEEN ? AND ? GROUP BY date ORDER BY date",
        (profile.name, start.isoformat(), end.isoformat())).fetchall()
    seen: set[str] = set()
    dated: list[tuple[dt.date, Pick]] = []
    for row in rows:
        for pick in load_digest(store, int(row["id"])).picks:
            if pick.paper.id not in seen:  # a paper picked on two days is shown once, first day
                seen.add(pick.paper.id)
                dated.append((dt.date.fromisoformat(row["date"]), pick))
    topics = parse_topics(profile.prompts.topics).topics
    filed = [WeeklyPick(day, pick, *assign_topic(pick, topics, [p for _, p in dated]))
             for day, pick in dated]
    order = [t.name for t in topics] + [OTHER]
    sections = tuple((name, tuple(p for p in filed if p.topic == name)) for name in order)
    days = tuple(dt.date.fromisoformat(r["date"]) for r in rows)
    return WeeklyDigest(profile.name, start, end, days, tuple(s for s in sections if s[1]))


def assign_topic(pick: Pick, topics: tuple[Topic, ...], week: list[Pick]) -> tuple[str, str]:
    """(topic name, `comment` or `text`) for one pick; (`Other`, `none`) when nothing matches."""
    if not topics:
        return OTHER, "none"
    named = topic_named_in(pick.judgement.comment, topics)
    if named is not None:
        return named, "comment"
    best = _best_by_words(pick, topics, week)
    return (best, "text") if best is not None else (OTHER, "none")


def topic_named_in(comment: str, topics: tuple[Topic, ...]) -> str | None:
    """The topic a comment names: the local judge's "nearest topic in meaning: NAME (0.43)", else
    the first one named by number ("criterion 3") or by name, whole or either part of a
    "Name (ABBREVIATION)" heading."""
    text = comment.lower()
    nearest = _NEAREST.search(text)
    if nearest:  # the local judge's own choice, from its semantic space (judges/local/explain.py)
        chosen = [t.name for t in topics if t.name.lower() == nearest.group(1).strip()]
        if chosen:
            return chosen[0]
    found: list[tuple[int, str]] = []
    for match in _NUMBERED.finditer(text):
        number = int(match.group(1))
        if 1 <= number <= len(topics):
            found.append((match.start(), topics[number - 1].name))
    for topic in topics:
        for name in _names(topic.name):
            at = re.search(r"\b" + re.escape(name) + r"\b", text)
            if at:
                found.append((at.start(), topic.name))
    return min(found)[1] if found else None


def _names(heading: str) -> list[str]:
    whole = heading.lower().strip()
    parts = [whole, re.sub(r"\s*\(.*?\)", "", whole).strip()]
    parts += [inner.strip() for inner in re.findall(r"\((.*?)\)", whole)]
    return [p for p in dict.fromkeys(parts) if len(p) >= 3]


def _best_by_words(pick: Pick, topics: tuple[Topic, ...], week: list[Pick]) -> str | None:
    paper = pick.paper
    words = _bag(f"{paper.title} {paper.abstract} {pick.judgement.comment}")
    topic_bags = [_bag(f"{t.name} {t.name} {t.relevant}") for t in topics]
    documents = [_bag(f"{p.paper.title} {p.paper.abstract}") for p in week] + topic_bags
    idf = {w: math.log((1 + len(documents)) / (1 + sum(w in d for d in documents))) + 1.0
           for bag in topic_bags for w in bag}
    scores = [sum(min(words[w], bag[w]) * idf[w] for w in bag if w in words) for bag in topic_bags]
    top = max(scores)
    return topics[scores.index(top)].name if top > 0 else None


def _bag(text: str) -> Counter[str]:
    return Counter(w for w in stem_text(text).split() if len(w) > 2)
