"""The API key and the server's address, checked before any request (no SDK needed here).

The `openai` package is imported only when a call is really made (judges/llm/client.py): the
no-key fallback to the local judge must not pay for it.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from papersieve.errors import ConfigError

OPENAI_HOSTS = ("api.openai.com",)
_NOT_HTTP = "not an http(s) URL"
"""Hosts whose prices are the shipped table's (papersieve/data/prices.toml)."""


def resolve_api_key(explicit: str | None = None) -> str | None:
    """The key passed in, else OPENAI_API_KEY; None when there is none."""
    return explicit or os.environ.get("OPENAI_API_KEY") or None


def has_api_key() -> bool:
    """True when OPENAI_API_KEY is set (the LLM judge can run)."""
    return resolve_api_key() is not None


def resolve_base_url(explicit: str | None, profile_value: str) -> str | None:
    """The URL passed in, else the profile's judge.base_url, else OPENAI_BASE_URL, else OpenAI.
    Anything but an http(s) URL with a valid host and port is a ConfigError (it could never be
    reached: a bad port used to surface as a traceback after half a minute of retries)."""
    if explicit:
        url, source = explicit, "the base URL"
    elif profile_value:
        url, source = profile_value, "judge.base_url"
    else:
        url, source = os.environ.get("OPENAI_BASE_URL") or "", "OPENAI_BASE_URL"
    if not url:
        return None
    problem = _url_problem(url)
    shown = url.split("@")[-1]  # never show a user or password given in the URL
    if problem == _NOT_HTTP:
        raise ConfigError(f"{source} must be an http(s) URL such as http://127.0.0.1:8000/v1,"
                          f" not {shown!r}")
    if problem:
        raise ConfigError(f"{source} {problem}: {shown!r}")
    return url


def _url_problem(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as err:  # a port that is not a number or out of range, a broken [IPv6]
        return f"is not a valid URL ({err})"
    if parts.scheme not in ("http", "https") or not host:
        return _NOT_HTTP
    if port == 0:
        return "has port 0"
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return "has a broken IPv6 address"
    return ""


def is_openai(base_url: str | None) -> bool:
    """True for OpenAI's own API (no base URL, or its host): the only server the shipped prices,
    the default model name and the reasoning-model rules are known to apply to by default."""
    if base_url is None:
        return True
    return (urlsplit(base_url).hostname or "").lower() in OPENAI_HOSTS
