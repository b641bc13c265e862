"""The one outbound policy: pacing, retries, Retry-After in both forms, deadline, size, and that
every module which talks to a server goes through it."""

from __future__ import annotations

import ast
import datetime as dt
import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from papersieve import outbound
from papersieve.outbound.policy import SLACK, Policy, parse_retry_after
from papersieve.outbound.transport import _Pacer
from tests.fakeclock import Clock
from tests.servers.scripted_http import Reply, ScriptedServer

SRC = Path(__file__).resolve().parent.parent / "src" / "papersieve"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def polite(policy: Policy, clock: Clock) -> httpx.Client:
    transport = outbound.PoliteTransport(policy, sleep=clock.sleep, clock=clock, pacer=_Pacer())
    return httpx.Client(transport=transport)


def test_requests_to_one_host_are_paced(server: ScriptedServer) -> None:
    clock = Clock(1000.0)
    with polite(Policy("t", min_interval=3.0), clock) as http:
        for _ in range(3):
            assert http.get(server.url).status_code == 200
    assert clock.waits == [pytest.approx(3.0), pytest.approx(3.0)]


def test_a_retryable_status_is_retried_with_capped_jittered_backoff(server: ScriptedServer) -> None:
    clock = Clock()
    server.script(Reply(500), Reply(503), Reply(502))
    with polite(Policy("t", tries=5, backoff=2.0, max_wait=3.0), clock) as http:
        assert http.get(server.url).text == "ok"
    assert len(server.requests) == 4
    first, second, third = clock.waits
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 3.0 and third == 3.0  # halves of 2, 4, capped


@pytest.mark.parametrize("header", ["7", "HTTP-DATE"])
def test_retry_after_is_honoured_in_both_forms(server: ScriptedServer, header: str) -> None:
    if header == "HTTP-DATE":
        header = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    clock = Clock()
    server.script(Reply(429, headers={"Retry-After": header}))
    with polite(Policy("t", max_wait=60.0), clock) as http:
        assert http.get(server.url).status_code == 200
    assert 5.0 <= clock.waits[0] <= 8.0


def test_after_the_last_try_the_status_is_the_callers(server: ScriptedServer) -> None:
    clock = Clock()
    server.script(*[Reply(503)] * 3)
    with polite(Policy("t", tries=3), clock) as http:
        assert http.get(server.url).status_code == 503
    assert len(server.requests) == 3


def test_a_status_outside_the_policy_is_not_retried(server: ScriptedServer) -> None:
    clock = Clock()
    server.script(Reply(500))
    with polite(Policy("t", retry_status=frozenset({429})), clock) as http:
        assert http.get(server.url).status_code == 500
    assert len(server.requests) == 1 and clock.waits == []


def test_waits_never_pass_the_deadline(server: ScriptedServer) -> None:
    clock = Clock()
    server.script(Reply(429, headers={"Retry-After": "50"}), Reply(429, headers={"Retry-After": "50"}))
    with polite(Policy("t", deadline=60.0, max_wait=100.0), clock) as http, \
            pytest.raises(outbound.DeadlineExceeded, match="60 s allowed"):
        http.get(server.url)
    assert clock.waits == [50.0]


def test_an_endless_body_stops_at_the_size_cap(server: ScriptedServer) -> None:
    server.script(Reply(endless=True))
    with httpx.Client(transport=outbound.PoliteTransport(Policy("t", max_bytes=1_000_000))) as http, \
            pytest.raises(outbound.ResponseTooLarge, match="1,000,000 bytes") as info:
        http.get(server.url + "/feed?key=secret")
    assert "secret" not in str(info.value) and server.url + "/feed" in str(info.value)
    assert len(server.requests) == 1  # a size limit is not retried


def test_a_trickling_body_stops_at_the_deadline(server: ScriptedServer) -> None:
    server.script(Reply(trickle=0.2))
    with httpx.Client(transport=outbound.PoliteTransport(Policy("t", deadline=1.0, timeout=5.0))) as http, \
            pytest.raises(outbound.DeadlineExceeded, match="1 s allowed"):
        http.get(server.url)


def test_the_size_cap_counts_decompressed_bytes(server: ScriptedServer) -> None:
    bomb = b"\0" * 3_000_000
    assert len(gzip.compress(bomb)) < 10_000
    server.script(Reply(body=bomb, gzip=True), Reply(body=b"small text", gzip=True))
    with httpx.Client(transport=outbound.PoliteTransport(Policy("t", max_bytes=1_000_000))) as http:
        with pytest.raises(outbound.ResponseTooLarge):
            http.get(server.url)
        assert http.get(server.url).text == "small text"


def test_a_secret_path_is_never_shown(server: ScriptedServer) -> None:
    server.script(Reply(endless=True))
    policy = Policy("t", max_bytes=1000, secret_path=True)
    with httpx.Client(transport=outbound.PoliteTransport(policy)) as http, \
            pytest.raises(outbound.ResponseTooLarge) as info:
        http.post(server.url + "/services/T000/B000/XXXXSECRET", json={})
    assert "XXXXSECRET" not in str(info.value) and "127.0.0.1" in str(info.value)


def test_connection_failures_are_retried_then_raised() -> None:
    clock = Clock()
    with polite(Policy("t", tries=3), clock) as http, pytest.raises(httpx.ConnectError):
        http.get("http://127.0.0.1:9/")  # discard port: nothing listens
    assert len(clock.waits) == 2


def test_retry_after_parsing() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after("9" * 40) == 1e9


# --- every module that talks to a server goes through a policy -----------------------------

CALLERS = {
    "sources/http.py": "ARXIV, BIORXIV: arXiv feeds, API and OAI-PMH; bioRxiv / medRxiv's details API",
    "prefilter/hindex.py": "SEMANTIC_SCHOLAR: the h-index floor's batch requests",
    "deliver/slack_sender.py": "SLACK: webhook and chat.postMessage, paced per channel",
    "judges/llm/client.py": "LLM: the openai SDK, given a client of the policy as its http_client",
    "judges/llm/server.py": "LLM_PROBE: /v1/models, /props, /slots",
    "deliver/telegram_bot.py": "TELEGRAM(_GROUP, _READ): sendMessage, getUpdates, answerCallbackQuery",
    "chatfeedback.py": "SLACK_READ: conversations.replies, reading the day's reactions back",
    "sources/arxiv_lookup.py": "ARXIV_LOOKUP: the arXiv API's id_list, for import-likes' abstracts",
    "zotero.py": "ZOTERO: a live Zotero library through the web API v3 (import-likes --zotero)",
}
"""The modules that send requests, each through `outbound.client(POLICY)`. A new caller (Telegram)
joins this list with its policy in outbound/policy.py; a module that opens a connection any other
way fails the test below."""
NOT_HTTP = {"deliver/email.py": "SMTP (smtplib): not HTTP; its one retry waits the SMTP policy's backoff"}
"""Modules that talk to a server in another protocol."""

HTTPX_OPENERS = {"Client", "AsyncClient", "HTTPTransport", "AsyncHTTPTransport", "get", "post", "put",
                 "patch", "delete", "head", "options", "request", "stream"}
OPENAI_CLIENTS = {"OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"}
OTHER_CLIENTS = {"requests", "urllib3", "aiohttp", "http.client", "urllib.request", "pycurl",
                 "websockets", "ftplib", "telnetlib"}
SMTP_OPENERS = {"SMTP", "SMTP_SSL", "LMTP"}


def _own_connections(tree: ast.AST) -> list[str]:
    """What in a module opens a connection without a policy (empty: nothing)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"imports {n}" for n in names if n in OTHER_CLIENTS or n.split(".")[0] in OTHER_CLIENTS]
            if isinstance(node, ast.ImportFrom) and node.module in ("httpx", "openai", "smtplib"):
                found += [f"from {node.module} import {a.name}" for a in node.names
                          if a.name in HTTPX_OPENERS | OPENAI_CLIENTS | SMTP_OPENERS]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "httpx" and node.attr in HTTPX_OPENERS:
                found.append(f"httpx.{node.attr}")
            if node.value.id == "smtplib" and node.attr in SMTP_OPENERS:
                found.append(f"smtplib.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in OPENAI_CLIENTS:
            keywords = {k.arg: k.value for k in node.keywords}
            retries = keywords.get("max_retries")
            no_retries = isinstance(retries, ast.Constant) and retries.value == 0
            if "http_client" not in keywords or not no_retries:
                found.append(f"{node.func.attr}() without http_client= and max_retries=0")
    return found


def _sends_through_a_policy(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and isinstance(n.func.value, ast.Name) and n.func.value.id == "outbound"
               and n.func.attr == "client" for n in ast.walk(tree))


def _modules() -> dict[str, ast.AST]:
    return {str(p.relative_to(SRC)): ast.parse(p.read_text(encoding="utf-8")) for p in SRC.rglob("*.py")}


def test_every_caller_goes_through_the_policy() -> None:
    modules = _modules()
    own = {name: what for name, tree in modules.items() if (what := _own_connections(tree))}
    assert {n for n in own if not n.startswith("outbound/")} == set(NOT_HTTP), own
    callers = {name for name, tree in modules.items() if _sends_through_a_policy(tree)}
    assert callers == set(CALLERS)


@pytest.mark.parametrize("source", [
    "import httpx\nhttpx.get('http://x')",
    "import httpx\nc = httpx.Client()",
    "from httpx import Client",
    "import requests",
    "import urllib.request",
    "from urllib.request import urlopen",
    "import openai\nopenai.OpenAI(api_key='k')",
    "import openai\nopenai.OpenAI(api_key='k', http_client=h)",
    "import smtplib\nsmtplib.SMTP('h')",
])
def test_a_new_opener_is_found(source: str) -> None:
    assert _own_connections(ast.parse(source))


def test_a_client_of_the_policy_is_no_opener() -> None:
    tree = ast.parse("from papersieve import outbound\nh = outbound.client(P)\n"
                     "openai.OpenAI(http_client=h, max_retries=0)")
    assert not _own_connections(tree) and _sends_through_a_policy(tree)


def test_the_proxy_the_environment_names_is_used(server: ScriptedServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx reads HTTP(S)_PROXY only for a client without a transport of its own: a client of a
    policy went direct where the openai SDK's and the old arXiv client had used the proxy."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with outbound.client(Policy("t", tries=1)) as http:
        assert http.get("http://papersieve.invalid/feed?x=1").text == "ok"  # the proxy answers
        assert http.get(server.url + "/direct").text == "ok"  # in NO_PROXY
    paths = [(method, path, {k.lower(): v for k, v in headers.items()}["host"])
             for method, path, headers, _ in server.requests]
    assert paths == [("GET", "http://papersieve.invalid/feed?x=1", "papersieve.invalid"),
                     ("GET", "/direct", server.url.removeprefix("http://"))]


def test_an_error_text_never_carries_a_secret(server: ScriptedServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:SECRETsecretSECRET")
    server.script(Reply(endless=True))
    policy = Policy("t", max_bytes=1000)
    with httpx.Client(transport=outbound.PoliteTransport(policy)) as http, \
            pytest.raises(outbound.ResponseTooLarge) as info:
        http.get(server.url + "/bot123456:SECRETsecretSECRET/sendMessage")
    assert "SECRETsecret" not in str(info.value) and "[redacted TELEGRAM_BOT_TOKEN]" in str(info.value)
    assert "SECRETsecret" not in outbound.error_text(RuntimeError("bot123456:SECRETsecretSECRET failed"))


def test_slack_paces_per_channel_and_a_webhook_is_its_own_channel() -> None:
    def key(url: str, body: dict[str, str]) -> str:
        return SLACK.pace_key(httpx.Request("POST", url, json=body))

    api = "https://slack.com/api/chat.postMessage"
    assert key(api, {"channel": "#a", "text": "1"}) == key(api, {"channel": "#a", "text": "2"})
    assert key(api, {"channel": "#a"}) != key(api, {"channel": "#b"})
    hook = "https://hooks.slack.com/services/T0/B0/X"
    assert key(hook, {"text": "1"}) == key(hook, {"text": "2"}) != key(hook + "Y", {"text": "1"})
