"""Replay labelled days in date order, as the product would have lived them.

Each judge runs in its own temporary store. For day d it judges the candidates first; only then
are d's labels revealed, scored, and (with history) recorded as the LLM's judgements of that day
(a pick with its label's scores, any other paper with relevance 3 and novelty 3), after which the
local model is retrained. So a judge learns only from the days before the one it judges.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from papersieve.eval.labels import Label, LabelBook
from papersieve.eval.metrics import day_metrics, mean, pick_metrics
from papersieve.eval.onboarding import onboard
from papersieve.judges.hybrid import HybridJudge
from papersieve.judges.interface import Judge, JudgeResult, ProgressCallback
from papersieve.judges.local import LocalJudge, retrain
from papersieve.models import Judgement, Outcome, Paper
from papersieve.profile.loader import Profile
from papersieve.selection import is_selected
from papersieve.store.db import Store, open_store
from papersieve.store.judgements import save_judgements
from papersieve.store.papers import upsert_papers
from papersieve.store.runs import finish_run, record_outcomes, start_run

JUDGES = ("local", "hybrid")
METRIC_KEYS = ("auc", "recall_at_30", "recall_at_40", "recall_at_50", "precision_at_k")
PICK_KEYS = ("precision", "recall", "f1")
"""The judge's own picks at the profile's cutoffs against the labels' picks."""
HYBRID_KEYS = ("sent_fraction", "recall_of_picks")
OTHER_SCORE = 3.0


@dataclass
class JudgeReport:
    """Per-day metrics of one judge and their means."""

    name: str
    per_day: list[dict[str, object]] = field(default_factory=list)
    onboarding: dict[str, object] | None = None
    """What `--onboarding N` asked on the first day (that day is then not measured)."""

    def summary(self) -> dict[str, object]:
        """The `--json` object of this judge."""
        keys = METRIC_KEYS + PICK_KEYS + (HYBRID_KEYS if self.name == "hybrid" else ())
        out: dict[str, object] = {"days": len(self.per_day)}
        for key in keys:
            out[key] = mean([d[key] for d in self.per_day])  # type: ignore[misc]
        if self.onboarding is not None:
            out["onboarding"] = self.onboarding
        out["per_day"] = self.per_day
        return out


class LabelLLM(Judge):
    """The LLM simulated by a day's labels: picks answer with their scores, others with 3 / 3."""

    name = "llm"

    def __init__(self, labels: dict[str, Label]) -> None:
        self.labels = labels
        self.seen: list[str] = []

    @property
    def model(self) -> str:
        """Stands for the model that made the labels."""
        return "labels"

    @property
    def prompt_hash(self) -> str:
        """No prompt."""
        return "labels"

    def judge(self, papers: Sequence[Paper], run_id: int | None = None,
              progress: ProgressCallback | None = None) -> JudgeResult:
        """A judgement per paper from the labels."""
        self.seen.extend(p.id for p in papers)
        return JudgeResult(tuple(label_judgement(p.id, self.labels.get(p.id)) for p in papers))


def label_judgement(paper_id: str, label: Label | None) -> Judgement:
    """What the simulated LLM answers for one paper.

    A pick without scores was chosen by the labelling system's author list, not by the LLM's
    reading of it: it is recorded as the product records a pinned author's paper (selected,
    outcome `pinned_author`), so, as there, it is no verdict on the content to learn from.
    """
    if label is None:
        return Judgement(paper_id, Outcome.JUDGED, "llm", "labels", "labels", OTHER_SCORE, OTHER_SCORE)
    if label.relevance is None and label.novelty is None:
        return Judgement(paper_id, Outcome.PINNED_AUTHOR, "llm", "labels", "labels",
                         comment=label.comment)
    rel = label.relevance if label.relevance is not None else 10.0
    nov = label.novelty if label.novelty is not None else 10.0
    return Judgement(paper_id, Outcome.JUDGED, "llm", "labels", "labels", rel, nov, label.comment)


def _record_day(store: Store, profile: Profile, date: dt.date, papers: Sequence[Paper],
                judgements: Sequence[Judgement]) -> None:
    run_id = start_run(store, profile.name, date, "llm", "labels")
    ids = save_judgements(store, judgements, {p.id: p for p in papers}, run_id, stage="abstract")
    judged = {j.paper_id: (j.outcome, jid) for j, jid in zip(judgements, ids, strict=True)}
    record_outcomes(store, run_id, [
        (p.id, *judged.get(p.id, (Outcome.SKIPPED_LOCAL, None)), False, None) for p in papers])
    finish_run(store, run_id, "done")


@dataclass(frozen=True)
class _Day:
    """What a judge made of one day: scores to rank by, what it picked, the LLM judgements to
    record, hybrid figures."""

    scores: dict[str, float]
    selected: set[str]
    judged: list[Judgement]
    extra: dict[str, float | None]


def _judge_day(kind: str, profile: Profile, store: Store, papers: list[Paper], book: LabelBook,
               date: dt.date) -> _Day:
    """One day judged; its labels are read only after judging."""
    if kind == "local":
        _, raw, relevance = LocalJudge(profile, store).score(papers)
        labels = book.reveal(date)
        cutoff = profile.settings.cutoffs.relevance  # the local judge scores no novelty
        return _Day({p.id: float(raw[i]) for i, p in enumerate(papers)},
                    {p.id for i, p in enumerate(papers) if relevance[i] >= cutoff},
                    [label_judgement(p.id, labels.get(p.id)) for p in papers], {})
    llm = _DeferredLLM(book, date)
    hybrid = HybridJudge(profile, store, llm)
    result = hybrid.judge(papers)
    labels = book.reveal(date)
    picks = set(labels).intersection(p.id for p in papers)
    sent = set(llm.seen)
    extra = {"sent_fraction": len(sent) / len(papers),
             "recall_of_picks": len(picks & sent) / len(picks) if picks else None}
    judged = [j for j in result.judgements if j.judge == "llm"]
    selected = {j.paper_id for j in result.judgements if is_selected(j, profile.settings.cutoffs)}
    return _Day({pid: s for pid, (s, _) in hybrid.last_scores.items()}, selected, judged, extra)


class _DeferredLLM(LabelLLM):
    """The simulated LLM reads the day's labels only when the hybrid sends it papers."""

    def __init__(self, book: LabelBook, date: dt.date) -> None:
        super().__init__({})
        self.book, self.date = book, date

    def judge(self, papers: Sequence[Paper], run_id: int | None = None,
              progress: ProgressCallback | None = None) -> JudgeResult:
        self.labels = self.book.reveal(self.date)
        return super().judge(papers, run_id, progress)


def replay(kind: str, profile: Profile, days: Sequence[tuple[dt.date, list[Paper]]],
           labels_path: Path, history: bool = True,
           on_day: Callable[[str, dict[str, object]], None] | None = None,
           onboarding: int = 0) -> JudgeReport:
    """Replay `days` for one judge ('local' or 'hybrid') in a fresh temporary store; with
    `onboarding` N, a user first answers the first day's N chosen papers (eval/onboarding.py)."""
    report = JudgeReport(kind)
    book = LabelBook(labels_path)
    with tempfile.TemporaryDirectory(prefix="papersieve-eval-") as folder:
        store = open_store(Path(folder) / "eval.db")
        try:
            if onboarding > 0 and days:
                (first, papers), *days = days
                upsert_papers(store, papers, listed_on=first.isoformat())
                report.onboarding = {"date": first.isoformat(), **onboard(
                    store, profile, papers, book.reveal(first), onboarding)}
            for date, papers in days:
                upsert_papers(store, papers, listed_on=date.isoformat())
                day = _judge_day(kind, profile, store, papers, book, date)
                picks = set(book.reveal(date)).intersection(day.scores)
                row: dict[str, object] = {"date": date.isoformat(), "candidates": len(papers),
                                          "picks": len(picks)}
                row.update(day_metrics(day.scores, [p.id for p in papers], picks))
                row.update(pick_metrics(day.selected, picks))
                row.update(day.extra)
                report.per_day.append(row)
                if on_day is not None:
                    on_day(kind, row)
                if history:
                    _record_day(store, profile, date, papers, day.judged)
                    retrain(store, profile)
        finally:
            store.close()
    return report
