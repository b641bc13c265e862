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
import os
import secrets
from collections.abc import Iterable
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
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_FORM_BYTES = 64 * 1024

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
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
    """Refuse to listen beyond this machine without an access token."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"refusing to serve on non-loopback host {host!r} without an access token;"
            f" set {TOKEN_ENV} or use --host 127.0.0.1"
        )


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
    ) -> None:
        self.app = app
        self.token = token
        self.signer = Signer(secret or secrets.token_bytes(32), salt="papersieve-csrf")
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = _cookies(headers)
        refusal = self._refusal(scope, headers, cookies)
        if refusal is not None:
            await _plain(send, *refusal)
            return
        if self.token and "token" in parse_qs(scope.get("query_string", b"").decode("latin-1")):
            await self._token_redirect(scope, send)
            return
        csrf, new_cookie = self._session_csrf(cookies)
        scope.setdefault("state", {})["csrf_token"] = csrf
        if scope["method"] not in SAFE_METHODS:
            ok, receive = await self._csrf_ok(scope, headers, csrf, receive)
            if not ok:
                await _plain(send, 403, "CSRF check failed: reload the page and try again.")
                return
        await self.app(scope, receive, self._wrap_send(send, scope, new_cookie))

    def _refusal(
        self, scope: Scope, headers: dict[str, str], cookies: dict[str, str]
    ) -> tuple[int, str] | None:
        """Why this request is refused before reaching a route, or None."""
        if self.token:
            supplied = _query_token(scope)
            if supplied is not None:
                return None if same_secret(supplied, self.token) else (401, "Wrong access token.")
            bearer = headers.get("authorization", "")
            if bearer.lower().startswith("bearer ") and same_secret(bearer[7:].strip(), self.token):
                return None
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
        location = scope.get("root_path", "") + scope["path"] + (f"?{urlencode(query)}" if query else "")
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

    def _wrap_send(self, send: Send, scope: Scope, new_cookie: str | None) -> Send:
        static = scope["path"].startswith("/static/")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["cache-control"] = "no-store"
                if new_cookie:
                    headers.append("set-cookie", new_cookie)
            await send(message)

        return wrapped


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
