"""The engine of one judging run: batches in flight on worker threads, everything else here.

Worker threads only make HTTP calls. Parsing, retries, the cost cap and every store write happen
on the calling thread as replies arrive, so each batch's judgements are saved the moment its reply
is read (a crash loses at most the calls in flight) and SQLite is used from one thread.

Retries, by cause:
- papers missing from a reply (bad lines, invented ids, an empty reply): exactly those papers are
  sent again as a new batch, at most `max_retries` times per paper;
- `finish_reason: length`: the unanswered papers are split in two halves (not counted as a retry
  until a single paper remains);
- 429 (after Retry-After), 5xx, timeouts and connection errors: the same request again, with
  bounded exponential backoff, at most `TRANSPORT_TRIES` times;
- 400 on a batch of several papers: split in halves (the request may be too long);
- 401, 403, 404: nothing will work; stop calling.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from papersieve.judges.interface import Progress, ProgressCallback
from papersieve.judges.llm.batching import halves
from papersieve.judges.llm.client import ChatClient, ChatReply
from papersieve.judges.llm.pricing import Price, estimate_cost, usage_with_cost
from papersieve.judges.llm.prompts import Request, Stage, build_request, request_hash
from papersieve.judges.llm.ratelimit import RateLimiter
from papersieve.models import Judgement, Paper, Usage
from papersieve.profile.loader import PromptFiles
from papersieve.store.db import Store
from papersieve.store.llm_calls import CallRecord, record_call

TRANSPORT_TRIES = 6
MAX_BACKOFF = 30.0
FATAL_STATUSES = (401, 403, 404)
COMPLETION_ESTIMATE = {"title": 8, "abstract": 60}
"""Tokens per paper assumed for a reply not yet received (for the cost cap)."""

Resolver = Callable[[ChatReply, tuple[str, ...]], "Resolution"]


@dataclass(frozen=True)
class Resolution:
    """What one reply settled, what was wrong with it, and which papers to retry one by one."""

    settled: dict[str, Judgement]
    problems: list[str]
    isolate: frozenset[str] = frozenset()
    """Papers whose answers conflicted: retried alone, away from the rest of their batch."""
"""Reads a reply: the judgements it settles (by paper id) and its problems."""
Saver = Callable[[Sequence[Judgement]], None]


@dataclass(frozen=True)
class Task:
    """A batch to send: its papers, the retries they have used, and when it may start."""

    ids: tuple[str, ...]
    attempt: int = 0
    tries: int = 0
    not_before: float = 0.0


@dataclass
class RunContext:
    """State shared by both stages of one `judge()` call."""

    client: ChatClient
    limiter: RateLimiter
    executor: ThreadPoolExecutor
    store: Store
    prompts: PromptFiles
    model: str
    price: Price | None
    papers: Mapping[str, Paper]
    concurrency: int
    max_retries: int
    cost_cap: float
    run_id: int | None = None
    backoff: float = 1.0
    progress: ProgressCallback | None = None
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    successes: int = 0
    spent: float = 0.0
    capped: bool = False
    fatal: ChatReply | None = None
    """Set when calling again is pointless: the server refused us (401/403/404) or, before any
    success, never answered through a whole batch's retries."""
    last_failure: ChatReply | None = None
    done: int = 0

    def report(self, message: str = "") -> None:
        """Tell the progress callback where we are."""
        if self.progress is not None:
            self.progress(Progress(self.done, len(self.papers), self.calls, self.usage, message))


@dataclass
class StageResult:
    """What one stage settled, what failed (with why) and what the cost cap stopped."""

    settled: dict[str, Judgement] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    capped: list[str] = field(default_factory=list)


class StageRunner:
    """Runs the batches of one stage to completion."""

    def __init__(self, ctx: RunContext, stage: Stage, resolve: Resolver, save: Saver) -> None:
        self.ctx = ctx
        self.stage = stage
        self.resolve = resolve
        self.save = save
        self.queue: deque[Task] = deque()
        self.in_flight: dict[Future[ChatReply], tuple[Task, Request, float]] = {}
        self.result = StageResult()

    def run(self, batches: Sequence[tuple[str, ...]]) -> StageResult:
        """Send every batch (and its retries); returns when nothing is queued or in flight."""
        self.queue.extend(Task(b) for b in batches if b)
        while self.queue or self.in_flight:
            self._submit_ready()
            if not self.in_flight:
                continue
            finished, _ = wait(list(self.in_flight), return_when=FIRST_COMPLETED)
            for future in finished:
                task, request, _ = self.in_flight.pop(future)
                self._handle(task, request, future.result())
        return self.result

    def _submit_ready(self) -> None:
        while self.queue and len(self.in_flight) < self.ctx.concurrency:
            task = self.queue.popleft()
            if self.ctx.fatal is not None:
                self._fail(task.ids, f"not sent: {self.ctx.fatal.error}")
                continue
            request = build_request(self.ctx.prompts, [self.ctx.papers[i] for i in task.ids], self.stage)
            estimate = self._estimate(request)
            if self.ctx.capped or self._would_pass_cap(estimate):
                self.ctx.capped = True
                self.result.capped.extend(task.ids)
                continue
            future = self.ctx.executor.submit(self._call, request, task.not_before)
            self.in_flight[future] = (task, request, estimate)

    def _estimate(self, request: Request) -> float:
        prompt_tokens = (len(request.system) + len(request.user)) // 4 + 1
        completion = COMPLETION_ESTIMATE[self.stage] * len(request.paper_ids)
        return estimate_cost(prompt_tokens, completion, self.ctx.price) or 0.0

    def _would_pass_cap(self, estimate: float) -> bool:
        if self.ctx.cost_cap <= 0 or self.ctx.price is None:
            return False
        pending = sum(e for _, _, e in self.in_flight.values())
        return self.ctx.spent + pending + estimate > self.ctx.cost_cap

    def _call(self, request: Request, not_before: float) -> ChatReply:
        """Runs on a worker thread: wait for the retry time and the rate limit, then call."""
        delay = not_before - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.ctx.limiter.acquire()
        try:
            return self.ctx.client.complete(request.system, request.user)
        except Exception as err:  # the client never raises; if it ever does, the batch is retried
            return ChatReply(ok=False, error=f"{type(err).__name__}: {err}"[:300])

    def _handle(self, task: Task, request: Request, reply: ChatReply) -> None:
        # The call's record and the judgements it paid for are committed together: a run killed
        # (or a disk filled) between two separate commits left a billed call whose papers the
        # rerun asked for again.
        with self.ctx.store.transaction():
            self._account(request, reply)
            if reply.ok:
                self.ctx.successes += 1
                self._read_reply(task, reply)
            else:
                self.ctx.last_failure = reply
                self._retry_failed_call(task, reply)
        self.ctx.report(f"{self.stage} call {self.ctx.calls}: {'ok' if reply.ok else reply.error}")

    def _account(self, request: Request, reply: ChatReply) -> None:
        """Record the call in llm_calls and add its tokens and cost to the run's."""
        usage = usage_with_cost(reply.prompt_tokens, reply.completion_tokens, reply.cached_tokens,
                                self.ctx.price)
        self.ctx.calls += 1
        self.ctx.usage = self.ctx.usage + usage
        self.ctx.spent += usage.cost or 0.0
        record_call(self.ctx.store, CallRecord(
            request_hash=request_hash(request, self.ctx.model, self.ctx.client.temperature,
                                      self.ctx.client.seed),
            model=self.ctx.model, stage=self.stage, paper_ids=request.paper_ids,
            status="ok" if reply.ok else "error", prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens, cached_tokens=reply.cached_tokens,
            cost=usage.cost, latency_ms=int(reply.latency * 1000), finish_reason=reply.finish_reason,
            error=reply.error if not reply.ok else "", raw_reply=reply.text, run_id=self.ctx.run_id,
        ))

    def _read_reply(self, task: Task, reply: ChatReply) -> None:
        resolution = self.resolve(reply, task.ids)
        settled, problems = resolution.settled, resolution.problems
        if settled:
            self.save(list(settled.values()))
            self.result.settled.update(settled)
        missing = tuple(i for i in task.ids if i not in settled)
        if not missing:
            return
        alone = [i for i in missing if i in resolution.isolate and len(missing) > 1]
        if alone and task.attempt < self.ctx.max_retries:
            self.queue.extend(Task((i,), task.attempt + 1) for i in alone)
            missing = tuple(i for i in missing if i not in alone)
            if not missing:
                return
        if reply.finish_reason == "length" and len(missing) > 1:
            self.queue.extend(Task(h, task.attempt) for h in halves(missing))
        elif task.attempt < self.ctx.max_retries:
            self.queue.append(Task(missing, task.attempt + 1))
        else:
            why = "; ".join(problems[:3]) or "no answer for it in the reply"
            if reply.finish_reason == "length":
                why = "reply cut off (finish_reason length); " + why
            self._fail(missing, f"failed after {task.attempt} retries: {why}")

    def _retry_failed_call(self, task: Task, reply: ChatReply) -> None:
        if reply.status in FATAL_STATUSES:
            self.ctx.fatal = reply
            self._fail(task.ids, reply.error)
        elif reply.status == 400 and len(task.ids) > 1:
            self.queue.extend(Task(h, task.attempt) for h in halves(task.ids))
        elif reply.status != 400 and task.tries + 1 < TRANSPORT_TRIES:
            wait_for = reply.retry_after if reply.retry_after is not None else self._backoff(task.tries)
            self.queue.append(Task(task.ids, task.attempt, task.tries + 1, time.monotonic() + wait_for))
        else:
            if reply.status is None and self.ctx.successes == 0:
                # No HTTP reply at all, through every retry, and none before: the server is
                # unreachable (wrong base URL, server down). Stop instead of walking every
                # batch through its own retries (minutes) to the same end.
                self.ctx.fatal = reply
            self._fail(task.ids, f"failed after {task.tries} retries: {reply.error or 'no reply'}")

    def _backoff(self, tries: int) -> float:
        """Exponential backoff with jitter, bounded (jitter spreads retries of parallel calls)."""
        return float(min(self.ctx.backoff * (2**tries), MAX_BACKOFF) * (0.5 + random.random() / 2))

    def _fail(self, ids: Sequence[str], detail: str) -> None:
        for paper_id in ids:
            self.result.failed[paper_id] = detail
