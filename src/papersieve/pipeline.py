"""One run = one profile x one announcement day:
fetch -> candidates -> prefilter -> judge -> select -> render -> deliver, all recorded.

Every candidate ends with exactly one outcome row; each delivery's result and each stage's
time are recorded with the run. A rerun of the same day reuses the judgement cache and prints
the same digest. Only one run of a profile and day may be in progress at a time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from papersieve.candidates import Candidates, select_candidates
from papersieve.deliver import DeliveryResult
from papersieve.deliver.empty import EmptyDay
from papersieve.deliver.run import deliver_all, deliver_empty_day
from papersieve.digests import build_digest, earlier_usage, save_run_details
from papersieve.ingest import DayFetch, fetch_day, load_offline_day, stored_day
from papersieve.interrupts import notice, on_termination
from papersieve.judges.factory import make_judge
from papersieve.judges.interface import Judge, JudgeResult, Progress
from papersieve.models import PARTIAL_PREFIX, Digest, Judgement, ListingStatus, Outcome, Paper, Usage
from papersieve.outcomes import one_per_candidate, record
from papersieve.prefilter.rules import PrefilterResult, apply_pins, prefilter
from papersieve.profile import Profile
from papersieve.profile.settings import EmptyKind
from papersieve.redact import check_secrets
from papersieve.selection import select
from papersieve.sources.jsonl import file_date
from papersieve.store.db import Store
from papersieve.store.feedback import feedback_labels, taught_since_model
from papersieve.store.locks import acquire_lock, close_interrupted, release_lock, renewing
from papersieve.store.runs import finish_run, papers_judged_before, start_run
from papersieve.today import check_not_future, is_future
from papersieve.weekly import is_delivery_day

Say = Callable[[str], None]


@dataclass(frozen=True)
class RunReport:
    """How a run ended: `done`, `no_announcement`, `stale` or `failed`, and what it made."""

    status: str
    date: dt.date | None
    message: str
    run_id: int | None = None
    digest: Digest | None = None
    outputs: tuple[Path, ...] = ()
    deliveries: tuple[DeliveryResult, ...] = ()
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    run_usage: Usage = Usage()
    """Tokens and dollars this run spent (the digest shows the day's, cache reuse included)."""
    out_dir: Path | None = None
    stale: bool = False
    """Some category's feed still served an older day (see `message` and the notes)."""

    @property
    def exit_code(self) -> int:
        """0 done or no announcement; 3 stale feed; 5 judged in part; 4 a delivery failed."""
        if self.status == "stale" or self.stale:
            return 3
        if self.status == "partial":
            return 5
        if any(d.status == "failed" for d in self.deliveries):
            return 4
        return 0


class _Clock:
    """Seconds per stage."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - start, 4)


def run_day(
    store: Store, profile: Profile, date: dt.date | None = None, *,
    title_stage: bool | None = None, out_dir: Path | None = None, offline_dir: Path | None = None,
    progress: Say | None = None, judge: Judge | None = None, deliver: bool = True,
    fetched: DayFetch | None = None, redeliver: bool = False,
) -> RunReport:
    """Do the whole day for one profile; see the module docstring.

    `fetched`: the day as the caller already fetched it (`run` fetches first to learn the
    current day and catch up the days before it); otherwise it is fetched here.
    """
    check_secrets()  # a malformed secret fails here, before anything is fetched or sent
    say = progress or (lambda _message: None)
    clock = _Clock()
    with clock.stage("fetch"):
        fetched = fetched or _fetch(store, profile, date, offline_dir, say)
    partly_stale = fetched.status is ListingStatus.STALE and any(x.entries for x in fetched.listings)
    if fetched.status is not ListingStatus.OK and not partly_stale:
        report = _no_day(store, profile, fetched)
        report = _word_for_the_reader(store, profile, fetched, report, deliver, say)
        return _weekly_if_due(store, profile, report, out_dir or profile.output_dir, deliver, say)
    lock_note = acquire_lock(store, profile.name, fetched.date)
    if lock_note:
        say(f"note: {lock_note}")
    try:
        with renewing(store, profile.name, fetched.date), \
                on_termination(_close_on_signal(store, profile.name, fetched.date)):
            report = _locked_run(store, profile, fetched, clock, say, judge, title_stage,
                                 out_dir or profile.output_dir, (deliver, redeliver))
    finally:
        release_lock(store, profile.name, fetched.date)
    if lock_note:  # for whoever runs the job, not for the digest's reader
        report = dataclasses.replace(report, notes=(lock_note, *report.notes))
    # A day with one stale category is still made from the fresh ones; exit code 3 tells a
    # scheduler to run it again later, when the cache makes the rerun cheap.
    report = dataclasses.replace(report, stale=partly_stale)
    return _weekly_if_due(store, profile, report, out_dir or profile.output_dir, deliver, say)


def _weekly_if_due(store: Store, profile: Profile, report: RunReport, out_dir: Path, deliver: bool,
                   say: Say) -> RunReport:
    """On a weekly profile's chosen weekday, the week's digest is written and sent."""
    if report.date is None or report.run_id is None or not is_delivery_day(profile, report.date):
        return report
    from papersieve.deliver.weekly import weekly_rollup

    _, results = weekly_rollup(store, profile, report.date, out_dir, send=deliver,
                               record_run=report.run_id, say=say)
    return dataclasses.replace(report, deliveries=report.deliveries + tuple(results))


def _close_on_signal(store: Store, profile: str, date: dt.date) -> Callable[[int], None]:
    """What SIGTERM or SIGINT does during a locked run: close the run as interrupted (its paid
    replies are already committed), release the lock, say so in one line."""

    def cleanup(signum: int) -> None:
        name = signal.Signals(signum).name
        with store.transaction() as conn:
            close_interrupted(conn, profile, date, os.getpid(),
                              f"interrupted by {name}: paid replies are kept; run the day again")
        release_lock(store, profile, date)
        notice(f"interrupted by {name}: the run of {profile} for {date} was closed and its lock"
               " released; run it again to finish (replies already paid for are kept)")

    return cleanup


def _fetch(store: Store, profile: Profile, date: dt.date | None, offline_dir: Path | None,
           say: Say) -> DayFetch:
    if date is not None:
        check_not_future(date, what="the day asked for")
    if offline_dir is None:
        stored = stored_day(store, profile, date) if date is not None else None
        if stored is not None:
            say(stored.message)
            return stored
        return fetch_day(store, profile, date, progress=say)
    day = date or newest_offline_day(offline_dir)
    say(f"reading {day} from {offline_dir}")
    return load_offline_day(store, offline_dir, day, profile.settings.categories)


def newest_offline_day(folder: Path) -> dt.date:
    # A file dated in the future (a typo, a test file) must not become every run's day.
    dates = [d for d in (file_date(p) for p in folder.glob("arxiv-*.jsonl"))
             if d is not None and not is_future(d)]
    if not dates:
        from papersieve.errors import ConfigError

        raise ConfigError("no arxiv-<date>-<category>.jsonl file in this folder", path=str(folder))
    return max(dates)


def _no_day(store: Store, profile: Profile, fetched: DayFetch) -> RunReport:
    """Record a day without a digest ("no announcement" or "stale") as a run of its own."""
    status = "stale" if fetched.status is ListingStatus.STALE else "no_announcement"
    run_id = start_run(store, profile.name, fetched.date, profile.settings.judge.kind)
    finish_run(store, run_id, status, message=fetched.message)
    return RunReport(status, fetched.date, fetched.message, run_id)


def _word_for_the_reader(store: Store, profile: Profile, fetched: DayFetch, report: RunReport,
                         deliver: bool, say: Say) -> RunReport:
    """A short message on a no-announcement or stale day, if `[deliver] send_empty` asks."""
    if report.run_id is None:
        return report
    kind: EmptyKind = "stale" if report.status == "stale" else "no_announcement"
    day = EmptyDay(kind, fetched.date, profile.name, fetched.total, fetched.message)
    results = deliver_empty_day(store, report.run_id, day, profile, send=deliver, say=say)
    return dataclasses.replace(report, deliveries=tuple(results))


def _locked_run(
    store: Store, profile: Profile, fetched: DayFetch, clock: _Clock, say: Say,
    judge: Judge | None, title_stage: bool | None, out_dir: Path, deliver: tuple[bool, bool],
) -> RunReport:
    approximate = any(x.approximate for x in fetched.listings)
    notes: list[str] = [fetched.message] if fetched.status is ListingStatus.STALE or approximate else []
    # A category with nothing on a day the others announced (a missing offline file, an empty
    # feed) would otherwise vanish from the day without a word.
    notes += [f"{x.category}: nothing listed ({x.note or 'no announcement'})" for x in fetched.listings
              if x.status is ListingStatus.NO_ANNOUNCEMENT]
    notes += [f"{x.category}: missing data ({x.note})" for x in fetched.listings
              if x.status is ListingStatus.MISSING]
    with clock.stage("candidates"):
        candidates = profile_candidates(store, profile, fetched)
    say(f"{fetched.date}: {candidates.counts.total} entries, {candidates.counts.scanned} scanned,"
        f" {len(candidates.papers)} candidates ({len(candidates.seen_before)} seen before)")
    crowd = judge is not None and judge.trains_itself  # a crowd retrains within its day's budget
    if profile.settings.judge.kind != "llm" and not crowd and taught_since_model(store, profile.name):
        # Feedback given where this profile could not be retrained (a web page of another
        # profile) teaches it before it judges the day.
        notes += _retrain(store, profile, clock)
    if judge is None:
        judge, judge_notes = make_judge(profile, store, title_stage=title_stage)
        notes += judge_notes
    for note in notes:
        say(f"note: {note}")
    run_id = start_run(store, profile.name, fetched.date, judge.name, judge.model, judge.prompt_hash)
    try:
        return _judged_run(store, profile, fetched.date, candidates, judge, run_id, clock, say,
                           notes, out_dir, deliver)
    except BaseException as err:
        finish_run(store, run_id, "failed", timings=clock.timings, message=str(err) or repr(err))
        raise


def profile_candidates(store: Store, profile: Profile, fetched: DayFetch) -> Candidates:
    """The profile's candidates of the fetched day, papers judged before told apart."""
    settings = profile.settings
    day_ids = {e.paper.id for listing in fetched.listings for e in listing.entries}
    seen = papers_judged_before(store, profile.name, fetched.date, day_ids)
    return select_candidates(fetched.date, fetched.listings, settings.announce_types,
                             settings.primary_only, seen, settings.show_seen)


def _judged_run(
    store: Store, profile: Profile, date: dt.date, candidates: Candidates, judge: Judge,
    run_id: int, clock: _Clock, say: Say, notes: list[str], out_dir: Path,
    deliver: tuple[bool, bool],
) -> RunReport:
    with clock.stage("prefilter"):
        rules = prefilter(candidates.papers, profile)
        rules, hindex_notes = _hindex(store, profile, rules)
    notes += hindex_notes
    with clock.stage("judge"):
        result = _judge(judge, rules.to_judge, run_id, say)
    partial = partial_notice(result.judgements, profile.settings.judge.max_failed_share)
    notes[:0] = [partial] if partial else []
    notes += result.notes
    papers = {p.id: p for p in (*candidates.papers, *candidates.seen_before)}
    with clock.stage("select"):
        judged = apply_pins(result.judgements, rules.pinned)
        final = one_per_candidate(candidates, judged, rules.decided, judge.name)
        labels = feedback_labels(store, profile.name)
        disliked = {pid for pid, label in labels.items() if label < 0}
        picks = select(final, papers, profile.settings.cutoffs, disliked)
        pack = judge.name == "local" and profile.settings.store.pack_local_runs
        record(store, run_id, final, picks, papers, pack=pack, keep=labels.keys())
    usage = earlier_usage(store, profile.name, date, judge.name, judge.model, judge.prompt_hash,
                          run_id) + result.usage
    digest = build_digest(
        date=date, profile=profile.name, judge=judge.name, model=judge.model,
        prompt_hash=judge.prompt_hash, counts=candidates.counts, usage=usage, picks=picks,
        judgements=final, papers=papers, prompt=result.prompt, run_id=run_id, notes=notes,
        tldr_in_markdown=profile.settings.outputs.tldr_in_markdown)
    save_run_details(store, run_id, result.usage, result.prompt, notes, str(out_dir))
    send = deliver[0] and _may_send(partial, result.judgements, profile, say)
    outputs, deliveries = deliver_all(store, run_id, digest, profile, out_dir, clock.stage, say,
                                      send=send, redeliver=deliver[1])
    # The LLM's verdicts are new labels for the local ranker. The local judge's own verdicts are
    # not labels (retraining on them would change a rerun's digest); after a local run it only
    # retrains when the day holds a paper the user liked or disliked before it was fetched.
    # A judge that `trains_itself` (a crowd's) leaves retraining to whoever made it.
    if not judge.trains_itself and (
            judge.name != "local" or not papers.keys().isdisjoint(feedback_labels(store, profile.name))):
        notes += _retrain(store, profile, clock)
    message = (f"{len(picks)} {'pick' if len(picks) == 1 else 'picks'} of {len(final)} candidates"
               + (f"; {partial}" if partial else ""))
    # The store keeps "done" (the digest exists and is served); the report says "partial".
    finish_run(store, run_id, "done", digest.counts, result.usage, clock.timings, message=message)
    return RunReport("partial" if partial else "done", date, message, run_id,
                     digest, tuple(outputs), tuple(deliveries), tuple(notes), clock.timings,
                     result.usage, out_dir)


UNJUDGED = (Outcome.FAILED, Outcome.COST_CAP)


def partial_notice(judgements: tuple[Judgement, ...], max_failed_share: float) -> str:
    """The digest's notice when more than `max_failed_share` of the papers sent to the judge
    ended failed or not judged (a server gone mid-run, unusable answers, a cap); else ""."""
    sent = len(judgements)
    unjudged = [j for j in judgements if j.outcome in UNJUDGED]
    if not sent or len(unjudged) <= max_failed_share * sent:
        return ""
    why = _top_reason(unjudged)
    return (f"{PARTIAL_PREFIX} {len(unjudged)} of {sent} papers were not judged ({why});"
            " a rerun of the day asks for them again")



def _top_reason(unjudged: list[Judgement]) -> str:
    reasons: dict[str, int] = {}
    for j in unjudged:
        reason = (j.detail or j.outcome.value).split(": ", 1)[-1][:120]
        reasons[reason] = reasons.get(reason, 0) + 1
    reason, count = max(reasons.items(), key=lambda item: item[1])
    return reason if count == len(unjudged) else f"{count} of them: {reason}"


def _may_send(partial: str, judgements: tuple[Judgement, ...], profile: Profile, say: Say) -> bool:
    """Deliveries of a partial day wait for `judge.deliver_partial`; a day where nothing sent
    to the judge was judged sends nothing at all."""
    if not partial:
        return True
    if all(j.outcome in UNJUDGED for j in judgements):
        say("note: no paper was judged: nothing is sent")
        return False
    if not profile.settings.judge.deliver_partial:
        say("note: the day was judged in part: nothing is sent (judge.deliver_partial = false)")
        return False
    return True


def _hindex(store: Store, profile: Profile, rules: PrefilterResult) -> tuple[PrefilterResult, list[str]]:
    """The optional author h-index floor; pinned-author papers are never dropped by it."""
    if profile.settings.filters.h_index_floor <= 0:
        return rules, []
    from papersieve.prefilter.hindex import HIndexFilter

    floor = HIndexFilter.from_profile(profile, store)
    try:
        result = floor.apply([p for p in rules.to_judge if p.id not in rules.pinned])
    finally:
        floor.close()
    dropped = {j.paper_id for j in result.filtered}
    kept = tuple(p for p in rules.to_judge if p.id not in dropped)
    return dataclasses.replace(rules, to_judge=kept, decided=rules.decided + result.filtered), \
        list(result.notes)


def _judge(judge: Judge, papers: tuple[Paper, ...], run_id: int, say: Say) -> JudgeResult:
    def report(p: Progress) -> None:
        say(f"judging: {p.papers_done}/{p.papers_total} papers, {p.calls} calls,"
            f" {p.usage.total_tokens} tokens" + (f" ({p.message})" if p.message else ""))

    say(f"judging {len(papers)} papers with the {judge.name} judge ({judge.model})")
    return judge.judge(papers, run_id, report)


def _retrain(store: Store, profile: Profile, clock: _Clock) -> list[str]:
    """Refresh the local ranker with new labels (when the local judge is installed)."""
    try:
        from papersieve.judges.local import retrain
    except ImportError:
        return []
    with clock.stage("retrain"):
        try:
            retrain(store, profile)
        except Exception as err:  # a failed retrain must not fail a finished day
            return [f"the local ranker was not retrained: {err}"]
    return []
