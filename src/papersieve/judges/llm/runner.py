"""The engine of one judging run: batches in flight on worker threads, everything else here.

Worker threads only make HTTP calls. Parsing, retries, the cost cap and every store write happen
on the calling thread as replies arrive, so each batch's judgements are saved the moment its reply
is read (a crash loses at most the calls in flight) and SQLite is used from one thread.

Retries (rules in judges/llm/retry.py), by cause:
- papers missing from a reply (bad lines, invented ids, an empty reply): asked again in a request
  that differs from the failed one, at most `max_retries` times per paper;
- `finish_reason: length`: the unanswered papers are split in two halves;
- a refusal of `response_format` (structured = "auto"): resent in the next weaker form, which is
  remembered for the server and model once it works;
- 429 and 503 (turned away unread): the same request again after Retry-After but at least the
  policy's backoff, with half as many requests in flight;
- other 5xx and connection errors: the same request again, after the `LLM`
  policy's wait (papersieve.outbound), at most its `tries` in all; a timeout: fewer papers, fewer
  requests in flight, and the policy's wait after a timeout first;
- 400 on a batch of several papers: split in halves (a length refusal is remembered, so a rerun
  does not send that size again);
- 401, 403, 404: nothing will work; stop calling.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from papersieve.judges.interface import Progress, ProgressCallback
from papersieve.judges.llm.batching import halves
from papersieve.judges.llm.client import ChatClient, ChatReply, Message
from papersieve.judges.llm.pricing import Price, estimate_cost, usage_with_cost
from papersieve.judges.llm.prompts import Request, Stage, build_request
from papersieve.judges.llm.ratelimit import RateLimiter
from papersieve.judges.llm.retry import (
    FATAL_STATUSES,
    Task,
    correction_text,
    retry_missing,
    slower_than_queue,
)
from papersieve.judges.llm.structured import Mode, is_refusal, response_format, weaker
from papersieve.models import Judgement, Paper, Usage
from papersieve.outbound import LLM, Policy
from papersieve.profile.loader import PromptFiles
from papersieve.store.db import Store
from papersieve.store.llm_calls import CallRecord, record_call
from papersieve.store.llm_servers import remember

REPLY_TOKENS = {"title": 12}
"""Reply tokens per paper of the title stage (an id in a JSON list); the abstract stage's budget
is `judge.reply_tokens_per_paper`."""
REPLY_MARGIN = 64
REASONING_ALLOWANCE = 4096
"""Extra completion tokens a reasoning model may spend thinking, per call."""

REFUSED_UNREAD = frozenset({429, 503})
"""Statuses of a request turned away before it was computed: the server (or a gateway before it)
is full, so fewer requests go in flight and the retry waits at least the backoff."""

Resolver = Callable[[ChatReply, tuple[str, ...]], "Resolution"]


@dataclass(frozen=True)
class Resolution:
    """What one reply settled, what was wrong with it, and which papers to retry one by one."""

    settled: dict[str, Judgement]
    problems: list[str]
    isolate: frozenset[str] = frozenset()
    """Papers whose answers conflicted: retried alone, away from the rest of their batch."""


Saver = Callable[[Sequence[Judgement]], None]


@dataclass(frozen=True)
class Call:
    """Exactly what one request sends."""

    messages: tuple[Message, ...]
    max_tokens: int
    mode: Mode
    response_format: dict[str, Any] | None
    estimate: float
    """Dollars (priced model) or tokens (unpriced) this call may cost, for the caps."""
    in_flight: int
    """Requests already in flight when it was sent."""
    seq: int
    """Its place among the run's requests (0 = the first sent)."""


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
    slots: threading.BoundedSemaphore | None = None
    """A group's bound on requests in flight to this server, across profiles (`shared`)."""
    policy: Policy = LLM
    """How many tries a failed call gets and how long to wait before each (papersieve.outbound)."""
    progress: ProgressCallback | None = None
    server: str = ""
    """Where the calls go (no credentials): the key of what is remembered about the server."""
    mode: Mode = "off"
    negotiate: bool = False
    """structured = "auto": fall back to a weaker form when the server refuses one."""
    remembered_mode: str | None = None
    reply_tokens: int = 160
    token_cap: int = 0
    tldr: bool = False
    """`[outputs] tldr`: the abstract stage's schema asks for a TLDR per paper."""
    adapt: bool = False
    """Find the concurrency from latency (servers that do not publish their slots)."""
    ceiling: int = 1
    """The most requests in flight `adapt` may reach."""
    sent: int = 0
    """Requests sent so far."""
    unqueued: int = 0
    """Replies since the last change of concurrency that showed no queue."""
    batch_limits: dict[str, int] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    successes: int = 0
    spent: float = 0.0
    tokens: int = 0
    """Tokens counted against the token cap (estimates where the server did not report usage)."""
    usage_unknown: int = 0
    """Calls whose reply carried no usable usage."""
    capped: bool = False
    fatal: ChatReply | None = None
    """Set when calling again is pointless: the server refused us (401/403/404) or, before any
    success, never answered through a whole batch's retries."""
    last_failure: ChatReply | None = None
    done: int = 0
    fastest: dict[tuple[str, int], float] = field(default_factory=dict)
    """The lowest latency seen so far per (stage, papers in the call)."""
    answered_modes: set[str] = field(default_factory=set)
    """The structured-output forms of the calls that got a reply."""

    def report(self, message: str = "") -> None:
        """Tell the progress callback where we are."""
        if self.progress is not None:
            self.progress(Progress(self.done, len(self.papers), self.calls, self.usage, message))

    def reply_budget(self, stage: Stage, papers: int) -> int:
        """`max_tokens` of one call: a budget per paper plus a margin (reasoning models more)."""
        per_paper = REPLY_TOKENS.get(stage, self.reply_tokens)
        extra = REASONING_ALLOWANCE if self.client.reasoning else 0
        return per_paper * papers + REPLY_MARGIN + extra


@dataclass
class StageResult:
    """What one stage settled, what failed (with why) and what the cost cap stopped."""

    settled: dict[str, Judgement] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    capped: list[str] = field(default_factory=list)


PROGRESS_ERROR_CHARS = 80
"""How much of a failed call's error a progress line shows."""


class StageRunner:
    """Runs the batches of one stage to completion."""

    def __init__(self, ctx: RunContext, stage: Stage, resolve: Resolver, save: Saver) -> None:
        self.ctx = ctx
        self.stage = stage
        self.resolve = resolve
        self.save = save
        self.queue: deque[Task] = deque()
        self.in_flight: dict[Future[ChatReply], tuple[Task, Request, Call]] = {}
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
                task, request, call = self.in_flight.pop(future)
                self._handle(task, request, call, future.result())
        return self.result

    def _submit_ready(self) -> None:
        while self.queue and len(self.in_flight) < self.ctx.concurrency:
            task = self.queue.popleft()
            if self.ctx.fatal is not None:
                self._fail(task.ids, f"not sent: {self.ctx.fatal.error}")
                continue
            request = build_request(self.ctx.prompts, [self.ctx.papers[i] for i in task.ids], self.stage)
            call = self._call_for(task, request)
            if self.ctx.capped or self._would_pass_cap(call.estimate):
                self.ctx.capped = True
                self.result.capped.extend(task.ids)
                continue
            future = self.ctx.executor.submit(self._send, call, task.not_before)
            self.ctx.sent += 1
            self.in_flight[future] = (task, request, call)

    def _call_for(self, task: Task, request: Request) -> Call:
        messages: list[Message] = [{"role": "system", "content": request.system},
                                   {"role": "user", "content": request.user}]
        if task.correction is not None:
            messages.append({"role": "assistant", "content": task.correction.reply})
            messages.append({"role": "user", "content": correction_text(
                task.ids, task.correction.problems, task.attempt, self.ctx.max_retries)})
        max_tokens = self.ctx.reply_budget(self.stage, len(task.ids))
        prompt_tokens = sum(len(m["content"]) for m in messages) // 4 + 1
        dollars = estimate_cost(prompt_tokens, max_tokens, self.ctx.price)
        estimate = dollars if dollars is not None else float(prompt_tokens + max_tokens)
        mode = self.ctx.mode
        return Call(tuple(messages), max_tokens, mode,
                    response_format(mode, self.stage, task.ids, tldr=self.ctx.tldr),
                    estimate, len(self.in_flight), self.ctx.sent)

    def _would_pass_cap(self, estimate: float) -> bool:
        pending = sum(c.estimate for _, _, c in self.in_flight.values())
        if self.ctx.price is not None:
            return self.ctx.cost_cap > 0 and self.ctx.spent + pending + estimate > self.ctx.cost_cap
        return self.ctx.token_cap > 0 and self.ctx.tokens + pending + estimate > self.ctx.token_cap

    def _send(self, call: Call, not_before: float) -> ChatReply:
        """Runs on a worker thread: wait for the retry time and the rate limit, then call."""
        delay = not_before - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        slots = self.ctx.slots or contextlib.nullcontext()
        with slots:
            self.ctx.limiter.acquire()
            try:
                return self.ctx.client.complete(call.messages, max_tokens=call.max_tokens,
                                                response_format=call.response_format)
            except Exception as err:  # the client never raises; if it ever does, the batch is retried
                return ChatReply(ok=False, error=f"{type(err).__name__}: {err}"[:300])

    def _handle(self, task: Task, request: Request, call: Call, reply: ChatReply) -> None:
        # The call's record and the judgements it paid for are committed together: a run killed
        # (or a disk filled) between two separate commits left a billed call whose papers the
        # rerun asked for again.
        with self.ctx.store.transaction():
            self._account(task, call, reply)
            if reply.ok:
                self.ctx.successes += 1
                self._learn(task, call, reply)
                self._read_reply(task, reply)
            else:
                self.ctx.last_failure = reply
                self._retry_failed_call(task, call, reply)
        # A progress line, not the record (the store keeps the whole error): a server's error text
        # can be long (a refused response_format quoted whole, with its traceback's path).
        outcome = "ok" if reply.ok else f"failed ({reply.error[:PROGRESS_ERROR_CHARS]})"
        self.ctx.report(f"{self.stage} call {self.ctx.calls}: {outcome}")

    def _account(self, task: Task, call: Call, reply: ChatReply) -> None:
        """Record the call in llm_calls and add its tokens and cost to the run's."""
        usage = usage_with_cost(reply.prompt_tokens, reply.completion_tokens, reply.cached_tokens,
                                self.ctx.price)
        if reply.ok and not reply.usage_known:
            # No usable usage (missing, negative, absurd): the cost is unknown, and the caps count
            # what the call could have cost at most, so that a server cannot switch them off.
            self.ctx.usage_unknown += 1
            usage = Usage(0, 0, 0, None, None)
            if self.ctx.price is not None:
                self.ctx.spent += call.estimate
            else:
                self.ctx.tokens += int(call.estimate)
        self.ctx.calls += 1
        self.ctx.usage = self.ctx.usage + usage
        self.ctx.spent += usage.cost or 0.0
        self.ctx.tokens += usage.total_tokens
        record_call(self.ctx.store, CallRecord(
            request_hash=call_hash(self.ctx.model, call, self.ctx.client.options(
                call.max_tokens, call.response_format)),
            model=self.ctx.model, stage=self.stage, paper_ids=task.ids,
            status="ok" if reply.ok else "error", prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens, cached_tokens=reply.cached_tokens,
            cost=usage.cost, latency_ms=int(reply.latency * 1000), finish_reason=reply.finish_reason,
            error=reply.error if not reply.ok else "", raw_reply=reply.text, run_id=self.ctx.run_id,
        ))

    def _learn(self, task: Task, call: Call, reply: ChatReply) -> None:
        """Remember the structured form that worked; lower the concurrency when a queue shows."""
        self.ctx.answered_modes.add(call.mode)
        if self.ctx.negotiate and self.ctx.remembered_mode != call.mode:
            remember(self.ctx.store, self.ctx.server, self.ctx.model, "structured", call.mode)
            self.ctx.remembered_mode = call.mode
        key = (self.stage, len(task.ids))
        fastest = self.ctx.fastest.get(key)
        if self.ctx.adapt:
            self._adapt(call, reply.latency, fastest)
        if fastest is None or reply.latency < fastest:
            self.ctx.fastest[key] = reply.latency

    def _adapt(self, call: Call, latency: float, fastest: float | None) -> None:
        """A server that does not say how many requests it computes at once starts with one.
        When as many replies as are allowed in flight came back without waiting in a queue, twice
        as many are allowed (1, 2, 4, 8, as TCP's slow start), up to the profile's concurrency; a
        reply that waited (slower than the fastest of its kind while another request was in
        flight) halves it and makes that the ceiling (a one-slot server ends at one)."""
        overlapped = call.in_flight > 0 or self.ctx.sent > call.seq + 1
        if overlapped and slower_than_queue(latency, fastest):
            self.ctx.concurrency = max(1, self.ctx.concurrency // 2)
            self.ctx.ceiling = self.ctx.concurrency
            self.ctx.unqueued = 0
        elif self.ctx.concurrency < self.ctx.ceiling:
            self.ctx.unqueued += 1
            if self.ctx.unqueued >= self.ctx.concurrency:
                self.ctx.concurrency = min(self.ctx.ceiling, self.ctx.concurrency * 2)
                self.ctx.unqueued = 0

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
            self.queue.extend(retry_missing(task, missing, reply.text, problems))
        else:
            why = "; ".join(problems[:3]) or "no answer for it in the reply"
            if reply.finish_reason == "length":
                why = "reply cut off (finish_reason length); " + why
            self._fail(missing, f"failed after {task.attempt} retries: {why}")

    def _retry_failed_call(self, task: Task, call: Call, reply: ChatReply) -> None:
        if self._refused_format(call, reply):
            if self.ctx.mode == call.mode:
                self.ctx.mode = weaker(call.mode)
            self.queue.appendleft(task)  # not the papers' failure: resent in the weaker form
        elif reply.status in FATAL_STATUSES:
            self.ctx.fatal = reply
            self._fail(task.ids, reply.error)
        elif reply.status == 400 and len(task.ids) > 1:
            if "context" in reply.error.lower():
                self._remember_length_refusal(len(task.ids))
            self.queue.extend(Task(h, task.attempt) for h in halves(task.ids))
        elif reply.status in REFUSED_UNREAD and task.tries + 1 < self.ctx.policy.tries:
            # Turned away unread (a gateway's limit, an engine's full queue): fewer requests in
            # flight, and a wait of at least the backoff even when the server says "now".
            self._fewer_in_flight()
            wait_for = self.ctx.policy.wait_after_refusal(task.tries + 1, reply.retry_after)
            self.queue.append(Task(task.ids, task.attempt, task.tries + 1, time.monotonic() + wait_for,
                                   task.correction))
        elif reply.timed_out and task.tries + 1 < self.ctx.policy.tries:
            self._fewer_in_flight()
            later = time.monotonic() + self.ctx.policy.wait_after_timeout(reply.latency)
            parts = halves(task.ids) if len(task.ids) > 1 else [task.ids]
            self.queue.extend(Task(p, task.attempt, task.tries + 1, later) for p in parts)
        elif reply.status != 400 and task.tries + 1 < self.ctx.policy.tries:
            wait_for = self.ctx.policy.wait(task.tries + 1, reply.retry_after)
            self.queue.append(Task(task.ids, task.attempt, task.tries + 1, time.monotonic() + wait_for,
                                   task.correction))
        else:
            if reply.status is None and self.ctx.successes == 0:
                # No HTTP reply at all, through every retry, and none before: the server is
                # unreachable (wrong base URL, server down). Stop instead of walking every
                # batch through its own retries (minutes) to the same end.
                self.ctx.fatal = reply
            self._fail(task.ids, f"failed after {task.tries} retries: {reply.error or 'no reply'}")

    def _fewer_in_flight(self) -> None:
        """Halve the requests in flight (at least one), and keep the ceiling there."""
        self.ctx.concurrency = max(1, min(self.ctx.concurrency, len(self.in_flight) + 1) // 2)
        self.ctx.ceiling = min(self.ctx.ceiling, max(self.ctx.concurrency, 1))

    def _refused_format(self, call: Call, reply: ChatReply) -> bool:
        if not self.ctx.negotiate or call.mode == "off":
            return False
        if is_refusal(reply.status, reply.error, call.mode):
            return True
        # llama-cpp-python answers a json_schema request with a bare 500: before this form has
        # worked once, a 500 to it is taken as a refusal (the weaker form is tried, not remembered
        # until it works).
        return (reply.status == 500 and call.mode == "json_schema"
                and self.ctx.remembered_mode != "json_schema")

    def _remember_length_refusal(self, size: int) -> None:
        limit = max(1, size // 2)
        key = f"max_batch_{self.stage}"
        if limit < self.ctx.batch_limits.get(key, size + 1):
            self.ctx.batch_limits[key] = limit
            remember(self.ctx.store, self.ctx.server, self.ctx.model, key, str(limit))

    def _fail(self, ids: Sequence[str], detail: str) -> None:
        for paper_id in ids:
            self.result.failed[paper_id] = detail


def call_hash(model: str, call: Call, options: Mapping[str, Any]) -> str:
    """Hash of everything sent in one call (the `llm_calls` lookup key)."""
    body = json.dumps({"model": model, "messages": call.messages, **options}, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:24]
