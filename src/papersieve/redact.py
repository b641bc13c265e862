"""The one redactor: every secret environment variable, in every form it can take on the way out.

Secrets come from the environment only (`SECRET_ENV`, the one list). A value leaks in more forms
than itself: a server quotes the Authorization header, an error quotes a URL-encoded query, SMTP
AUTH sends base64 (PLAIN: `\\0user\\0password`; LOGIN: user and password separately), a base64
blob holds the value at any of three byte alignments, a webhook URL's path is its secret.
`redact(text)` replaces each of these with `[redacted NAME]`. It is applied at the sinks, once:
the store's connection (every string parameter of every statement), the process's stdout and
stderr (installed by the CLI), the output files and the deliveries' bodies.

`check_secrets()` refuses a malformed value (a newline or other whitespace, a control or
non-ASCII character) with a one-line ConfigError that names the variable, never the value,
before anything is sent: such a value cannot go into an HTTP header or an SMTP login, and used to
fail half-way through a run with the value in the error text.
"""

from __future__ import annotations

import base64
import errno
import os
import re
import sys
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from papersieve.errors import ConfigError

SECRET_ENV: tuple[str, ...] = (
    "OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN",
    "SMTP_PASSWORD", "S2_API_KEY", "PAPERSIEVE_WEB_TOKEN", "TELEGRAM_BOT_TOKEN", "ZOTERO_API_KEY",
    "PAPERSIEVE_SESSION_KEY", "PAPERSIEVE_USER_PASSWORD", "PAPERSIEVE_UNSUBSCRIBE_KEY",
)
"""Every environment variable that holds a secret. A new secret is added here and nowhere else."""
PASSWORD_ENV: tuple[str, ...] = ("PGPASSWORD",)
"""Secrets of the libraries papersieve uses (libpq's password): redacted like the others, but not
held to `check_secrets`' rules, since a PostgreSQL password may hold any character."""
URL_ENV: tuple[str, ...] = ("PAPERSIEVE_DB",)
"""Variables that are no secret themselves but may carry one: a PostgreSQL URL's password
(`postgresql://user:PASSWORD@host/db`, or `?password=`), which libpq quotes in its error about a
malformed URL."""
LOGIN_ENV = "SMTP_USER"
"""Not a secret by itself (it is often the sender address), but part of SMTP AUTH's base64."""
MIN_LENGTH = 6
"""Shorter values (a test's "fake" key) are no real secret, and replacing them would mangle text."""


def secret_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The secret variables that are set (empty means unset), by name, and the passwords that the
    URL variables carry."""
    env = os.environ if environ is None else environ
    found = {name: env[name] for name in (*SECRET_ENV, *PASSWORD_ENV) if env.get(name)}
    for name in URL_ENV:
        password = url_password(env.get(name, ""))
        if password:
            found[name] = password
    return found


_USERINFO_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@?#]*:([^@/?#]*)@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"[?&]password=([^&#]*)", re.IGNORECASE)


def url_password(url: str) -> str:
    """The password a URL holds (`scheme://user:PASSWORD@host`, or `?password=`) as written
    there (percent-encoded or not; the redactor also takes its decoded form); '' when none. By
    pattern, not urllib: a malformed URL (the one that gets quoted) must still give it up."""
    match = _USERINFO_PASSWORD.match(url) or _QUERY_PASSWORD.search(url)
    return match.group(1) if match else ""


def check_secrets(environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError naming the first malformed secret (or SMTP_USER); never its value."""
    env = os.environ if environ is None else environ
    for name in (*SECRET_ENV, LOGIN_ENV):
        value = env.get(name)
        if not value:
            continue
        problem = _malformed(value)
        if problem:
            raise ConfigError(f"{problem}; set it again without it (the value is not shown)", key=name)


def _malformed(value: str) -> str:
    if value != value.rstrip() and "\n" in value[len(value.rstrip()):]:
        return "the value ends with a newline (a copy-paste?)"
    if any(c.isspace() for c in value):
        return "the value contains whitespace"
    if not value.isascii():
        return "the value contains a non-ASCII character"
    if not value.isprintable():
        return "the value contains a control character"
    return ""


class Redactor:
    """Replaces every known form of every secret in a text."""

    def __init__(self, secrets: Mapping[str, str], login: str = "") -> None:
        forms: dict[str, str] = {}
        for name, value in secrets.items():
            for form in _forms(name, value, login):
                if len(form) >= MIN_LENGTH:
                    forms.setdefault(form, name)
        self._names = forms
        # Longest first: a whole webhook URL is replaced before its path, its path before its
        # last segment.
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        # Substring tests first: 6x faster than the regex on text without a secret (nearly all).
        if not any(form in text for form in self._names):
            return text
        return self._pattern.sub(lambda m: f"[redacted {self._names[m.group(0)]}]", text)

    @property
    def active(self) -> bool:
        """True when there is something to redact."""
        return self._pattern is not None


def _forms(name: str, value: str, login: str) -> Iterator[str]:
    stripped = value.strip()
    if len(stripped) < MIN_LENGTH:
        return
    for v in {value, stripped, urllib.parse.unquote(stripped)}:
        yield v
        yield urllib.parse.quote(v, safe="")
        yield urllib.parse.quote_plus(v)
        yield from _base64_forms(v.encode("utf-8", "surrogateescape"))
    if "://" in stripped:  # a URL secret (the Slack webhook): its path is the secret part
        path = urllib.parse.urlsplit(stripped).path
        yield path
        yield path.rstrip("/").rsplit("/", 1)[-1]
    if name == "SMTP_PASSWORD" and login:
        for plain in (f"\0{login}\0{stripped}", f"{login}\0{login}\0{stripped}", f"{login}:{stripped}"):
            yield from _base64_forms(plain.encode("utf-8", "surrogateescape"))


def _base64_forms(data: bytes) -> Iterator[str]:
    """The base64 of `data` alone (padded and not), and the characters that encode it at each of
    the three alignments it can have inside a longer base64 text; standard and URL-safe."""
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        yield whole
        yield whole.rstrip("=")
        for offset in range(3):
            encoded = encode(b"\0" * offset + data).decode("ascii")
            start = -(-8 * offset // 6)
            end = (8 * offset + 8 * len(data)) // 6
            yield encoded[start:end]


_cached: tuple[tuple[str | None, ...], Redactor] | None = None


def current() -> Redactor:
    """The redactor for the environment as it is now (rebuilt when a secret changes).

    No lock: two threads may build the same redactor twice, harmlessly, and a signal handler
    that prints (papersieve.interrupts) can never wait for a lock its own thread holds.
    """
    global _cached
    key = tuple(os.environ.get(name) for name in (*SECRET_ENV, *PASSWORD_ENV, *URL_ENV, LOGIN_ENV))
    cached = _cached
    if cached is None or cached[0] != key:
        cached = _cached = (key, Redactor(secret_values(), os.environ.get(LOGIN_ENV, "")))
    return cached[1]


def redact(text: str) -> str:
    """`text` with every form of every secret of the environment replaced."""
    return current()(text)


def redact_params(params: Any, redactor: Redactor | None = None) -> Any:
    """SQL parameters (a sequence or a mapping) with their strings redacted; the rest as is."""
    redactor = redactor or current()
    if not redactor.active:
        return params
    if isinstance(params, Mapping):
        return {k: redactor(v) if isinstance(v, str) else v for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return [redactor(v) if isinstance(v, str) else v for v in params]
    return params


def redact_rows(rows: Iterable[Any]) -> Iterator[Any]:
    """`executemany` parameters, row by row (the environment read once: a group's day writes a
    million rows, and reading the secrets' variables per row took a tenth of its time)."""
    redactor = current()
    if not redactor.active:
        yield from rows
        return
    for row in rows:
        yield redact_params(row, redactor)


class RedactingStream:
    """A text stream that redacts what is written to it, then passes it on (stdout, stderr).

    A console that cannot be written (stdout on a full disk, a pipe closed by `head`) does not
    stop the command: the first error is kept in `failed`, later writes are dropped, and the CLI
    says so at the end (`settle_console`). `papersieve db > /dev/full` was an OSError traceback,
    and a run whose log went to a full disk would have stopped at its first line.
    """

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        self.failed: OSError | None = None

    def write(self, text: str) -> int:
        if self.failed is None:
            try:
                self._inner.write(redact(text))
            except OSError as err:
                self.failed = err
        return len(text)

    def flush(self) -> None:
        if self.failed is None:
            try:
                self._inner.flush()
            except OSError as err:
                self.failed = err

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        # encoding, isatty, fileno, flush...: the real stream's. `buffer` is hidden, so nothing
        # (click looks for it) writes bytes around the redactor.
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._inner, name)


def settle_console() -> OSError | None:
    """Flush stdout and stderr; the error that lost some of their text, if any (a pipe closed by
    its reader is not one: `papersieve topics | head -1` is fine). A failed stream's descriptor
    then points at /dev/null, so the interpreter's own flush at exit has nothing to complain of."""
    lost = None
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, RedactingStream):
            continue
        stream.flush()
        if stream.failed is None:
            continue
        if stream.failed.errno != errno.EPIPE and lost is None:
            lost = stream.failed
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, stream.fileno())
            os.close(null)
        except (OSError, ValueError):  # no descriptor (a test's captured stream)
            pass
    return lost


def install_stream_redaction() -> None:
    """Route sys.stdout and sys.stderr through the redactor (idempotent)."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)  # type: ignore[assignment]
