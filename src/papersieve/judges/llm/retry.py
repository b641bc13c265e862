"""When and how a failed call or an unusable reply is tried again: one place for the LLM judge's
backoff and retry rules (so that one HTTP policy for every caller can take them over).

A retry must be able to succeed, so it never sends a deterministic server (temperature 0, a
seed) the bytes it already answered: papers missing from a reply go again without the ones that
were answered; a batch that gave nothing is split; a single paper gets a short corrective turn
naming it. Transport failures (429, 5xx, connection errors) are resent as they were, after a
backoff; a timed-out request is not resent at once, since the server may still be computing it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from papersieve.judges.llm.batching import halves

TRANSPORT_TRIES = 6
MAX_BACKOFF = 30.0
FATAL_STATUSES = (401, 403, 404)
QUEUE_FACTOR = 1.6
"""A call slower than this times the fastest one of its kind (stage, papers), sent while others
were in flight, waited in the server's queue: the server computes fewer requests at once than
we send."""
CORRECTION_CHARS = 1500


@dataclass(frozen=True)
class Correction:
    """A corrective turn: the model's previous reply and what was wrong with it."""

    reply: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    """A batch to send: its papers, the retries they have used, and when it may start."""

    ids: tuple[str, ...]
    attempt: int = 0
    tries: int = 0
    not_before: float = 0.0
    correction: Correction | None = None


def backoff(base: float, tries: int) -> float:
    """Exponential backoff with jitter, bounded (jitter spreads retries of parallel calls)."""
    return float(min(base * (2**tries), MAX_BACKOFF) * (0.5 + random.random() / 2))


def after_timeout(latency: float) -> float:
    """Seconds to wait before resending a timed-out request: as long as it already ran, bounded
    (the server may still be computing it, and one more request would only queue behind it)."""
    return min(max(latency, 1.0), MAX_BACKOFF)


def retry_missing(task: Task, missing: tuple[str, ...], reply_text: str,
                  problems: Sequence[str]) -> list[Task]:
    """The tasks that ask again for papers a reply did not settle (each differs from `task`)."""
    attempt = task.attempt + 1
    if missing != task.ids:
        return [Task(missing, attempt)]
    if len(missing) > 1:
        return [Task(half, attempt) for half in halves(missing)]
    return [Task(missing, attempt, correction=Correction(reply_text[:CORRECTION_CHARS],
                                                         tuple(problems[:3])))]


def correction_text(ids: Sequence[str], problems: Sequence[str], attempt: int, of: int) -> str:
    """The user turn that follows a reply papersieve could not use."""
    why = "; ".join(problems) or "no usable answer"
    return (f"Retry {attempt} of {of}: your reply above gave no usable answer for "
            f"{', '.join(ids)} ({why}). Answer again for exactly this paper, in the format asked "
            "for, with nothing before or after it.")


def slower_than_queue(latency: float, fastest: float | None) -> bool:
    """True when a call's latency shows it waited behind others in the server's queue."""
    return fastest is not None and latency > QUEUE_FACTOR * fastest
