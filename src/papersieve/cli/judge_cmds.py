"""`papersieve judge`: run the LLM stage over a stored day, with a live progress display."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from papersieve.candidates import Candidates, select_candidates
from papersieve.cli.options import as_date, date_option, profile_option
from papersieve.errors import PapersieveError
from papersieve.judges.interface import JudgeResult, Progress
from papersieve.judges.llm import LLMJudge
from papersieve.models import Judgement, Outcome, Pick, Usage
from papersieve.prefilter.hindex import HIndexFilter
from papersieve.profile import Profile
from papersieve.profile.stored import load_profile_ref
from papersieve.selection import select
from papersieve.store import Store, open_store
from papersieve.store.feedback import feedback_labels
from papersieve.store.judgements import save_judgements
from papersieve.store.listings import listed_dates, load_listings
from papersieve.store.runs import finish_run, papers_judged_before, record_outcomes, start_run

RUN_STATUS = "judged"
"""Status of a judge-only run: not `done`, so it neither renders nor counts as a finished day."""


@click.command()
@date_option
@profile_option
@click.option("--no-title-stage", is_flag=True,
              help="Send every abstract to the LLM (skip the title pass) for this run.")
def judge(day: dt.datetime | None, profile_dir: Path | None, no_title_stage: bool) -> None:
    """Judge a stored day's candidates with the LLM and print a summary (needs OPENAI_API_KEY)."""
    profile = load_profile_ref(profile_dir)
    with open_store() as store:
        candidates = _candidates(store, profile, as_date(day))
        llm = LLMJudge(profile, store, title_stage=False if no_title_stage else None)
        run_id = start_run(store, profile.name, candidates.date, llm.name, llm.model, llm.prompt_hash)
        try:
            result, prefiltered, notes = _judge(store, profile, llm, candidates, run_id)
        except PapersieveError as err:
            finish_run(store, run_id, "failed", candidates.counts, message=str(err))
            raise
        judgements = (*prefiltered, *result.judgements)
        disliked = {pid for pid, label in feedback_labels(store, profile.name).items() if label < 0}
        picks = select(judgements, {p.id: p for p in candidates.papers}, profile.settings.cutoffs,
                       disliked)
        _record(store, run_id, candidates, judgements, picks, result.usage)
    _summary(candidates, judgements, picks, result, notes)


def _candidates(store: Store, profile: Profile, date: dt.date | None) -> Candidates:
    """The stored day's candidates (default: the newest stored day)."""
    if date is None:
        dates = listed_dates(store)
        if not dates:
            raise PapersieveError("no stored listing: run `papersieve fetch` first")
        date = dt.date.fromisoformat(dates[0])
    listings = load_listings(store, date, profile.settings.categories)
    if not listings:
        raise PapersieveError(f"no stored listing for {date}: run `papersieve fetch --date {date}` first")
    s = profile.settings
    seen = papers_judged_before(store, profile.name, date)
    return select_candidates(date, listings, s.announce_types, s.primary_only, seen, s.show_seen)


def _judge(
    store: Store, profile: Profile, llm: LLMJudge, candidates: Candidates, run_id: int
) -> tuple[JudgeResult, tuple[Judgement, ...], list[str]]:
    hindex = HIndexFilter.from_profile(profile, store)
    try:
        kept = hindex.apply(candidates.papers)
    finally:
        hindex.close()
    if kept.filtered:
        save_judgements(store, kept.filtered, {p.id: p for p in candidates.papers}, run_id, "prefilter")
    console = Console(stderr=True)
    columns = (TextColumn("judging"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
               TimeElapsedColumn())
    with RichProgress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("judge", total=len(kept.kept), info="")

        def show(progress: Progress) -> None:
            bar.update(task, completed=progress.papers_done, info=_usage_line(progress.calls, progress.usage))

        result = llm.judge(kept.kept, run_id=run_id, progress=show)
    return result, kept.filtered, [*kept.notes, *result.notes]


def _usage_line(calls: int, usage: Usage) -> str:
    return f"calls {calls} · tokens {usage.total_tokens:,} · {_dollars(usage.cost)}"


def _dollars(cost: float | None) -> str:
    return "cost unknown" if cost is None else f"${cost:.4f}"


def _record(
    store: Store, run_id: int, candidates: Candidates, judgements: tuple[Judgement, ...],
    picks: list[Pick], usage: Usage,
) -> None:
    ranks = {p.paper.id: i for i, p in enumerate(picks, start=1)}
    record_outcomes(store, run_id, [
        (j.paper_id, j.outcome, None, j.paper_id in ranks, ranks.get(j.paper_id)) for j in judgements])
    counts = candidates.counts
    finish_run(store, run_id, RUN_STATUS, type(counts)(counts.total, counts.scanned, counts.unique,
                                                        len(picks)), usage)


def _summary(
    candidates: Candidates, judgements: tuple[Judgement, ...], picks: list[Pick],
    result: JudgeResult, notes: list[str],
) -> None:
    usage = result.usage
    click.echo(f"{candidates.date}: {len(candidates.papers)} candidates judged, {len(picks)} picked")
    outcomes = Counter(j.outcome for j in judgements)
    click.echo("Outcomes: " + ", ".join(f"{o.value} {n}" for o, n in outcomes.most_common()))
    click.echo(f"LLM calls: {result.calls}; tokens: {usage.prompt_tokens:,} prompt "
               f"({usage.cached_tokens:,} cached) + {usage.completion_tokens:,} completion; "
               f"cost: {_dollars(usage.cost)}")
    for note in notes:
        click.echo(f"Note: {note}")
    for rank, pick in enumerate(picks, start=1):
        j = pick.judgement
        scores = "pinned" if pick.pinned else f"R{j.relevance:g} N{j.novelty or 0:g}"
        click.echo(f"{rank:3}. [{scores}] {pick.paper.id} {pick.paper.title}")
    if outcomes[Outcome.FAILED]:
        click.echo("Papers that failed are retried on the next `papersieve judge` of this day.")
