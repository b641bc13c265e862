"""Every request papersieve sends leaves through here: one policy per kind of server.

    with outbound.client(outbound.SEMANTIC_SCHOLAR) as http:
        response = http.get(url)

`policy.py` holds the table (pacing, retries, Retry-After, deadline, size, per caller);
`transport.py` applies it under an ordinary `httpx.Client` (the openai SDK takes that client as
its `http_client`). A test (tests/test_outbound.py) names the modules that send requests and
fails when another module opens a connection of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from papersieve.endpoints import USER_AGENT
from papersieve.outbound.policy import (
    ARXIV,
    ARXIV_LOOKUP,
    BIORXIV,
    LLM,
    LLM_PROBE,
    POLICIES,
    SEMANTIC_SCHOLAR,
    SLACK,
    SMTP,
    ZOTERO,
    Policy,
    parse_retry_after,
)
from papersieve.outbound.transport import (
    DeadlineExceeded,
    EnvProxies,
    OutboundLimit,
    PoliteTransport,
    ResponseTooLarge,
    WaitRefused,
    attempts,
    error_text,
    shown_url,
)

__all__ = [
    "ARXIV", "ARXIV_LOOKUP", "BIORXIV", "LLM", "LLM_PROBE", "POLICIES", "SEMANTIC_SCHOLAR", "SLACK",
    "SMTP", "ZOTERO", "DeadlineExceeded", "Http",
    "OutboundLimit", "Policy", "PoliteTransport", "ResponseTooLarge", "WaitRefused", "attempts",
    "client", "error_text", "parse_retry_after", "shown_url",
]

Http = httpx.Client
"""The type of what `client` returns, for a caller's annotations (a test may pass its own)."""


def client(policy: Policy, *, headers: Mapping[str, str] | None = None,
           sleep: Callable[[float], None] | None = None, clock: Callable[[], float] | None = None,
           follow_redirects: bool = True) -> httpx.Client:
    """An `httpx.Client` whose every request obeys `policy` (`policy.connections` per host)."""
    connections = max(1, policy.connections)
    inner = EnvProxies(httpx.Limits(max_connections=connections, max_keepalive_connections=connections))
    transport = PoliteTransport(policy, inner=inner, sleep=sleep, clock=clock)
    return httpx.Client(transport=transport, headers={"User-Agent": USER_AGENT, **(headers or {})},
                        timeout=httpx.Timeout(policy.timeout, connect=min(policy.timeout, 10.0)),
                        follow_redirects=follow_redirects)
