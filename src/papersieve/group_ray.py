"""`run --all --ray`: a group's day with the profiles' work spread over a Ray cluster (issue 20).

The driver fetches the day once, as `group.run_all` does, and splits the stored profiles' names
into batches; each batch is one Ray task that opens the PostgreSQL store itself (a SQLite file
cannot be shared by machines, so `--ray` refuses one), loads its profiles from it and runs each
through the same `group.run_member` as the plain run, with the fetched day passed in. The
report, the summary and the exit code are the plain run's.

A task whose worker dies (a SIGKILL, a lost node) is run again by Ray (`max_retries`). The rerun
is the single-profile rerun: the dead holder's run lock is broken (same host: its process is
gone; another host: its lease has passed), the replies it recorded are the judgement cache, and a
channel it delivered is not delivered again, so no paper is judged or billed twice.

Ray is imported here only, and this module only by `run --all --ray`: a plain run never loads it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papersieve.deliver.email import smtp_session
from papersieve.errors import ConfigError
from papersieve.group import (
    GroupReport,
    MemberOutcome,
    Say,
    crowd_judges,
    fetch_group_day,
    prefetch_missed_days,
    run_member,
    union_profile,
)
from papersieve.ingest import DayFetch
from papersieve.profile import Profile
from papersieve.profile.loader import profile_from_files
from papersieve.redact import redact
from papersieve.store.db import Store, open_store
from papersieve.store.profiles import stored_profile

MAX_RETRIES = 3
"""How many times Ray runs a task again whose worker died."""
FORWARDED = ("PAPERSIEVE_", "OPENAI_BASE_URL")
"""The driver's settings a task takes over (its store, endpoints, judge, home). Keys are not
sent: a worker reads OPENAI_API_KEY, SMTP_PASSWORD and the like from its own environment."""
SECRETS = ("KEY", "TOKEN", "PASSWORD", "SECRET")


@dataclass(frozen=True)
class BatchJob:
    """What one task needs: the store, its profiles' names and the group's day."""

    url: str
    names: tuple[str, ...]
    fetched: DayFetch
    catching_up: bool
    out_dir: Path | None
    deliver: bool
    title_stage: bool | None
    redeliver: bool
    pull: bool
    env: Mapping[str, str]


def run_all_on_ray(
    store: Store, profiles: Sequence[Profile], date: dt.date | None = None, *, address: str,
    offline_dir: Path | None = None, deliver: bool = True, out_dir: Path | None = None,
    title_stage: bool | None = None, redeliver: bool = False, progress: Say | None = None,
    failed: Sequence[MemberOutcome] = (), batch_size: int = 0,
) -> GroupReport:
    """`run_all` with the profiles run as Ray tasks; see the module docstring.

    `address` is `auto` (the cluster this process or this machine runs, else a new local one)
    or a cluster's address; `batch_size` profiles per task (0: about two tasks per CPU).
    """
    if not store.postgres:
        raise ConfigError("--ray needs the PostgreSQL store (PAPERSIEVE_DB=postgresql://...): the"
                          f" SQLite file {store.location} cannot be shared by Ray's workers")
    say = progress or (lambda _message: None)
    if not profiles:
        return GroupReport(date, tuple(failed))
    ray = _connect(address)
    fetcher = union_profile(profiles)
    fetched = fetch_group_day(store, fetcher, date, offline_dir, say)
    catching_up = date is None and offline_dir is None
    notes = prefetch_missed_days(store, fetcher, profiles, fetched.date, say) if catching_up else []
    names = [p.name for p in profiles]
    size = batch_size or max(1, -(-len(names) // (2 * _cpus(ray))))
    batches = [tuple(names[i:i + size]) for i in range(0, len(names), size)]
    env = {k: v for k, v in os.environ.items()
           if k.startswith(FORWARDED) and not any(s in k for s in SECRETS)}
    task = ray.remote(max_retries=MAX_RETRIES, num_cpus=1)(run_batch)
    say(f"{len(names)} profiles in {len(batches)} Ray tasks")
    refs = [task.remote(BatchJob(store.url, batch, fetched, catching_up, out_dir, deliver,
                                 title_stage, redeliver, deliver and offline_dir is None, env))
            for batch in batches]
    members = list(failed)
    for batch, ref in zip(batches, refs, strict=True):
        try:
            result = ray.get(ref)
            members += result.outcomes
            notes += result.notes
        except Exception as err:  # the task failed for good (retries spent): its profiles' outcome
            members += [MemberOutcome(name, error=_why(err)) for name in batch]
    members.sort(key=lambda m: m.name)
    return GroupReport(fetched.date, tuple(members), tuple(notes))


@dataclass(frozen=True)
class BatchResult:
    """What one task returns: its profiles' outcomes, and the notes of its crowd (retraining
    left for the next day or failed), which the plain run prints too."""

    outcomes: list[MemberOutcome]
    notes: list[str]


def run_batch(job: BatchJob) -> BatchResult:
    """One task: the batch's profiles from the store, each through the plain run's member code."""
    for name in [k for k in os.environ if k.startswith(FORWARDED) and k not in job.env]:
        del os.environ[name]  # a reused worker keeps no earlier driver's settings
    os.environ.update(job.env)
    outcomes: list[MemberOutcome] = []
    with open_store(job.url) as store, smtp_session():
        profiles = []
        for name in job.names:
            row = stored_profile(store, name)
            if row is None:
                outcomes.append(MemberOutcome(name, error="the stored profile is gone"))
                continue
            try:
                profiles.append(profile_from_files(row.files, row.name))
            except Exception as err:
                outcomes.append(MemberOutcome(name, error=f"cannot load the stored profile: {err}"))
        # The batch's local profiles as one crowd, as in the plain run (group.crowd_judges).
        judge_for, notes = crowd_judges(store, profiles, lambda _message: None)
        for profile in profiles:
            outcomes.append(run_member(
                store, profile, job.fetched, lambda _message: None, judge_for,
                catching_up=job.catching_up,
                out_dir=job.out_dir / profile.name if job.out_dir else None, deliver=job.deliver,
                title_stage=job.title_stage, redeliver=job.redeliver, pull=job.pull))
    return BatchResult(outcomes, notes)


def _connect(address: str) -> Any:
    """Ray, connected to the cluster `address` names (see `run_all_on_ray`)."""
    try:
        import ray
    except ImportError as err:
        raise ConfigError("--ray needs Ray: pip install 'papersieve[ray]'") from err
    if not ray.is_initialized():
        try:
            ray.init(address=None if address == "auto" else address, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        except (ConnectionError, ValueError, RuntimeError) as err:
            raise ConfigError(f"cannot reach the Ray cluster at {address}: {err}") from err
    return ray


def _why(err: Exception) -> str:
    """One line for a task that failed for good: the task's own error when Ray carries it."""
    cause = getattr(err, "cause", None)
    inner = cause if isinstance(cause, Exception) else err
    text = str(inner).strip().splitlines()
    return redact(f"Ray task failed: {type(inner).__name__}: {text[0] if text else ''}")


def _cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
