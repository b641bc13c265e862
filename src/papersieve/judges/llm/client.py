"""One chat call through the official `openai` SDK, against any OpenAI-compatible server.

The SDK sends through an `httpx` client of the `LLM` policy of `papersieve.outbound` (its
`http_client`: the policy's timeout, deadline, size cap and redacted error texts), and its own
retries are off (`max_retries=0`): the judge resends what failed (missing papers, 429, 500,
timeouts) through its queue, with the policy's tries and waits, so only one layer retries. A call
never raises: it returns a `ChatReply` that says what happened. The SDK is imported here only,
when a client is made: the local judge and the no-key fallback never load it.

Reasoning models (OpenAI's o-series and gpt-5 family) refuse `temperature` and `max_tokens`: they
get `max_completion_tokens`, and the tokens they spent thinking are completion tokens.
Usage reported by the server is checked: a negative, fractional or absurd count, or none at all,
is "unknown" (`usage_known=False`), never 0, so a cost cap cannot be fooled by it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from papersieve import outbound
from papersieve.endpoints import USER_AGENT
from papersieve.judges.llm.keys import has_api_key, resolve_api_key, resolve_base_url
from papersieve.outbound import LLM, Policy

__all__ = ["ChatClient", "ChatReply", "has_api_key", "is_reasoning_model", "resolve_api_key",
           "resolve_base_url"]

DEFAULT_TIMEOUT = LLM.timeout
MAX_RETRY_AFTER = LLM.max_wait
MAX_USAGE = 10_000_000
"""More tokens than this in one call is not a real count."""
_REASONING = re.compile(r"^(o\d+(-|$)|gpt-5)", re.IGNORECASE)

Message = dict[str, str]


def is_reasoning_model(model: str) -> bool:
    """OpenAI's reasoning models: o1, o3, o4-mini, gpt-5, gpt-5-mini, ..."""
    return bool(_REASONING.match(model.rsplit("/", 1)[-1]))


@dataclass(frozen=True)
class ChatReply:
    """What one call gave: the reply and its usage, or why there is none."""

    ok: bool
    text: str = ""
    finish_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency: float = 0.0
    status: int | None = None
    """HTTP status of a failed call (None for timeouts and connection errors)."""
    error: str = ""
    retry_after: float | None = None
    usage_known: bool = True
    """False when the server reported no usable token counts (the counts above are then 0)."""
    timed_out: bool = False


class ChatClient:
    """A chat-completions client with our timeout, user agent and no SDK retries."""

    def __init__(
        self, api_key: str, base_url: str | None, model: str, *,
        temperature: float = 0.0, seed: int | None = None, timeout: float = DEFAULT_TIMEOUT,
        policy: Policy = LLM,
    ) -> None:
        import openai  # here, not at the top: see the module docstring

        self.model = model
        self.reasoning = is_reasoning_model(model)
        self.temperature = temperature
        self.seed = seed
        self._openai = openai
        self.policy = replace(policy, timeout=timeout, deadline=timeout)
        self._http = outbound.client(self.policy)
        self._sdk = openai.OpenAI(
            api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout,
            default_headers={"User-Agent": USER_AGENT},
            # The SDK is typed for httpx2 but takes an `httpx.Client` too (its timeouts and
            # errors included: openai._httpx2's "legacy httpx" helpers).
            http_client=self._http,  # type: ignore[arg-type]
        )

    def complete(
        self, messages: Sequence[Message], *, max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> ChatReply:
        """Send the messages; never raises."""
        started = time.monotonic()
        try:
            reply = self._sdk.chat.completions.create(
                model=self.model, messages=list(messages),  # type: ignore[arg-type]
                **self.options(max_tokens, response_format),
            )
        except self._openai.BadRequestError as err:
            if self.seed is not None and "seed" in str(err).lower():
                # Some compatible servers reject `seed`; it is only a hint, so drop it once.
                self.seed = None
                return self.complete(messages, max_tokens=max_tokens, response_format=response_format)
            return self._failure(err, started)
        except self._openai.OpenAIError as err:
            return self._failure(err, started)
        return _success(reply, started)

    def options(self, max_tokens: int | None, response_format: dict[str, Any] | None) -> dict[str, Any]:
        """The request's fields besides model and messages."""
        extra: dict[str, Any] = {}
        if not self.reasoning:
            extra["temperature"] = self.temperature
            if self.seed is not None:
                extra["seed"] = self.seed
        if max_tokens is not None:
            extra["max_completion_tokens" if self.reasoning else "max_tokens"] = max_tokens
        if response_format is not None:
            extra["response_format"] = response_format
        return extra

    def close(self) -> None:
        """Close the HTTP connections."""
        self._sdk.close()
        self._http.close()

    def _failure(self, err: Exception, started: float) -> ChatReply:
        latency = time.monotonic() - started
        if isinstance(err, self._openai.APIStatusError):
            return ChatReply(ok=False, latency=latency, status=err.status_code,
                             error=outbound.error_text(err),
                             retry_after=_retry_after(err.response, self.policy))
        if isinstance(err, self._openai.APITimeoutError):
            return ChatReply(ok=False, latency=latency, error="timed out", timed_out=True)
        return ChatReply(ok=False, latency=latency, error=outbound.error_text(err))


def _count(value: Any) -> int | None:
    """A token count as reported, or None when it is not one (negative, fractional, huge, text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != int(value) or not 0 <= value <= MAX_USAGE:
        return None
    return int(value)


def _success(reply: Any, started: float) -> ChatReply:
    choice = reply.choices[0] if reply.choices else None
    usage = reply.usage
    prompt = _count(getattr(usage, "prompt_tokens", None))
    completion = _count(getattr(usage, "completion_tokens", None))
    details = getattr(usage, "prompt_tokens_details", None)
    cached = _count(getattr(details, "cached_tokens", 0) or 0) or 0
    thinking = _count(getattr(getattr(usage, "completion_tokens_details", None),
                              "reasoning_tokens", 0) or 0) or 0
    known = prompt is not None and completion is not None
    if known and completion is not None and thinking > completion:
        # A server that reports reasoning apart from the visible reply: both are billed.
        completion += thinking
    return ChatReply(
        ok=True,
        text=(choice.message.content or "") if choice and choice.message else "",
        finish_reason=str(choice.finish_reason or "") if choice else "",
        prompt_tokens=prompt or 0 if known else 0,
        completion_tokens=completion or 0 if known else 0,
        cached_tokens=min(cached, prompt or 0) if known else 0,
        latency=time.monotonic() - started,
        usage_known=known,
    )


def _retry_after(response: Any, policy: Policy = LLM) -> float | None:
    """Seconds from a Retry-After header (either form, by the policy), capped; None when absent
    or unreadable ("nan" read as a float once became a wait of nan seconds)."""
    headers = getattr(response, "headers", None)
    return policy.advised(headers.get("retry-after") if headers is not None else None)
