"""The LLM judge: any OpenAI-compatible chat model scores titles and abstracts against the profile.

`LLMJudge` is loaded on first use: importing this package (to ask `has_api_key`) must not load the
`openai` SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from papersieve.judges.llm.keys import has_api_key

if TYPE_CHECKING:
    from papersieve.judges.llm.judge import LLMJudge

__all__ = ["LLMJudge", "has_api_key"]


def __getattr__(name: str) -> Any:
    if name == "LLMJudge":
        from papersieve.judges.llm.judge import LLMJudge

        return LLMJudge
    raise AttributeError(name)
