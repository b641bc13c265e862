"""The LLM judge: any OpenAI-compatible chat model scores titles and abstracts against the profile."""

from papersieve.judges.llm.client import has_api_key
from papersieve.judges.llm.judge import LLMJudge

__all__ = ["LLMJudge", "has_api_key"]
