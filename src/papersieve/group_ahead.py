"""A group's local judging done ahead in a second process (`run --all --judge-ahead`).

A group's day runs its members one after another in one process: their store writes must
(SQLite has one writer, and `group.in_batches` holds the write lock for a batch of members),
so the machine's second core sat idle. Here a forked process (the crowd's shared paper side
already computed, inherited) walks the same members in the same order ahead of the run: for
each it reads her candidates from the store (its own connection, reading only), applies her
rules and judges them with the crowd, and sends the judgements back. When the run reaches
that member, her judge (`CrowdJudge.judge`) takes them instead of judging again, but only
when they are for exactly the papers she is judging now and the store's inputs of her
judge are unchanged since (her newest local model version, the newest feedback row: a like
pulled from a chat or a catch-up's retraining in between makes it judge again itself). The
judgements are the same either way (the crowd's are deterministic; tests/test_group_ahead.py).

The two processes share the members: a member the run reaches before the process ahead
does is judged by the run, and the process ahead skips her; one it is judging at that moment
is waited for.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from papersieve.ingest import DayFetch
from papersieve.judges.interface import JudgeResult
from papersieve.judges.local.crowd import LocalCrowd
from papersieve.models import Paper
from papersieve.pipeline import profile_candidates
from papersieve.prefilter.rules import prefilter
from papersieve.profile import Profile
from papersieve.store.db import Store, open_store

DayOf = Callable[[Profile], DayFetch]
MIN_MEMBERS = 20
"""Fewest local-crowd members a process ahead is started for (a fork costs more than a few)."""
LEAD = 8
"""Most members the process ahead judges beyond the run's (their judgements wait in memory)."""
_DONE = -2


def inputs_mark(store: Store, profile: str) -> tuple[int, int]:
    """What a crowd member's judge reads of the store besides her candidates, in two numbers:
    her newest local model version and the newest feedback row (likes, of anyone)."""
    row = store.conn.execute(
        "SELECT (SELECT COALESCE(MAX(version), 0) FROM local_models WHERE profile = ?),"
        " (SELECT COALESCE(MAX(id), 0) FROM feedback)", (profile,)).fetchone()
    return int(row[0]), int(row[1])


class JudgeAhead:
    """The run's side: starts the process ahead, takes its judgements (`LocalCrowd.ahead`).

    A thread of the run receives them as they come: the pipe holds 64 KB and a member's
    judgements are ~200 KB, so a process ahead that only sent when the run asked was never more
    than one member ahead, and waited in its send while the run waited for the next member
    whenever one took longer to judge (a tenth of a group's day). It stays at most `LEAD`
    members ahead of the run."""

    def __init__(self, store: Store, crowd: LocalCrowd, members: Sequence[Profile], day_of: DayOf) -> None:
        context = multiprocessing.get_context("fork")
        self.store = store
        self.used = 0
        self._order = {p.name: number for number, p in enumerate(members)}
        self._reached = context.Value("i", -1)  # the run's member: the process ahead skips to after it
        self._working = context.Value("i", -1)  # the member the process ahead is judging
        self._sent = context.Value("i", 0)  # members' judgements sent (the thread counts what it took)
        self._received = 0
        self._results: dict[str, tuple[tuple[str, ...], tuple[int, int], JudgeResult]] = {}
        self._arrived = threading.Condition()
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_ahead, args=(send, store.url or str(store.path), crowd, members, day_of,
                                 self._reached, self._working, self._sent), daemon=True)
        self._process.start()
        send.close()
        self._reader = threading.Thread(target=self._read, name="papersieve-judged-ahead", daemon=True)
        self._reader.start()

    @property
    def members(self) -> int:
        """How many members it judges ahead."""
        return len(self._order)

    def take(self, profile: str, papers: Sequence[Paper]) -> JudgeResult | None:
        """The member's judgements of `papers` from the process ahead (waiting for it when it
        is judging her right now, or they are on their way), or None: not made, or made for
        other papers or inputs."""
        number = self._order.get(profile)
        if number is None:
            return None
        with self._reached.get_lock():
            self._reached.value = number
        with self._arrived:
            while (profile not in self._results and self._reader.is_alive()
                   and (self._working.value == number or self._received < self._sent.value)):
                self._arrived.wait(0.05)
            found = self._results.pop(profile, None)
        if found is None:
            return None
        ids, mark, result = found
        if ids != tuple(p.id for p in papers) or mark != inputs_mark(self.store, profile):
            return None
        self.used += 1
        return result

    def wait_until_done(self, timeout: float) -> bool:
        """Wait for the process ahead to finish every member the run has not reached (tests)."""
        self._process.join(timeout)
        self._reader.join(timeout)
        return not self._process.is_alive()

    def _read(self) -> None:
        """The thread: each member's judgements as they arrive, until the process ahead ends."""
        try:
            while True:
                name, ids, mark, result = self._receive.recv()
                with self._arrived:
                    self._results[name] = (ids, mark, result)
                    self._received += 1
                    self._arrived.notify_all()
        except Exception:  # EOF: the process ahead ended (killed mid-message, perhaps: any
            # error of a message cut short): the run judges the rest itself
            with self._arrived:
                self._arrived.notify_all()

    def close(self) -> None:
        """Stop the process ahead (it may still be working on members the run has judged)."""
        with self._reached.get_lock():
            self._reached.value = len(self._order)
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._reader.join(timeout=5)
        self._receive.close()


@contextmanager
def judging_ahead(store: Store, crowd: LocalCrowd | None, members: Sequence[Profile],
                  day_of: DayOf) -> Iterator[JudgeAhead | None]:
    """`crowd.ahead` set to a `JudgeAhead` over `members` (the crowd's, in the run's order)
    for the block, when there are enough of them and the store is not in memory."""
    local = [p for p in members if crowd is not None and p.name in crowd.profiles
             and p.settings.filters.h_index_floor <= 0]
    if crowd is None or len(local) < MIN_MEMBERS or (not store.url and str(store.path) == ":memory:"):
        yield None
        return
    ahead = JudgeAhead(store, crowd, local, day_of)
    crowd.ahead = ahead
    try:
        yield ahead
    finally:
        crowd.ahead = None
        ahead.close()


def _ahead(send: Any, location: str, crowd: LocalCrowd, members: Sequence[Profile], day_of: DayOf,
           reached: Any, working: Any, sent: Any) -> None:
    """The process ahead: each member the run has not reached yet, in order, at most `LEAD`
    members ahead of it."""
    crowd.ahead = None
    parent = os.getppid()
    try:
        # Read-only: an ordinary open migrates and writes, and waits for the run's write lock.
        with open_store(location, read_only=True) as store:
            crowd.store = store  # never the parent's connection (SQLite and fork)
            for number, profile in enumerate(members):
                while number - reached.value > LEAD:
                    if os.getppid() != parent:  # the run ended (killed): so does this
                        return
                    time.sleep(0.002)
                with reached.get_lock():
                    if reached.value >= number:
                        continue
                    working.value = number
                try:
                    send.send(_judged(store, crowd, profile, day_of))
                    with sent.get_lock():
                        sent.value += 1
                except (OSError, EOFError):  # the run closed its end
                    raise
                except Exception:  # her run meets the same error and reports it
                    pass
                working.value = -1  # after the count: the run waits for her until then
    except Exception:  # the run closed its end, or the store cannot be read here:
        pass  # the run judges the rest itself, and reports what it meets
    finally:
        working.value = _DONE
        send.close()


def _judged(store: Store, crowd: LocalCrowd, profile: Profile, day_of: DayOf
            ) -> tuple[str, tuple[str, ...], tuple[int, int], JudgeResult]:
    mark = inputs_mark(store, profile.name)
    candidates = profile_candidates(store, profile, day_of(profile))
    papers = prefilter(candidates.papers, profile).to_judge
    return profile.name, tuple(p.id for p in papers), mark, crowd.judge_for(profile).judge(papers)
