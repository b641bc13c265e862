"""Teaching a profile quickly: about ten papers of recent days chosen to learn most, one answer
each (`papersieve teach`, the web's "teach me" page). The choice is
`judges.local.questions.choose_questions`; the answers are the profile's feedback."""

from __future__ import annotations

from papersieve.feedback import record_feedback
from papersieve.judges.local import LocalJudge, TrainReport, retrain
from papersieve.judges.local.questions import QUESTIONS, choose_questions
from papersieve.models import Paper
from papersieve.profile.loader import Profile
from papersieve.store.db import Store
from papersieve.store.feedback import current_feedback
from papersieve.store.papers import get_papers

RECENT_DAYS = 3
"""Listing days the questions come from (the newest the store holds)."""


def recent_papers(store: Store, days: int = RECENT_DAYS) -> list[Paper]:
    """The papers first listed on the `days` newest listing days the store holds."""
    dates = [str(r[0]) for r in store.conn.execute(
        "SELECT DISTINCT first_listed FROM papers WHERE first_listed IS NOT NULL"
        " ORDER BY first_listed DESC LIMIT ?", (days,))]
    if not dates:
        return []
    marks = ",".join("?" * len(dates))
    ids = [str(r[0]) for r in store.conn.execute(
        f"SELECT id FROM papers WHERE first_listed IN ({marks}) ORDER BY pk", dates)]
    found = get_papers(store, ids)
    return [found[i] for i in ids if i in found]


def questions(store: Store, profile: Profile, count: int = QUESTIONS,
              days: int = RECENT_DAYS) -> list[Paper]:
    """Papers of recent days to ask about, most useful first; none the profile has an answer on."""
    answered = {row.paper_id for row in current_feedback(store, profile.name)}
    judge = LocalJudge(profile, store)
    return choose_questions(judge.ranker(), recent_papers(store, days), count, judge.pass_share(),
                            skip=answered)


def answer(store: Store, profile: Profile, likes: list[str], dislikes: list[str]) -> TrainReport:
    """Record the answers as the profile's feedback (source `teach`), then retrain it once."""
    for ids, label in ((likes, 1), (dislikes, -1)):
        if ids:
            record_feedback(store, ids, label, "teach", profile_name=profile.name)
    return retrain(store, profile)
