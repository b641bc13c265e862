"""Accounts of the group web app (`papersieve serve --group`): passwords, invite links, sessions,
and which profiles a signed-in member may see and teach.

- Passwords are hashed with argon2id (argon2-cffi); only the hash is stored, never the password,
  and no password is logged. A wrong name costs the same work as a wrong password.
- Sessions live in a cookie signed by Starlette's SessionMiddleware (itsdangerous) with the key
  from `PAPERSIEVE_SESSION_KEY`; without it a random key per process, so a restart signs everyone
  out. The cookie holds the user id and her session epoch; signing out bumps the epoch in the store,
  which ends every copy of her cookies.
- An invite link's secret (256 random bits) is shown once; the store keeps its SHA-256. A link is
  good once, until it expires.
- `AccountsGate` (ASGI middleware) lets only the sign-in and invite pages and static files through
  without a session, and puts the signed-in `Member` into the request's state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from papersieve.errors import ConfigError
from papersieve.profile.loader import builtin_profile_dir, read_profile_folder
from papersieve.store import accounts as stored
from papersieve.store.db import Store
from papersieve.store.profiles import save_profile, stored_profile
from papersieve.web.security import FailureThrottle, _plain, token_bits

SESSION_KEY_ENV = "PAPERSIEVE_SESSION_KEY"
SESSION_COOKIE = "papersieve_session"
SESSION_MAX_AGE = 14 * 24 * 3600
"""A session lasts two weeks from its last sign-in."""
PASSWORD_ENV = "PAPERSIEVE_USER_PASSWORD"
"""`papersieve user add` reads the password from here when set (scripts), else from a prompt."""
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
"""Longer passwords are refused before hashing (argon2 would hash a megabyte all the same)."""
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
INVITE_HOURS = 72
MAX_INVITE_HOURS = 24 * 14
OPEN_PATHS = ("/login", "/invite/", "/static/", "/unsubscribe/")
"""What a visitor without a session may open: the sign-in and invite pages, the style sheet, and
an email's unsubscribe link (its own signed token is the authority)."""

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("papersieve: no such user")


@dataclass(frozen=True)
class Member:
    """The signed-in user of this request and the profiles she owns."""

    id: int
    name: str
    is_admin: bool
    profiles: tuple[str, ...]


def session_key_from_env() -> bytes | None:
    """The session signing key (`PAPERSIEVE_SESSION_KEY`), or None when unset; a weak one is an
    error (it would let anyone forge a session)."""
    value = os.environ.get(SESSION_KEY_ENV, "").strip()
    if not value:
        return None
    if token_bits(value) < 128:
        raise ConfigError(f"{SESSION_KEY_ENV} is too weak (make one with `python3 -c 'import"
                          " secrets; print(secrets.token_urlsafe(32))'`)")
    return value.encode()


def check_name(name: str) -> str:
    """A user name: 1-40 letters, digits, `_`, `.`, `-`, starting with a letter or digit (it
    names her profile too)."""
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError("a user name is 1 to 40 letters, digits, '_', '.' or '-', starting"
                          " with a letter or a digit")
    return name


def check_password(password: str) -> str:
    """At least `MIN_PASSWORD` characters, at most `MAX_PASSWORD`."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ConfigError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of a password checked by `check_password`."""
    return _HASHER.hash(check_password(password))


def verify(store: Store, name: str, password: str) -> stored.User | None:
    """The user when `password` is hers, else None (an unknown name costs the same work)."""
    user = stored.user_named(store, name) if NAME_PATTERN.fullmatch(name) else None
    if len(password) > MAX_PASSWORD:
        return None
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        stored.set_password_hash(store, user.id, _HASHER.hash(password))
    return user


def default_profile_files() -> dict[str, str]:
    """What a new member's own profile starts from: the built-in profile's files."""
    return read_profile_folder(builtin_profile_dir())


def create_user(store: Store, name: str, password: str, *, is_admin: bool = False,
                profiles: Iterable[str] = ()) -> stored.User:
    """A new account owning `profiles` (stored ones); with none, a new stored profile named after
    her, a copy of the built-in profile."""
    check_name(name)
    hashed = hash_password(password)
    owned = tuple(profiles)
    if not owned:
        _check_free(store, name)
    for profile in owned:
        if stored_profile(store, profile) is None:
            raise ConfigError("the store holds no profile of that name (`papersieve profile add`)",
                              path=profile)
    with store.transaction():
        if not owned:
            save_profile(store, name, default_profile_files())
            owned = (name,)
        return stored.add_user(store, name, hashed, is_admin=is_admin, profiles=owned)


def _check_free(store: Store, name: str) -> None:
    if stored.user_named(store, name) is not None or name.lower() in stored.profile_names_in_use(store):
        raise ConfigError(f"the name {name!r} is taken: choose another")


def new_invite(store: Store, created_by: int | None, hours: int = INVITE_HOURS,
               now: dt.datetime | None = None) -> str:
    """A new invite link's secret (shown once; the store keeps its hash)."""
    if not 1 <= hours <= MAX_INVITE_HOURS:
        raise ConfigError(f"an invite lasts 1 to {MAX_INVITE_HOURS} hours")
    secret = secrets.token_urlsafe(32)
    expires = (now or _now()) + dt.timedelta(hours=hours)
    stored.add_invite(store, invite_hash(secret), created_by, _stamp(expires))
    return secret


def invite_is_open(store: Store, secret: str, now: dt.datetime | None = None) -> bool:
    """True when the link is unused and unexpired."""
    return stored.open_invite(store, invite_hash(secret), _stamp(now or _now())) is not None


def accept_invite(store: Store, secret: str, name: str, password: str,
                  now: dt.datetime | None = None) -> stored.User:
    """Use the invite: the new member and her own profile (a copy of the built-in one)."""
    check_name(name)
    hashed = hash_password(password)
    if not invite_is_open(store, secret, now):
        raise ConfigError(stored.INVALID_INVITE)
    _check_free(store, name)
    return stored.accept_invite(store, invite_hash(secret), _stamp(now or _now()), name, hashed,
                                default_profile_files())


def invite_hash(secret: str) -> str:
    """What the store keeps of an invite's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


class LoginThrottle:
    """Failed sign-ins: five per minute per client address and per user name, then a wait."""

    def __init__(self, throttle: FailureThrottle | None = None) -> None:
        self.throttle = throttle or FailureThrottle(limit=5, window=60.0)

    def wait(self, client: str, name: str) -> float:
        """Seconds before this client may try this name again (0: now)."""
        return max(self.throttle.wait(f"ip {client}"), self.throttle.wait(f"user {name.lower()}"))

    def failed(self, client: str, name: str) -> None:
        """Count a failed sign-in."""
        self.throttle.failed(f"ip {client}")
        self.throttle.failed(f"user {name.lower()}")


def member_of(request: Request) -> Member | None:
    """The signed-in member (None in the single-user app)."""
    member = request.scope.get("state", {}).get("member")
    return member if isinstance(member, Member) else None


def group_mode(request: Request) -> bool:
    """True when the app has accounts."""
    return bool(getattr(request.app.state, "group", False))


def may_see(request: Request, profile: str | None) -> bool:
    """Whether this request may see `profile`'s runs, labels and feedback (always, single-user)."""
    if not group_mode(request):
        return True
    member = member_of(request)
    return member is not None and profile is not None and profile in member.profiles


def require_profile(request: Request, profile: str | None) -> None:
    """A 404 (the same answer as for a profile that does not exist) unless `may_see`."""
    if not may_see(request, profile):
        raise HTTPException(404, "no such profile here")


def chosen_profile(request: Request, *, strict: bool = True) -> str | None:
    """The profile a page shows: `?profile=` (hers only, in the group app: another's is a 404,
    or with `strict` False her first), else in the group app her first profile, else None
    (every profile, the single-user app)."""
    asked = request.query_params.get("profile") or None
    if not group_mode(request):
        return asked
    member = member_of(request)
    if asked is not None and (strict or may_see(request, asked)):
        require_profile(request, asked)
        return asked
    return member.profiles[0] if member and member.profiles else None


def visible_profiles(request: Request) -> tuple[str, ...] | None:
    """The profiles this request may see: None means every one (the single-user app)."""
    if not group_mode(request):
        return None
    member = member_of(request)
    return member.profiles if member else ()


def seen(request: Request, profiles: Iterable[str]) -> list[str]:
    """Those of `profiles` this request may see, in order."""
    return [p for p in profiles if may_see(request, p)]


def group_middleware(stores: Any, session_key: bytes | None) -> list[Middleware]:
    """The group app's session cookie (signed) and the gate behind it."""
    key = session_key or session_key_from_env() or secrets.token_bytes(32)
    return [Middleware(SessionMiddleware, secret_key=key.hex(), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax"),
            Middleware(AccountsGate, stores=stores)]


class AccountsGate:
    """ASGI middleware of the group app: a request without a valid session goes to the sign-in
    page (a GET) or is refused (anything else); a valid one carries its `Member`."""

    def __init__(self, app: ASGIApp, *, stores: Any) -> None:
        self.app = app
        self.stores = stores

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        member = self._member(scope)
        scope.setdefault("state", {})["member"] = member
        if member is None and not scope["path"].startswith(OPEN_PATHS):
            if scope["method"] in ("GET", "HEAD"):
                target = "/login?" + _next_query(scope)
                await _plain(send, 303, "Sign in first.", [("location", target)])
            else:
                await _plain(send, 401, "Sign in first: your session has ended.")
            return
        await self.app(scope, receive, send)

    def _member(self, scope: Scope) -> Member | None:
        session: dict[str, Any] = scope.get("session", {})
        user_id, epoch = session.get("user"), session.get("epoch")
        if not isinstance(user_id, int) or not isinstance(epoch, int):
            return None
        store = self.stores.get()
        self.stores.guard().serve(scope, None, limited=False)  # a lookup by primary key
        user = stored.user_by_id(store, user_id)
        if user is None or user.session_epoch != epoch:
            session.clear()  # signed out elsewhere, or the account is gone
            return None
        return Member(user.id, user.name, user.is_admin, stored.owned_profiles(store, user.id))


def _next_query(scope: Scope) -> str:
    path = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}"
                            if scope.get("query_string") else "")
    return urlencode({"next": path})


def sign_in(request: Request, user: stored.User) -> None:
    """Start her session (a new cookie; the old session's content is dropped)."""
    request.session.clear()
    request.session.update({"user": user.id, "epoch": user.session_epoch})
