"""How far the labels let a ranker go: two gpt-4o runs on the same papers, and the local ranker.

2025-05-31 in the labels is a partial re-listing of 2025-05-30 judged by a second gpt-4o run of
the seed system. On the candidates both days share, this prints how well run B's picks predict
run A's (AUC of a yes/no score, precision at k), and how well the local ranker of the replay
with history (`papersieve eval`'s code, the days up to 2025-05-30) predicts each run.

Run: .venv/bin/python bench/label_noise.py
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

from papersieve.eval import load_days
from papersieve.eval.labels import LabelBook
from papersieve.eval.metrics import day_metrics
from papersieve.profile.loader import load_profile

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "data" / "labels" / "gpt4o-picks-dev.jsonl"
RUN_A, RUN_B = "2025-05-30", "2025-05-31"


def main() -> None:
    replay_module = importlib.import_module("papersieve.eval.replay")
    captured: list[dict[str, float]] = []  # each replayed day's scores, in date order
    original = replay_module.day_metrics

    def keep_scores(scores: dict[str, float], ids: list[str], picks: set[str]) -> dict[str, object]:
        captured.append(dict(scores))
        result: dict[str, object] = original(scores, ids, picks)
        return result

    replay_module.day_metrics = keep_scores
    days = [d for d in load_days(REPO / "data" / "candidates") if d[0].isoformat() <= RUN_A]
    replay_module.replay("local", load_profile(), days, LABELS, history=True)
    scores = captured[-1]
    book = LabelBook(LABELS)
    by_date = {d.isoformat(): papers for d, papers in load_days(REPO / "data" / "candidates")}
    common = sorted({p.id for p in by_date[RUN_A]} & {p.id for p in by_date[RUN_B]})
    picks_a = set(book.reveal(dt.date.fromisoformat(RUN_A))) & set(common)
    picks_b = set(book.reveal(dt.date.fromisoformat(RUN_B))) & set(common)
    b_as_score = {i: float(i in picks_b) for i in common}
    versus = day_metrics(b_as_score, common, picks_a)
    ranker_a = day_metrics({i: scores[i] for i in common}, common, picks_a)
    ranker_b = day_metrics({i: scores[i] for i in common}, common, picks_b)
    print(f"{len(common)} candidates in both listings; run A ({RUN_A}) picked {len(picks_a)},"
          f" run B ({RUN_B}) {len(picks_b)}, both {len(picks_a & picks_b)}")
    print(f"run B's picks predicting run A's: AUC {versus['auc']:.3f},"
          f" precision at k {versus['precision_at_k']:.2f}")
    print(f"local ranker (replay with history, {len(days) - 1} labelled days before): AUC"
          f" {ranker_a['auc']:.3f} vs run A, {ranker_b['auc']:.3f} vs run B; precision at k"
          f" {ranker_a['precision_at_k']:.2f} / {ranker_b['precision_at_k']:.2f}")
    print("command: .venv/bin/python bench/label_noise.py")


if __name__ == "__main__":
    main()
