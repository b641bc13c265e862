"""What sending the LLM papers in rounds could buy the hybrid judge, against the static share.

One real hybrid replay of the repository's 25 labelled days (`papersieve.eval.replay`, the static
policy of `judges/hybrid.py`) records each day's local scores, LSA vectors and history share; the
policies below are then simulated on those same scores (the ranker does not change with the
policy, a simplification). For each: mean share sent (exploration sample and pinned authors
included, days without history send everything) and recall of the picks over all days / first 12
/ last 13 / 20+, and tokens after 5 days relative to `llm` from a model of the loopback bench
(435 tokens per paper and 1,500 per abstract batch, 35 and 1,450 for the title stage, batch sizes
from `adaptive_batch_size` of each call). Also the bounds: a static share on every day, and an
oracle that knows each day's curve and spends the share where it buys most recall.

    .venv/bin/python bench/hybrid_policy_sim.py
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from papersieve.eval import load_days, replay
from papersieve.eval.labels import LabelBook
from papersieve.judges import exploration, hybrid
from papersieve.judges.llm.batching import adaptive_batch_size
from papersieve.models import Paper
from papersieve.profile.loader import load_profile

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "data" / "labels" / "gpt4o-picks-dev.jsonl"
PARTS = (("all", slice(0, 25)), ("first 12", slice(0, 12)), ("last 13", slice(12, 25)),
         ("20+", slice(20, 25)))


@dataclass
class Day:
    """What the static hybrid saw of one day, and the day's picks."""

    ids: list[str]
    raw: np.ndarray
    vectors: np.ndarray
    share: float | None
    pinned: np.ndarray
    picks: np.ndarray


def record_days() -> list[Day]:
    """Replay the static hybrid once, keeping each day's scores (the picks added afterwards)."""
    seen: list[tuple[list[str], np.ndarray, np.ndarray, float | None, np.ndarray]] = []
    plan = hybrid.HybridJudge.plan

    def spy(self: hybrid.HybridJudge,
            papers: Sequence[Paper]) -> tuple[list[Paper], list[Paper], np.ndarray, str]:
        out = plan(self, papers)
        ranker, raw, _ = self.local.score(papers)
        share = hybrid.share_to_send(ranker.meta.get("agreement", {}) if ranker.model else {},
                                     self.profile.settings.judge.target_recall)
        seen.append(([p.id for p in papers], raw, ranker.dense(papers).vectors, share,
                     np.array([self._is_pinned(p) for p in papers])))
        return out

    hybrid.HybridJudge.plan = spy  # type: ignore[method-assign]  # a spy, for this script only
    days = load_days(REPO / "data" / "candidates")
    replay("hybrid", load_profile(None, {}), days, LABELS)
    hybrid.HybridJudge.plan = plan  # type: ignore[method-assign]
    book = LabelBook(LABELS)
    return [Day(ids, raw, vec, share, pinned, np.array([i in book.reveal(date) for i in ids]))
            for (ids, raw, vec, share, pinned), (date, _) in zip(seen, days, strict=True)]


def zscore(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = (x - x.mean()) / (x.std() or 1.0)
    return out


def first_round(day: Day, first: float) -> tuple[np.ndarray, np.ndarray]:
    """(sent, static positions): the top `first` x the share, pinned authors, exploration."""
    n, share = len(day.ids), day.share or 1.0
    order = np.argsort(-day.raw, kind="stable")
    pos = np.empty(n)
    pos[order] = np.arange(n) / n
    keep = math.ceil(min(1.0, max(hybrid.MIN_SHARE, first * share)) * n)
    sent = (pos < keep / n) | day.pinned | np.array(
        [exploration.explored(i, exploration.explore_rate(pos[k], keep / n)) for k, i in enumerate(day.ids)])
    return sent, pos


def rounds_policy(day: Day, first: float, step: float, stop: float, rocchio: float = 0.0) -> list[np.ndarray]:
    """The papers of each round: the top `first` x share, then `step` slices (re-ranked by the
    day's verdicts when `rocchio` > 0) while a slice holds >= `stop` picks, up to the share."""
    n, share = len(day.ids), day.share
    if share is None:
        return [np.ones(n, bool)]
    sent, _ = first_round(day, first)
    rounds = [sent.copy()]
    unit = day.vectors / np.maximum(np.linalg.norm(day.vectors, axis=1, keepdims=True), 1e-9)
    cap = math.ceil(share * n)
    while (budget := cap - int(sent.sum())) > 0:
        rest = np.flatnonzero(~sent)
        score = zscore(day.raw)[rest]
        found, other = sent & day.picks, sent & ~day.picks
        if rocchio and found.any() and other.any():
            score = score + rocchio * zscore(unit[rest] @ (unit[found].mean(0) - unit[other].mean(0)))
        take = rest[np.argsort(-score, kind="stable")[: min(math.ceil(step * n), budget)]]
        sent[take] = True
        rounds.append(np.isin(np.arange(n), take))
        if day.picks[take].mean() < stop:
            break
    return rounds


def tokens(sizes: list[int]) -> float:
    """Modelled prompt + completion tokens of LLM calls of these sizes (title and abstract)."""
    return sum(n * 435 + math.ceil(n / adaptive_batch_size(4, n)) * 1500
               + n * 35 + math.ceil(n / adaptive_batch_size(8, n)) * 1450 for n in sizes if n)


def report(name: str, days: list[Day], runs: list[list[np.ndarray]]) -> None:
    sent = [np.logical_or.reduce(r) for r in runs]
    share = [s.mean() for s in sent]
    recall = [(s & d.picks).sum() / d.picks.sum() for s, d in zip(sent, days, strict=True)]
    parts = "  ".join(f"{label} {np.mean(share[part]):.3f}/{np.mean(recall[part]):.3f}"
                      for label, part in PARTS)
    ratio = (sum(tokens([int(x.sum()) for x in r]) for r in runs[5:])
             / sum(tokens([len(d.ids)]) for d in days[5:]))
    print(f"{name:<44} {parts}  tokens after 5 days {ratio:.0%}")


def bounds(days: list[Day]) -> None:
    """Static share on every day vs an oracle allocation, days with history only (recall only)."""
    grid = np.linspace(0, 1, 201)
    curves = []
    for day in days[3:]:
        found = np.concatenate([[0], np.cumsum(day.picks[np.argsort(-day.raw, kind="stable")])])
        curves.append([found[math.ceil(g * len(day.ids))] / day.picks.sum() for g in grid])
    recall = np.array(curves)
    for share in (0.30, 0.35, 0.40):
        print(f"bound, days 4-25: the static top {share:.0%} on every day holds"
              f" {recall[:, round(share * 200)].mean():.3f} of the picks (no exploration)")
    need = np.array([grid[np.argmax(row >= 0.95)] for row in recall])
    top, band = [], []
    for day in days[3:]:
        ordered = day.picks[np.argsort(-day.raw, kind="stable")]
        cut, low = math.ceil(0.25 * len(day.ids)), math.ceil(0.45 * len(day.ids))
        top.append(ordered[:cut].mean())
        band.append(ordered[cut:low].mean())
    print(f"days 4-25: the share each day needs for 95% of its picks, mean {need.mean():.3f};"
          f" its correlation with the pick rate of the top 25% {np.corrcoef(need, top)[0, 1]:.2f},"
          f" of the 25-45% band {np.corrcoef(need, band)[0, 1]:.2f}")
    for price in (0.3, 0.5):
        best = np.argmax(recall - price * grid[None, :], axis=1)
        print(f"bound, days 4-25: an oracle knowing each day's curve: share {grid[best].mean():.3f}"
              f" for recall {recall[np.arange(len(recall)), best].mean():.3f}")


def main() -> None:
    days = record_days()
    print("share sent / recall of picks, means over days")
    for factor in (0.8, 0.9, 1.0):
        report(f"static: {factor:g} x the history's share, 1 call", days,
               [[first_round(d, factor if d.share else 1.0)[0]] for d in days])
    report("rounds: 0.6 x share, 6% slices, stop < 5%", days,
           [rounds_policy(d, 0.6, 0.06, 0.05) for d in days])
    report("rounds: 0.7 x share, 4% slices, stop < 5%", days,
           [rounds_policy(d, 0.7, 0.04, 0.05) for d in days])
    report("  the same re-ranked by Rocchio, weight 1", days,
           [rounds_policy(d, 0.7, 0.04, 0.05, rocchio=1.0) for d in days])
    bounds(days)
    print("command: .venv/bin/python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
