"""`run --all`: a group's day, every stored profile from one fetch (issue 19).

The day is fetched once for the union of the profiles' categories (one request per category
however many profiles ask for it), then each profile runs its own day through
`pipeline.run_day` on its share of the listings: its own judge, cutoffs, outputs and
deliveries. One profile's failure (a broken stored profile, its SMTP server down, its judge
refused) is that profile's outcome, never the others'. Every email of the group goes through
one SMTP connection per server and user (`deliver.email.smtp_session`).

Resuming a run killed mid-group is the single-profile rerun, profile by profile: locks are per
profile and day, judgements are cached, a channel delivered before is not delivered again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from papersieve.catchup import catch_up, plan_catch_up
from papersieve.chatfeedback import pull_feedback
from papersieve.deliver.email import smtp_session
from papersieve.errors import ConfigError, PapersieveError, StoreError
from papersieve.group_ahead import judging_ahead
from papersieve.ingest import DayFetch, backfill, fetch_day, load_offline_day
from papersieve.interrupts import on_termination
from papersieve.judges.interface import Judge
from papersieve.models import ListingStatus
from papersieve.pipeline import RunReport, newest_offline_day, run_day
from papersieve.profile import Profile
from papersieve.profile.loader import profile_from_files
from papersieve.redact import redact
from papersieve.store.db import Store
from papersieve.store.listings import load_listings
from papersieve.store.profiles import stored_profile, stored_profile_names
from papersieve.today import check_not_future

if TYPE_CHECKING:
    from papersieve.judges.local.crowd import LocalCrowd

Say = Callable[[str], None]
JudgeFor = Callable[[Profile], "Judge | None"]

SEVERITY = (0, 3, 4, 5, 2)
"""Exit codes from the mildest to the worst: done, stale feed, a delivery failed, judged in
part, an error (a profile that could not run its day)."""


def worst(codes: Iterable[int]) -> int:
    """The worst exit code of several (`SEVERITY`); 0 for none."""
    return max(codes, key=lambda code: SEVERITY.index(code) if code in SEVERITY else len(SEVERITY),
               default=0)


@dataclass(frozen=True)
class MemberOutcome:
    """One profile's share of a group run: its caught-up days and the day, or the error that
    stopped it (a profile that could not be loaded has no reports)."""

    name: str
    reports: tuple[RunReport, ...] = ()
    error: str = ""
    notes: tuple[str, ...] = ()
    """Catch-up notes and what the chats' feedback pull said."""

    @property
    def report(self) -> RunReport | None:
        """The day's own report (the last one), if the profile got that far."""
        return self.reports[-1] if self.reports and not self.error else None

    @property
    def exit_code(self) -> int:
        """2 when the profile failed; else the worst of its days' codes."""
        return 2 if self.error else worst(r.exit_code for r in self.reports)

    def line(self) -> str:
        """One line for the group's summary: status, picks and deliveries that failed."""
        if self.error:
            return f"{self.name}: failed: {self.error}"
        report = self.reports[-1]
        count = len(report.digest.picks) if report.digest is not None else 0
        picks = f", {count} pick{'' if count == 1 else 's'}" if report.digest is not None else ""
        failed = [d.channel for r in self.reports for d in r.deliveries if d.status == "failed"]
        delivered = [d.channel for d in report.deliveries if d.status == "ok" and d.channel != "files"]
        parts = [f"{self.name}: {report.status}{picks}"]
        parts += [f"delivered: {', '.join(delivered)}"] if delivered else []
        parts += [f"delivery failed: {', '.join(failed)}"] if failed else []
        parts += [f"{len(self.reports) - 1} missed day(s) caught up"] if len(self.reports) > 1 else []
        return "; ".join(parts)


@dataclass(frozen=True)
class GroupReport:
    """How a group run ended: the day and each profile's outcome, in name order."""

    date: dt.date | None
    members: tuple[MemberOutcome, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        """The worst member's exit code (`SEVERITY`)."""
        return worst(m.exit_code for m in self.members)


def run_all(
    store: Store, profiles: Sequence[Profile], date: dt.date | None = None, *,
    offline_dir: Path | None = None, deliver: bool = True,
    judge_for: JudgeFor | None = None, out_dir: Path | None = None,
    title_stage: bool | None = None, redeliver: bool = False, progress: Say | None = None,
    failed: Sequence[MemberOutcome] = (), workers: int = 1, judge_ahead: bool = False,
) -> GroupReport:
    """Run the day of every profile from one fetch; see the module docstring.

    `judge_for` makes a profile's judge (None: the group's crowds, `crowd_judges`); `out_dir`
    holds one folder per profile (default: each profile's own output folder); `failed` are
    profiles that could not even be loaded, listed in the report as they are. `workers` > 1
    runs the local crowd's profiles in that many processes (`share_out`, `in_workers`);
    `judge_ahead` judges this process's local-crowd members ahead in a second process
    (group_ahead.py). A failed fetch raises (nothing was run); a profile's failure is its outcome.
    """
    say = progress or (lambda _message: None)
    if not profiles:
        return GroupReport(date, tuple(failed))
    fetcher = union_profile(profiles)
    fetched = fetch_group_day(store, fetcher, date, offline_dir, say)
    catching_up = date is None and offline_dir is None
    notes = prefetch_missed_days(store, fetcher, profiles, fetched.date, say) if catching_up else []
    if judge_for is None:
        judge_for, crowd_notes = crowd_judges(store, profiles, say, title_stage=title_stage)
        notes += crowd_notes

    def member(member_store: Store, profile: Profile, member_say: Say) -> MemberOutcome:
        return run_member(member_store, profile, fetched, member_say, judge_for, catching_up=catching_up,
                          out_dir=out_dir / profile.name if out_dir else None,
                          deliver=deliver, title_stage=title_stage, redeliver=redeliver,
                          pull=deliver and offline_dir is None)

    here, shares = share_out(store, profiles, judge_for, workers)
    crowd = judge_for.crowd if isinstance(judge_for, GroupJudges) else None
    if shares and crowd is not None:
        say(f"{sum(map(len, shares)) + len(here)} profiles in {len(shares) + 1} processes")
    if (shares or judge_ahead) and crowd is not None:
        # Done once here, inherited by every worker: the phrase hits, vectors and n-grams.
        crowd.warm(list({e.paper.id: e.paper for x in fetched.listings for e in x.entries}.values()))
    members = list(failed)
    ahead = judging_ahead(store, crowd if judge_ahead else None, here,
                          lambda profile: restrict(fetched, profile.settings.categories))
    # Between members a termination signal has no run to close; each member's run closes its own
    # (`pipeline.run_day`), served by this block's signal handlers.
    with frozen_heap(), in_workers(store, shares, member, judge_for, deliver=deliver) as elsewhere, \
            smtp_session(), ahead as judged_ahead, on_termination(lambda _signum: None):
        for batch in in_batches(store, here, judge_for, member, say, deliver=deliver):
            members += batch
            gc.freeze()  # what a batch leaves alive (its members' reports and digests) stays
        members += elsewhere()
        if judged_ahead is not None:
            say(f"{judged_ahead.used} of {judged_ahead.members} members' judgements made ahead"
                " in a second process")
    members.sort(key=lambda m: m.name)
    return GroupReport(fetched.date, tuple(members), tuple(notes))


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects alive before the members' runs (the day's papers, the crowd's phrase index,
    vectors and models) and, as the block calls `gc.freeze()` again, those that each batch of
    members leaves (their reports and digests: a thousand judgements each) are left out of the
    garbage collector's full passes until the block ends: each pass walked them all, ~140 ms
    at 300 members and growing with them. The processes forked inside (workers, the process
    judging ahead) inherit it, and their pages stay shared."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


RECORD_BATCH = 25
"""Most local-crowd profiles whose writes one transaction commits (`in_batches`)."""
BATCH_SECONDS = 5.0
"""No profile is added to a batch once it has held the store's write lock this long (another
writer waits for it: the web app, a worker; SQLite's busy timeout is 30 s)."""


def sends(profile: Profile) -> bool:
    """True when the profile's day goes out by Slack, email or Telegram."""
    deliver = profile.settings.deliver
    return deliver.slack.enabled or deliver.email.enabled or deliver.telegram.enabled


def in_batches(store: Store, share: Sequence[Profile], judges: JudgeFor | None, member: Member,
               say: Say, *, deliver: bool,
               clock: Callable[[], float] = time.monotonic) -> Iterator[list[MemberOutcome]]:
    """Run `share` one profile after another; consecutive local-crowd profiles' writes are
    committed together, up to `RECORD_BATCH` profiles or `BATCH_SECONDS` a transaction: a day's
    rows of different profiles land on the same index pages (by paper), written once per batch
    instead of once per profile (200 profiles: 1.8 GB written to the disk -> 0.2 GB,
    bench/RESULTS.md). The outcomes come out per batch, once committed; a batch the store could
    not commit (a full disk) is every member's failure. Other judges' profiles (LLM replies are
    paid for) and profiles that send their day out (a message sent must stay recorded as sent,
    or a rerun after a crash would send it twice) commit as they go, as in a single run."""
    crowd = judges.crowd if isinstance(judges, GroupJudges) else None

    def batched(profile: Profile) -> bool:
        return (crowd is not None and RECORD_BATCH > 1 and profile.name in crowd.profiles
                and not (deliver and sends(profile)))

    def one(number: int) -> MemberOutcome:
        profile = share[number - 1]
        say(f"profile {profile.name} ({number} of {len(share)})")
        return member(store, profile, say)

    number = 1
    while number <= len(share):
        if not batched(share[number - 1]):
            yield [one(number)]
            number += 1
            continue
        outcomes: list[MemberOutcome] = []
        started = clock()
        try:
            with store.transaction():
                while (number <= len(share) and batched(share[number - 1])
                       and len(outcomes) < RECORD_BATCH and clock() - started < BATCH_SECONDS):
                    outcomes.append(one(number))
                    number += 1
                    if not store.conn.in_transaction:  # SQLite rolled it back (a full disk)
                        raise StoreError(f"cannot write the store at {store.location}: the"
                                         " transaction was rolled back")
        except Exception as err:  # the batch's own commit: its members' outcome, not the group's
            reason = redact(str(err) if isinstance(err, PapersieveError) else f"{type(err).__name__}: {err}")
            outcomes = [MemberOutcome(o.name, error=f"not recorded: {reason}") for o in outcomes]
        yield outcomes


MIN_SHARE = 20
"""Fewest local-judge profiles a worker process is started for (a fork and its store connection
cost more than judging a few profiles)."""


def share_out(store: Store, profiles: Sequence[Profile], judge_for: JudgeFor | None,
              workers: int) -> tuple[list[Profile], list[list[Profile]]]:
    """The profiles this process runs and each worker process's share: the local crowd's
    profiles in consecutive runs (profiles next to each other often judge the same batch),
    every other profile here (one LLM crowd keeps one rate limit and one cost cap). No worker
    on an in-memory store, or for fewer than `MIN_SHARE` profiles each."""
    crowd = judge_for.crowd if isinstance(judge_for, GroupJudges) else None
    if crowd is None or workers < 2 or (not store.url and str(store.path) == ":memory:"):
        return list(profiles), []
    local = [p for p in profiles if p.name in crowd.profiles]
    workers = min(workers, len(local) // MIN_SHARE)
    if workers < 2:
        return list(profiles), []
    size = -(-len(local) // workers)
    chunks = [local[i:i + size] for i in range(0, len(local), size)]
    names = {p.name for p in local}
    return [*chunks[0], *(p for p in profiles if p.name not in names)], chunks[1:]


Member = Callable[[Store, Profile, Say], MemberOutcome]


@contextmanager
def in_workers(store: Store, shares: Sequence[Sequence[Profile]], member: Member,
               judges: JudgeFor | None, *, deliver: bool) -> Iterator[Callable[[], list[MemberOutcome]]]:
    """Run each share of profiles in a forked process of its own (its own store connection,
    the crowd's shared work inherited), while the caller runs its own share; the function
    yielded waits for them and gives their outcomes. A worker that dies leaves its profiles
    failed with the reason, never the others."""
    if not shares:
        yield list
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    started = []
    for share in shares:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(send, store.url or str(store.path), share,
                                                        member, judges, deliver), daemon=True)
        process.start()
        send.close()
        started.append((share, process, receive))

    def collect() -> list[MemberOutcome]:
        outcomes: list[MemberOutcome] = []
        for share, process, receive in started:
            done: dict[str, MemberOutcome] = {}
            try:
                while len(done) < len(share):
                    outcome = receive.recv()
                    done[outcome.name] = outcome
            except (EOFError, OSError):
                pass
            process.join()
            outcomes += [done.get(p.name) or MemberOutcome(
                p.name, error=f"its worker process ended without an outcome (exit code {process.exitcode})")
                for p in share]
        return outcomes

    try:
        yield collect
    finally:
        for _share, process, receive in started:
            if process.is_alive():
                process.join(timeout=0)
            receive.close()


def _worker(send: Any, location: str, share: Sequence[Profile], member: Member,
            judges: JudgeFor | None, deliver: bool) -> None:
    """One worker process: its own connection to the store, its profiles one after another."""
    from papersieve.store.db import open_store

    sent: set[str] = set()
    try:
        with open_store(location) as store:
            if isinstance(judges, GroupJudges) and judges.crowd is not None:
                judges.crowd.store = store  # never the parent's connection (SQLite and fork)
            with smtp_session():
                for batch in in_batches(store, share, judges, member, lambda _message: None,
                                        deliver=deliver):
                    # Each outcome as soon as it is recorded: a worker dying later loses none.
                    for outcome in batch:
                        send.send(outcome)
                        sent.add(outcome.name)
    except Exception as err:  # the store could not be opened: the rest of the share's outcome
        reason = redact(str(err) if isinstance(err, PapersieveError) else f"{type(err).__name__}: {err}")
        for p in share:
            if p.name not in sent:
                send.send(MemberOutcome(p.name, error=f"its worker process failed: {reason}"))
    send.close()


@dataclass(frozen=True)
class GroupJudges:
    """The group's judges: the local-judge profiles' from one `LocalCrowd` (`crowd`), the `llm`
    profiles' from one LLM crowd (`llm_for`); None (`run_day` makes its own) for any other."""

    crowd: LocalCrowd | None
    llm_for: JudgeFor

    def __call__(self, profile: Profile) -> Judge | None:
        if self.crowd is not None and profile.name in self.crowd.profiles:
            return self.crowd.judge_for(profile)
        return self.llm_for(profile)


def crowd_judges(store: Store, profiles: Sequence[Profile], say: Say, *,
                 title_stage: bool | None = None) -> tuple[GroupJudges, list[str]]:
    """The local-judge profiles' judges as one crowd (judges/local/crowd.py: the paper side
    computed once, the profiles scored from it), after retraining those with new labels within
    the group's `train_budget`; the `llm` profiles' judges as one LLM crowd (judges/llm/crowd.py:
    one bound on requests in flight and one rate limit per server, the group's cost cap); every
    other profile gets its own judge from `run_day`."""
    from papersieve.judges.local.crowd import LocalCrowd

    llm_for = llm_crowd_judges(store, profiles, title_stage)
    local = [p for p in profiles if p.settings.judge.kind == "local"]
    if not local:
        return GroupJudges(None, llm_for), []
    crowd = LocalCrowd(store, local)
    say(f"retraining the local judges with new labels ({len(local)} local profiles)")
    training = crowd.retrain_waiting()
    notes = [f"{name}: retraining left for the next day (the group's train_budget of"
             f" {crowd.train_budget:g} s was spent)" for name in training.deferred]
    notes += [f"{name}: retraining failed: {redact(error)}" for name, error in training.failed.items()]
    return GroupJudges(crowd, llm_for), notes


def llm_crowd_judges(store: Store, profiles: Sequence[Profile], title_stage: bool | None) -> JudgeFor:
    """The `llm` profiles' judges through one `LLMCrowd` (None for any other profile, and for all
    of them when no key is set: `run_day` then falls back and says so)."""
    from papersieve.judges.llm.crowd import LLMCrowd
    from papersieve.judges.llm.keys import resolve_api_key

    llm = [p for p in profiles if p.settings.judge.kind == "llm"]
    if not llm or not resolve_api_key(None):
        return lambda _profile: None
    crowd = LLMCrowd(store, llm)
    names = {p.name for p in llm}
    return lambda profile: (crowd.judge_for(profile, title_stage=title_stage)
                            if profile.name in names else None)


def run_member(store: Store, profile: Profile, fetched: DayFetch, say: Say, judge_for: JudgeFor | None,
            *, catching_up: bool, out_dir: Path | None, deliver: bool, title_stage: bool | None,
            redeliver: bool, pull: bool) -> MemberOutcome:
    reports: list[RunReport] = []
    notes: list[str] = []
    try:
        if pull:
            notes += [p.summary for p in pull_feedback(store, profile, say)]
        if catching_up:
            earlier, caught = catch_up(store, profile, fetched.date, out_dir=out_dir, progress=say,
                                       deliver=deliver)
            reports += earlier
            notes += [f"Catch-up: {note}" for note in caught]
        judge = judge_for(profile) if judge_for is not None else None
        reports.append(run_day(store, profile, fetched.date, title_stage=title_stage,
                               out_dir=out_dir, progress=say, judge=judge, deliver=deliver,
                               fetched=restrict(fetched, profile.settings.categories),
                               redeliver=redeliver))
    except Exception as err:
        # Whatever stops one member's day (her SMTP server, her judge's key, a bug her profile
        # alone reaches) is her outcome; the next member still gets her digest.
        message = str(err) if isinstance(err, PapersieveError) else f"{type(err).__name__}: {err}"
        say(f"{profile.name}: failed: {message}")
        return MemberOutcome(profile.name, tuple(reports), redact(message), tuple(notes))
    return MemberOutcome(profile.name, tuple(reports), notes=tuple(notes))


def union_profile(profiles: Sequence[Profile]) -> Profile:
    """The profile that fetches for the group: the first one's endpoints and download limits,
    the union of every profile's categories (in first-seen order)."""
    categories = list(dict.fromkeys(c for p in profiles for c in p.settings.categories))
    first = profiles[0]
    settings = first.settings.model_copy(update={"categories": tuple(categories)})
    return dataclasses.replace(first, settings=settings)


def restrict(fetched: DayFetch, categories: Sequence[str]) -> DayFetch:
    """The group's day as one profile sees it: its categories' listings, with the day's
    outcome decided again from them (another category's stale feed is not hers)."""
    wanted = set(categories)
    listings = tuple(x for x in fetched.listings if x.category in wanted)
    if all(x.status is ListingStatus.MISSING for x in listings):
        # No data at all for her categories (an offline folder without their files): as for a
        # single run, an error that records nothing, never "no announcement" (issue 17).
        raise ConfigError(f"no data for {', '.join(categories)} on {fetched.date} (nothing"
                          " recorded for this profile; check the date, folder or categories)")
    stale = [x.note for x in listings if x.status is ListingStatus.STALE and x.note]
    if stale:
        status, message = ListingStatus.STALE, "; ".join(stale)
    elif any(x.entries for x in listings):
        total = sum(len(x.entries) for x in listings)
        status, message = ListingStatus.OK, f"{total} entries for {fetched.date}"
    elif fetched.status in (ListingStatus.OK, ListingStatus.STALE):
        status, message = ListingStatus.NO_ANNOUNCEMENT, f"no announcement for {fetched.date}"
    else:
        status, message = fetched.status, fetched.message
    return DayFetch(fetched.date, listings, status, message)


def fetch_group_day(store: Store, fetcher: Profile, date: dt.date | None, offline_dir: Path | None,
           say: Say) -> DayFetch:
    """The day for every category at once: from the offline folder, else from the store when
    an earlier run stored it whole, else from the feeds."""
    if date is not None:
        check_not_future(date, what="the day asked for")
    categories = fetcher.settings.categories
    if offline_dir is not None:
        day = date or newest_offline_day(offline_dir)
        say(f"reading {day} from {offline_dir}")
        return load_offline_day(store, offline_dir, day, categories)
    if date is not None:
        listings = load_listings(store, date, categories)
        if len(listings) == len(categories) and all(x.status is ListingStatus.OK for x in listings):
            say(f"{date}: stored listing")
            return DayFetch(date, tuple(listings), ListingStatus.OK, f"{date}: stored listing")
    return fetch_day(store, fetcher, date, progress=say)


def prefetch_missed_days(store: Store, fetcher: Profile, profiles: Sequence[Profile],
                          today: dt.date, say: Say) -> list[str]:
    """Back-fill each day some profile missed once, for every category, before the profiles'
    own catch-up runs read it from the store (one API query per day, not one per profile)."""
    days = sorted({day for p in profiles for day in plan_catch_up(store, p, today).days})
    notes = []
    for day in days:
        if len(load_listings(store, day, fetcher.settings.categories)) == len(fetcher.settings.categories):
            continue
        try:
            backfill(store, fetcher, day, day, via="api", progress=say)
        except PapersieveError as err:
            notes.append(f"missed day {day} not fetched for the group: {err}")
    return notes


def stored_members(store: Store) -> tuple[list[Profile], list[MemberOutcome]]:
    """Every stored profile as a Profile, and the ones that cannot be loaded (damaged, or invalid
    since a release changed a setting) as failed outcomes: one broken profile stops no one."""
    profiles: list[Profile] = []
    broken: list[MemberOutcome] = []
    for name in stored_profile_names(store):
        try:
            row = stored_profile(store, name)
            if row is not None:
                profiles.append(profile_from_files(row.files, row.name))
        except PapersieveError as err:
            broken.append(MemberOutcome(name, error=f"cannot load the stored profile: {err}"))
    return profiles, broken
