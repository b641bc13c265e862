"""The per-minute call limit, on a simulated clock (no real waiting, no timing assertions)."""

from __future__ import annotations

from papersieve.judges.llm.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_at_most_n_calls_in_any_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock.time, sleep=clock.sleep)
    starts = []
    for _ in range(7):
        limiter.acquire()
        starts.append(clock.now)
        clock.now += 1.0  # each call takes a second
    assert starts == [0.0, 1.0, 2.0, 60.0, 61.0, 62.0, 120.0]
    assert all(b - a >= 60.0 for a, b in zip(starts, starts[3:], strict=False))


def test_a_burst_within_the_limit_does_not_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(600, clock=clock.time, sleep=clock.sleep)
    assert [limiter.acquire() for _ in range(50)] == [0.0] * 50
    assert clock.sleeps == []
