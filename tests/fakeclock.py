"""A fake clock for the HTTP client's waits: records them and advances instead of sleeping."""

from __future__ import annotations


class Clock:
    """Pass `clock` as the client's clock and `clock.sleep` as its sleep."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now
