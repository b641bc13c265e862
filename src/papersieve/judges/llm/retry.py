"""When and how an unusable reply is tried again: the LLM judge's retry rules. How often and after
how long a failed call is resent (429, 5xx, connection errors, timeouts) is the `LLM` policy of
`papersieve.outbound` (its `tries`, `wait` and `wait_after_timeout`).

A retry must be able to succeed, so it never sends a deterministic server (temperature 0, a
seed) the bytes it already answered: papers missing from a reply go again without the ones that
were answered; a batch that gave nothing is split; a single paper gets a short corrective turn
naming it. Transport failures (429, 5xx, connection errors) are resent as they were, after a
backoff; a timed-out request is not resent at once, since the server may still be computing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from papersieve.judges.llm.batching import halves

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
