"""Unsubscribe links in the digest's emails (issue 19): RFC 8058 one-click and a link in the body.

A link is the web app's address (`PAPERSIEVE_WEB_URL`, where `papersieve serve` answers) with a
token signed by `PAPERSIEVE_UNSUBSCRIBE_KEY` (a secret: from the environment only) that names one
profile and one address. Following it (web/routes/unsubscribe.py) records that address as
unsubscribed from that profile's emails (store/unsubscribes.py); the run then leaves it out.
Without both variables, emails carry no link (there is nowhere it could lead).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer

KEY_ENV = "PAPERSIEVE_UNSUBSCRIBE_KEY"
URL_ENV = "PAPERSIEVE_WEB_URL"
SALT = "papersieve-unsubscribe"
PATH = "/unsubscribe/"


def _serializer(key: str) -> URLSafeSerializer:
    return URLSafeSerializer(key, salt=SALT)


MIN_KEY = 16
"""The shortest key that signs links: the README's suggestion, token_urlsafe(32), has 43."""


def link_problem() -> str:
    """Why the emails carry no unsubscribe link though one of the two variables is set (a half
    configuration: the links were silently left out), or "" (both set and usable, or neither)."""
    key, base = os.environ.get(KEY_ENV, ""), os.environ.get(URL_ENV, "")
    if not key and not base:
        return ""
    if not base:
        return f"{URL_ENV} is not set"
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{URL_ENV} is not an http(s) address"
    if not key:
        return f"{KEY_ENV} is not set"
    if len(key) < MIN_KEY:
        return f"{KEY_ENV} is shorter than {MIN_KEY} characters"
    return ""


def unsubscribe_url(profile: str, address: str) -> str:
    """The link that unsubscribes `address` from `profile`'s emails, or "" when not configured
    (`link_problem` says why, when one of the variables is set)."""
    key, base = os.environ.get(KEY_ENV, ""), os.environ.get(URL_ENV, "")
    if not key or not base or link_problem():
        return ""
    token = _serializer(key).dumps([profile, address.lower()])
    return f"{base.rstrip('/')}{PATH}{token}"


def read_token(token: str) -> tuple[str, str] | None:
    """The (profile, address) a token names, or None when it is forged, damaged or unkeyed."""
    key = os.environ.get(KEY_ENV, "")
    if not key:
        return None
    try:
        value = _serializer(key).loads(token)
    except BadSignature:
        return None
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) and v for v in value)):
        return value[0], value[1]
    return None
