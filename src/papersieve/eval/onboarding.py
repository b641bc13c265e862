"""`papersieve eval --onboarding N`: a new user answers the first day's N chosen papers.

Before the replay, the local judge (no history) chooses N papers of the first labelled day as
`papersieve teach` would; the simulated user likes those among the day's labelled picks and
dislikes the others; the answers are recorded as the profile's feedback (source `teach`) and the
local judge is retrained. The replay then starts on the next day: the first day's labels were
partly shown, so it is not measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from papersieve.judges.local import LocalJudge, retrain
from papersieve.judges.local.questions import choose_questions
from papersieve.models import Paper
from papersieve.profile.loader import Profile
from papersieve.store.db import Store
from papersieve.store.feedback import add_feedback


def onboard(store: Store, profile: Profile, papers: Sequence[Paper], picks: Mapping[str, object],
            count: int) -> dict[str, object]:
    """Answer `count` chosen papers of `papers` from `picks`; what was asked and answered."""
    judge = LocalJudge(profile, store)
    asked = choose_questions(judge.ranker(), papers, count, judge.pass_share())
    liked = [p.id for p in asked if p.id in picks]
    disliked = [p.id for p in asked if p.id not in picks]
    add_feedback(store, liked, 1, "teach", profile=profile.name)
    add_feedback(store, disliked, -1, "teach", profile=profile.name)
    retrain(store, profile)
    return {"asked": len(asked), "liked": len(liked), "disliked": len(disliked)}
