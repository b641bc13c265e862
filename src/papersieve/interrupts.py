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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

from papersieve.redact import redact

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
    if _state.cleanup is not None:  # inside another block (a group's day, around each member's
        # run): its handlers and forwarder serve, with this block's cleanup (a thread and a
        # pipe per member cost a group's day of 1,000 members a second or two)
        outer, _state.cleanup = _state.cleanup, cleanup
        try:
            yield
        finally:
            _state.cleanup = outer
        return
    previous = {signum: signal.signal(signum, _handle) for signum in SIGNALS}
    _state.cleanup = cleanup
    forwarder = _Forwarder()
    try:
        yield
    finally:
        forwarder.stop()
        _state.cleanup = None
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Forwarder:
    """Wakes the main thread for a signal that the kernel gave to another thread.

    Linux delivers a process's signal to any thread that does not block it. When a worker thread
    (waiting on the LLM's socket) takes it, Python only flags it for the main thread, and a main
    thread blocked on a lock (waiting for the workers' futures) is, as far as we can tell, not
    woken: the handler waited for a call to end. Without this, the child of
    tests/test_run_lease.py hung until the test's timeout in 3 of 44 runs (2 of them while
    redact.current() still had a lock); with it, in none of 90. Python writes each signal's
    number to the wakeup fd whichever thread took it; this thread reads it and, if the main
    thread has not acted on it, sends the signal to the main thread itself.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._previous = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._main = threading.main_thread().ident or 0
        self._thread = threading.Thread(target=self._run, name="signal-forwarder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while data := os.read(self._read, 16):
            time.sleep(0.05)  # the main thread acts within microseconds if it took the signal
            if not _state.firing and _state.pending is None and _state.cleanup is not None:
                signal.pthread_kill(self._main, data[-1])

    def stop(self) -> None:
        signal.set_wakeup_fd(self._previous)
        os.close(self._write)  # the reader sees the end of the pipe and stops
        self._thread.join(timeout=1)
        os.close(self._read)


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
        if _state.depth == 0 and _state.pending is not None and not _state.firing:
            _fire(_state.pending)


def notice(text: str) -> None:
    """One line to stderr from a signal handler. Not print(): the handler may run inside a write
    to sys.stderr that the signal interrupted (a full pipe), and a buffered stream refuses a
    reentrant write with RuntimeError. What is buffered goes out first, if it can, then the
    line, redacted, straight to the file descriptor."""
    _flush()
    with suppress(OSError):
        os.write(2, (redact(text) + "\n").encode("utf-8", "replace"))


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, RuntimeError):
            stream.flush()


def _handle(signum: int, frame: FrameType | None) -> None:
    if _state.firing:
        return  # SIGTERM after SIGINT while the cleanup runs: it is already on its way out
    if _state.depth > 0:
        _state.pending = signum
        return
    _fire(signum)


def _fire(signum: int) -> None:
    # Firing once: the cleanup's own store transactions end in `deferred()` too, and must not
    # fire the pending signal again (that recursed until RecursionError, about 1 run in 20).
    _state.firing, _state.pending = True, None
    try:
        if _state.cleanup is not None:
            _state.cleanup(signum)
    except Exception as err:  # the exit must happen; say why the cleanup did not
        notice(f"interrupted by {signal.Signals(signum).name}; closing the run failed:"
               f" {type(err).__name__}: {err}")
    finally:
        _flush()
        # Not sys.exit: that would wait for the worker threads' calls in flight.
        os._exit(128 + signum)
