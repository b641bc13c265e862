"""Ranking metrics of one labelled day: ROC AUC, recall of picks in the top share, precision at k."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

TOP_SHARES = (30, 40, 50)


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float | None:
    """Probability that a random pick outranks a random other paper (ties count half)."""
    pos = [s for s, p in zip(scores, positives, strict=True) if p]
    neg = sorted(s for s, p in zip(scores, positives, strict=True) if not p)
    if not pos or not neg:
        return None
    import bisect

    total = 0.0
    for s in pos:
        below = bisect.bisect_left(neg, s)
        ties = bisect.bisect_right(neg, s) - below
        total += below + ties / 2
    return total / (len(pos) * len(neg))


def ranked(scores: Mapping[str, float], order: Sequence[str]) -> list[str]:
    """Ids sorted by score, best first; ties keep `order` (the listing order)."""
    position = {pid: i for i, pid in enumerate(order)}
    return sorted(scores, key=lambda pid: (-scores[pid], position.get(pid, 0)))


def recall_at_share(ranking: Sequence[str], picks: set[str], percent: int) -> float | None:
    """Share of the picks found in the top `percent`% of the ranking."""
    if not picks:
        return None
    keep = math.ceil(len(ranking) * percent / 100)
    return len(picks.intersection(ranking[:keep])) / len(picks)


def precision_at_k(ranking: Sequence[str], picks: set[str]) -> float | None:
    """Share of the top k that are picks, with k the number of picks."""
    if not picks:
        return None
    k = len(picks)
    return len(picks.intersection(ranking[:k])) / k


def day_metrics(
    scores: Mapping[str, float], order: Sequence[str], picks: set[str]
) -> dict[str, float | None]:
    """All ranking metrics of one day for one judge's scores."""
    ids = list(order)
    ranking = ranked({pid: scores[pid] for pid in ids}, ids)
    present = picks.intersection(ids)
    result: dict[str, float | None] = {
        "auc": roc_auc([scores[pid] for pid in ids], [pid in present for pid in ids]),
    }
    for share in TOP_SHARES:
        result[f"recall_at_{share}"] = recall_at_share(ranking, present, share)
    result["precision_at_k"] = precision_at_k(ranking, present)
    return result


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the known values, or None when there are none."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def pick_metrics(selected: set[str], picks: set[str]) -> dict[str, float | None]:
    """Precision, recall and F1 of what a judge picked at the profile's cutoffs against the
    labels' picks (None where undefined: no pick made, or none to find)."""
    hits = len(selected & picks)
    precision = hits / len(selected) if selected else None
    recall = hits / len(picks) if picks else None
    f1 = 2 * hits / (len(selected) + len(picks)) if selected or picks else None
    return {"picked": float(len(selected)), "precision": precision, "recall": recall, "f1": f1}
