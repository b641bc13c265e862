"""What a group's profiles share when they call LLM servers (issue 19; `crowd.LLMCrowd` hands it out).

Each server (base URL and key) gets one `ServerShare`: one per-minute limit and one bound on the
requests in flight, whichever profile sends them (the smallest `calls_per_minute` and
`concurrency` of the profiles that call it), so a hundred profiles judged one after another, or
side by side, never send a server more than one profile would. `GroupBudget` is the group run's
cost cap across profiles (`judge.group_cost_cap`), on top of each profile's own `cost_cap`: a
profile starts with the smaller of its cap and what is left of the group's, and what it spent is
taken off before the next one starts.

The prompt of every call puts what does not change first (system prompt, topics, criteria, then
the papers), so a provider or vLLM caches each profile's prefix (`prompts.user_prompt`).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from papersieve.judges.llm.ratelimit import RateLimiter

NOTHING_LEFT = 1e-12
"""The cap of a profile that starts after the group's budget is spent: above 0 (which means no
cap), below any call's cost, so every paper it would send ends `cost_cap`."""


@dataclass
class ServerShare:
    """One server's per-minute limit and bound on requests in flight, for every profile."""

    limiter: RateLimiter
    slots: threading.BoundedSemaphore
    concurrency: int


@dataclass
class GroupBudget:
    """The group run's dollars: the cap (0: none) and what the profiles spent so far."""

    cap: float
    spent: float = 0.0
    spent_by: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cap_for(self, own_cap: float) -> float:
        """The cap a profile starts with: its own, or what is left of the group's if smaller."""
        if self.cap <= 0:
            return own_cap
        with self._lock:
            left = max(self.cap - self.spent, 0.0) or NOTHING_LEFT
        return min(own_cap, left) if own_cap > 0 else left

    def add(self, profile: str, dollars: float) -> None:
        """Take a profile's spending off the group's budget."""
        with self._lock:
            self.spent += dollars
            self.spent_by[profile] = self.spent_by.get(profile, 0.0) + dollars


def server_key(base_url: str | None, api_key: str) -> str:
    """Which server a profile calls: its base URL and a hash of its key (the key is never kept)."""
    digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]
    return f"{base_url or 'openai'}|{digest}"
