"""The LLM judge for a crowd (issue 19): each profile's `LLMJudge` calling through its server's
one share (rate limit, requests in flight) and within the group run's budget (`shared`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from papersieve.judges.interface import Judge
from papersieve.judges.llm.judge import LLMJudge
from papersieve.judges.llm.keys import resolve_api_key, resolve_base_url
from papersieve.judges.llm.ratelimit import RateLimiter
from papersieve.judges.llm.shared import GroupBudget, ServerShare, server_key
from papersieve.profile.loader import Profile
from papersieve.store.db import Store


class LLMCrowd:
    """Hands out each profile's LLM judge with its server's share and the group's budget."""

    def __init__(self, store: Store, profiles: Sequence[Profile], *, cost_cap: float | None = None,
                 api_key: str | None = None) -> None:
        self.store = store
        self.api_key = api_key
        caps = [p.settings.judge.group_cost_cap for p in profiles if p.settings.judge.group_cost_cap > 0]
        self.budget = GroupBudget(min(caps, default=0.0) if cost_cap is None else cost_cap)
        self._shares: dict[str, ServerShare] = {}
        groups: dict[str, list[Profile]] = {}
        for profile in profiles:
            groups.setdefault(self._key(profile), []).append(profile)
        for key, members in groups.items():
            per_minute = min(p.settings.judge.calls_per_minute for p in members)
            concurrency = min(p.settings.judge.concurrency for p in members)
            self._shares[key] = ServerShare(RateLimiter(per_minute), threading.BoundedSemaphore(concurrency),
                                            concurrency)

    def _key(self, profile: Profile) -> str:
        return server_key(resolve_base_url(None, profile.settings.judge.base_url),
                          resolve_api_key(self.api_key) or "")

    def share_for(self, profile: Profile) -> ServerShare:
        """The share of the server `profile` calls (KeyError for a profile not in the crowd)."""
        return self._shares[self._key(profile)]

    @property
    def servers(self) -> int:
        """How many distinct servers the crowd's profiles call."""
        return len(self._shares)

    def judge_for(self, profile: Profile, *, title_stage: bool | None = None) -> Judge:
        """The profile's LLM judge, calling through its server's share within the group budget."""
        return self.judge_with(profile, self.store, title_stage=title_stage)

    def judge_with(self, profile: Profile, store: Store, *, title_stage: bool | None = None) -> LLMJudge:
        """`judge_for` writing to `store`: a thread judging profiles side by side has its own
        connection (SQLite's are not shared between threads)."""
        return LLMJudge(profile, store, api_key=self.api_key, title_stage=title_stage,
                        share=self.share_for(profile), budget=self.budget)
