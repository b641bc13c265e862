"""SIGTERM and SIGINT during a run: close the run, release its lock, exit, all within seconds.

GitHub cancels a job with SIGINT, then SIGTERM 7.5 s later, then SIGKILL. Raising an exception
would not do: it would wait for the LLM calls in flight on worker threads (up to their timeout)
before any cleanup ran. So `on_termination(cleanup)` makes the signal run `cleanup(signum)` on the
main thread at once and end the process with 128 + signum, leaving the calls in flight unanswered.
A signal that arrives while the main thread is inside a store transaction waits for its end
(`deferred()`, used by Store.transaction), so a reply already received is committed together with
the judgements it paid for, never half.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT)
Cleanup = Callable[[int], None]


class _State:
    cleanup: Cleanup | None = None
    depth = 0
    pending: int | None = None
    firing = False


_state = _State()


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def on_termination(cleanup: Cleanup) -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT call `cleanup(signum)` and end the process.

    Only the main thread can take signals; elsewhere (a web worker, a test thread) this does
    nothing.
    """
    if not _on_main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handle) for signum in SIGNALS}
    _state.cleanup = cleanup
    try:
        yield
    finally:
        _state.cleanup = None
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a termination signal that arrives inside the block until the block ends."""
    if not _on_main_thread():
        yield
        return
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _state.pending is not None:
            _fire(_state.pending)


def _handle(signum: int, frame: FrameType | None) -> None:
    if _state.firing:
        return  # SIGTERM after SIGINT while the cleanup runs: it is already on its way out
    if _state.depth > 0:
        _state.pending = signum
        return
    _fire(signum)


def _fire(signum: int) -> None:
    _state.firing = True
    try:
        if _state.cleanup is not None:
            _state.cleanup(signum)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()
        # Not sys.exit: that would wait for the worker threads' calls in flight.
        os._exit(128 + signum)
