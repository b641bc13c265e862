"""Every request papersieve sends leaves through here: one policy per kind of server.

    with outbound.client(outbound.SEMANTIC_SCHOLAR) as http:
        response = http.get(url)

`policy.py` holds the table (pacing, retries, Retry-After, deadline, size); `transport.py` applies
it under an ordinary `httpx.Client`. `CALLERS` names the modules that send requests, and a test
checks that no other module opens a connection of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from papersieve.endpoints import USER_AGENT
from papersieve.outbound.policy import (
    ARXIV_LOOKUP,
    POLICIES,
    SEMANTIC_SCHOLAR,
    ZOTERO,
    Policy,
    parse_retry_after,
)
from papersieve.outbound.transport import (
    DeadlineExceeded,
    OutboundLimit,
    PoliteTransport,
    ResponseTooLarge,
    shown_url,
)

__all__ = [
    "ARXIV_LOOKUP", "POLICIES", "SEMANTIC_SCHOLAR", "ZOTERO", "DeadlineExceeded", "OutboundLimit",
    "Policy", "PoliteTransport",
    "ResponseTooLarge", "client", "parse_retry_after",
    "shown_url",
]


def client(policy: Policy, *, headers: Mapping[str, str] | None = None,
           sleep: Callable[[float], None] | None = None, clock: Callable[[], float] | None = None,
           follow_redirects: bool = True) -> httpx.Client:
    """An `httpx.Client` whose every request obeys `policy` (one connection per host)."""
    inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
    transport = PoliteTransport(policy, inner=inner, sleep=sleep, clock=clock)
    return httpx.Client(transport=transport, headers={"User-Agent": USER_AGENT, **(headers or {})},
                        timeout=httpx.Timeout(policy.timeout, connect=min(policy.timeout, 10.0)),
                        follow_redirects=follow_redirects)
