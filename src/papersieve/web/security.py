"""Safety of the local web app: loopback binding, access token, CSRF, host check, headers.

Everything here is one pure ASGI middleware (`SecurityMiddleware`) so that no route can forget it:

- with an access token configured, every request must carry it (the `papersieve_auth` cookie, set
  once from `?token=...`, or `Authorization: Bearer ...`); without one, only loopback host names
  are accepted in the Host header, which stops DNS-rebinding pages from reading the app;
- every state-changing request (anything but GET/HEAD/OPTIONS) must carry the per-session CSRF
  token, in the `X-CSRF-Token` header (htmx) or the `csrf_token` form field, equal to the one in
  the signed session cookie, and a cross-origin `Origin` header is refused;
- every response gets the security headers (CSP without inline script, nosniff, no framing).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from itsdangerous import BadSignature, Signer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papersieve.errors import ConfigError

TOKEN_ENV = "PAPERSIEVE_WEB_TOKEN"
AUTH_COOKIE = "papersieve_auth"
CSRF_COOKIE = "papersieve_csrf"
OPEN_PATHS = ("/unsubscribe/",)
"""Routes whose own signed token is the authority (an email's unsubscribe link, RFC 8058 one-click
POSTs from mail providers): no access token, no CSRF token (web/routes/unsubscribe.py)."""
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_FORM_BYTES = 64 * 1024

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self';"
        " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def token_from_env() -> str | None:
    """The configured access token (`PAPERSIEVE_WEB_TOKEN`), or None when unset or empty."""
    value = os.environ.get(TOKEN_ENV, "").strip()
    return value or None


def is_loopback(host: str) -> bool:
    """True for `localhost` and any loopback address (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a strong access token."""
    if is_loopback(host):
        return
    if not token:
        raise ConfigError(
            f"refusing to serve on non-loopback host {host!r} without an access token;"
            f" set {TOKEN_ENV} or use --host 127.0.0.1"
        )
    if token_bits(token) < MIN_TOKEN_BITS:
        # `PAPERSIEVE_WEB_TOKEN=1` served the whole network behind a one-character password.
        raise ConfigError(
            f"refusing to serve on non-loopback host {host!r}: {TOKEN_ENV} is too weak (at least"
            f" {MIN_TOKEN_CHARS} varied characters; make one with"
            " `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )


MIN_TOKEN_CHARS = 20
MIN_TOKEN_BITS = 80


def token_bits(token: str) -> float:
    """A rough upper bound of a token's entropy: length x log2(distinct characters used).

    Zero below `MIN_TOKEN_CHARS` characters. `secrets.token_urlsafe(32)` scores about 220,
    `token_urlsafe(16)` about 90, "correct-horse-battery" 73 and "abababababababababababab" 24.
    It cannot see words or keyboard walks ("password1234567890ab" scores 83): it stops the
    short and the repetitive, the advice to generate one does the rest.
    """
    if len(token) < MIN_TOKEN_CHARS:
        return 0.0
    distinct = len(set(token))
    return len(token) * math.log2(distinct) if distinct > 1 else 0.0


def auth_cookie_value(token: str) -> str:
    """What the auth cookie holds: a keyed hash of the token, so the cookie is not the token."""
    return hmac.new(token.encode(), b"papersieve-web-auth", hashlib.sha256).hexdigest()


def same_secret(a: str | None, b: str) -> bool:
    """Constant-time comparison of two secrets (False when `a` is missing)."""
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is treated as no cookies, never a 500
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _host_name(host_header: str) -> str:
    return urlsplit(f"//{host_header}").hostname or ""


class SecurityMiddleware:
    """Token, host, CSRF and header rules around the whole app (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None = None,
        secret: bytes | None = None,
        allowed_hosts: Iterable[str] = (),
        throttle: FailureThrottle | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.signer = Signer(secret or secrets.token_bytes(32), salt="papersieve-csrf")
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.throttle = throttle or FailureThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = _cookies(headers)
        client = _client(scope)
        wait = self.throttle.wait(client) if self.token else 0.0
        if wait > 0:
            await _plain(send, 429, f"Too many wrong access tokens: try again in {math.ceil(wait)} s.",
                         [("retry-after", str(math.ceil(wait)))])
            return
        is_open = scope["path"].startswith(OPEN_PATHS)
        refusal = None if is_open and self.token else self._refusal(scope, headers, cookies)
        if refusal is not None:
            if refusal[1] == WRONG_TOKEN:
                self.throttle.failed(client)
            await _plain(send, *refusal)
            return
        if self.token and "token" in parse_qs(scope.get("query_string", b"").decode("latin-1")):
            await self._token_redirect(scope, send)
            return
        csrf, new_cookie = self._session_csrf(cookies)
        scope.setdefault("state", {})["csrf_token"] = csrf
        if scope["method"] not in SAFE_METHODS and not is_open:
            ok, receive = await self._csrf_ok(scope, headers, csrf, receive)
            if not ok:
                await _plain(send, 403, "CSRF check failed: reload the page and try again.")
                return
        started: list[bool] = []
        try:
            await self.app(scope, receive, self._wrap_send(send, scope, new_cookie, started))
        except Exception:
            # Starlette's own 500 page is sent from outside every middleware, so it went out
            # without the security headers; a page that fails before answering gets this one.
            if started:
                raise
            LOG.exception("error while answering %s %s", scope["method"], scope["path"])
            await _plain(send, 500, "Internal error: the details are in the server's log.")

    def _refusal(
        self, scope: Scope, headers: dict[str, str], cookies: dict[str, str]
    ) -> tuple[int, str] | None:
        """Why this request is refused before reaching a route, or None."""
        if self.token:
            supplied = _query_token(scope)
            if supplied is not None:
                return None if same_secret(supplied, self.token) else (401, WRONG_TOKEN)
            bearer = headers.get("authorization", "")
            if bearer.lower().startswith("bearer "):
                return None if same_secret(bearer[7:].strip(), self.token) else (401, WRONG_TOKEN)
            # A stale cookie (the token changed) is no guess: a keyed hash cannot be guessed.
            if same_secret(cookies.get(AUTH_COOKIE), auth_cookie_value(self.token)):
                return None
            return 401, "Access token required: open the address with ?token=... once."
        host = _host_name(headers.get("host", ""))
        if not (is_loopback(host) or host.lower() in self.allowed_hosts):
            return 421, "Unknown host name: open the app at 127.0.0.1 or localhost."
        return None

    async def _token_redirect(self, scope: Scope, send: Send) -> None:
        """`?token=` was right: set the auth cookie and drop the token from the address."""
        query = [
            (k, v) for k, vs in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()
            for v in vs if k != "token"
        ]
        # `//evil.example/?token=...` must land on this site's `/evil.example/`, not on
        # evil.example: a path that starts with two slashes (or a backslash, which browsers
        # read as one) is a protocol-relative address in a Location header.
        path = "/" + (scope.get("root_path", "") + scope["path"]).lstrip("/\\")
        location = path + (f"?{urlencode(query)}" if query else "")
        assert self.token is not None
        cookie = f"{AUTH_COOKIE}={auth_cookie_value(self.token)}; Path=/; HttpOnly; SameSite=Strict"
        await _plain(send, 303, "See Other", [("location", location), ("set-cookie", cookie)])

    def _session_csrf(self, cookies: dict[str, str]) -> tuple[str, str | None]:
        """The session's CSRF token, and a new signed cookie when the session had none."""
        signed = cookies.get(CSRF_COOKIE)
        if signed:
            try:
                return self.signer.unsign(signed).decode(), None
            except BadSignature:
                pass
        csrf = secrets.token_urlsafe(32)
        value = self.signer.sign(csrf).decode()
        return csrf, f"{CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict"

    async def _csrf_ok(
        self, scope: Scope, headers: dict[str, str], csrf: str, receive: Receive
    ) -> tuple[bool, Receive]:
        """Check Origin and the submitted CSRF token; returns a `receive` that replays the body."""
        origin = headers.get("origin")
        # A browser names the page that sent the request: another site (or a sandboxed "null"
        # origin) posting here is refused even before the token is looked at.
        if origin is not None and urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
            return False, receive
        submitted = headers.get(CSRF_HEADER)
        if submitted is not None:
            return same_secret(submitted, csrf), receive
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return False, receive
        body = await _read_body(receive, MAX_FORM_BYTES)
        if body is None:
            return False, receive
        field = parse_qs(body.decode("latin-1")).get(CSRF_FIELD, [None])[0]
        return same_secret(field, csrf), _replay(body)

    def _wrap_send(self, send: Send, scope: Scope, new_cookie: str | None,
                   started: list[bool]) -> Send:
        static = scope["path"].startswith("/static/")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(True)
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["cache-control"] = "no-store"
                if new_cookie:
                    headers.append("set-cookie", new_cookie)
            await send(message)

        return wrapped


WRONG_TOKEN = "Wrong access token."
LOG = logging.getLogger("papersieve.web")


class FailureThrottle:
    """Wrong access tokens per client: after `limit` in `window` seconds the client must wait.

    Guesses were answered as fast as they came (81 a second); now a client gets `limit` tries
    per window, whatever it sends meanwhile. Only the newest `max_clients` clients are kept.
    """

    def __init__(self, limit: int = 10, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, client: str) -> float:
        """Seconds this client must wait before its next try (0 when it may try now)."""
        times = self._failures.get(client)
        if not times:
            return 0.0
        now = self.clock()
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return self.window - (now - times[0])

    def failed(self, client: str) -> None:
        """Count one wrong token from this client."""
        times = self._failures.setdefault(client, deque(maxlen=self.limit))
        times.append(self.clock())
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def _query_token(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[0] if values else None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None when it is larger than `limit`."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _plain(
    send: Send, status: int, text: str, extra: list[tuple[str, str]] | None = None
) -> None:
    """A short plain-text response, with the security headers."""
    body = (text + "\n").encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *[(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()],
        *[(k.encode(), v.encode()) for k, v in (extra or [])],
    ]
    start: dict[str, Any] = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
