"""Choose the judge a profile asks for, falling back to the local judge when no key is set."""

from __future__ import annotations

from papersieve.errors import ConfigError
from papersieve.judges.interface import Judge
from papersieve.profile import Profile
from papersieve.store.db import Store

NO_KEY_NOTE = ("no API key is configured (set OPENAI_API_KEY): using the local judge instead of "
               "the {kind} judge; it scores relevance only (no novelty) and costs nothing")


def make_judge(
    profile: Profile, store: Store, *, title_stage: bool | None = None
) -> tuple[Judge, list[str]]:
    """The profile's judge (llm, local or hybrid) and notes for the user (e.g. a fallback)."""
    kind = profile.settings.judge.kind
    if kind == "local":
        return _local(profile, store), []
    from papersieve.judges.llm import has_api_key

    if not has_api_key():
        return _local(profile, store), [NO_KEY_NOTE.format(kind=kind)]
    from papersieve.judges.llm.judge import LLMJudge

    llm = LLMJudge(profile, store, title_stage=title_stage)
    if kind == "llm":
        return llm, []
    from papersieve.judges.hybrid import HybridJudge

    hybrid: Judge = HybridJudge(profile, store, llm)
    return hybrid, []


def _local(profile: Profile, store: Store) -> Judge:
    try:
        from papersieve.judges.local import LocalJudge
    except ImportError as err:
        raise ConfigError(f"the local judge is not available ({err})", key="judge.kind") from err
    judge: Judge = LocalJudge(profile, store)
    return judge
