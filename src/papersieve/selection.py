"""Which judged papers make the digest, and in what order."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from papersieve.models import Judgement, Outcome, Paper, Pick
from papersieve.profile.settings import CutoffSettings


def is_selected(judgement: Judgement, cutoffs: CutoffSettings) -> bool:
    """Pinned authors always; otherwise relevance and novelty at or above the cutoffs.

    A judge that cannot score novelty (the local judge) leaves it None: then relevance decides.
    """
    if judgement.outcome is Outcome.PINNED_AUTHOR:
        return True
    if judgement.outcome is not Outcome.JUDGED or judgement.relevance is None:
        return False
    if judgement.relevance < cutoffs.relevance:
        return False
    return judgement.novelty is None or judgement.novelty >= cutoffs.novelty


def sort_key(pick: Pick) -> tuple[int, float, float]:
    """Pinned first, then relevance + novelty, then relevance, all descending."""
    rel = pick.judgement.relevance or 0.0
    nov = pick.judgement.novelty or 0.0
    return (0 if pick.pinned else 1, -(rel + nov), -rel)


def select(
    judgements: Iterable[Judgement], papers: Mapping[str, Paper], cutoffs: CutoffSettings,
    disliked: Collection[str] = (),
) -> list[Pick]:
    """The picks, sorted; ties keep the candidates' listing order (the sort is stable).

    A paper the user disliked is never picked, whatever its scores or authors (a rerun of its
    day reuses the judgement made before the dislike)."""
    picks = [
        Pick(papers[j.paper_id], j, pinned=j.outcome is Outcome.PINNED_AUTHOR)
        for j in judgements
        if j.paper_id in papers and j.paper_id not in disliked and is_selected(j, cutoffs)
    ]
    return sorted(picks, key=sort_key)
