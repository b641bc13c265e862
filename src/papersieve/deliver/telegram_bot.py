"""A small client of Telegram's Bot API (core.telegram.org/bots/api): one method call at a time.

The token comes from TELEGRAM_BOT_TOKEN only and is part of every address
(`https://api.telegram.org/bot<TOKEN>/<method>`), so it must never be quoted: the requests go
through `papersieve.outbound` with a policy that names the host alone, and every text of an error
(Telegram's `description`, httpx's message) passes through the redactor and loses the token
explicitly too, in case a server (or a proxy) echoes the address. A malformed token (a newline,
a non-ASCII character, not `<digits>:<letters>`) is refused before anything is sent.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx

from papersieve import outbound
from papersieve.errors import ConfigError, DeliveryError
from papersieve.outbound.policy import TELEGRAM, TELEGRAM_GROUP, TELEGRAM_READ, Policy
from papersieve.redact import check_secrets, redact

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
API_URL_ENV = "PAPERSIEVE_TELEGRAM_API_URL"
DEFAULT_API_URL = "https://api.telegram.org"
"""Seconds between two messages to one chat (tests set 0; default: the policy's)."""
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
MAX_DESCRIPTION = 200


class TelegramError(DeliveryError):
    """A Bot API call failed; carries Telegram's `error_code` (0 when it never answered)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


def bot_token() -> str:
    """TELEGRAM_BOT_TOKEN, checked; a DeliveryError naming the variable (never the value)."""
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise DeliveryError(f"telegram: set {TOKEN_ENV} (the token BotFather gave you)")
    try:
        check_secrets({TOKEN_ENV: token})
    except ConfigError as err:
        raise DeliveryError(f"telegram: {err}") from err
    if not TOKEN_SHAPE.fullmatch(token):
        raise DeliveryError(f"telegram: {TOKEN_ENV} is not a bot token (<digits>:<letters>, as"
                            " BotFather gives it; the value is not shown)")
    return token


def is_group(chat: str) -> bool:
    """A group, supergroup or channel (negative id, or @channelname): 20 messages a minute."""
    return chat.startswith(("-", "@"))


def send_policy(chat: str) -> Policy:
    """The pacing for sending to `chat`; PAPERSIEVE_TELEGRAM_INTERVAL overrides its interval."""
    return (TELEGRAM_GROUP if is_group(chat) else TELEGRAM).from_env()


class TelegramBot:
    """Calls Bot API methods with the environment's token; use as a context manager."""

    def __init__(self, policy: Policy = TELEGRAM_READ, *, token: str | None = None,
                 http: outbound.Http | None = None) -> None:
        self.token = token if token is not None else bot_token()
        self.api = os.environ.get(API_URL_ENV, DEFAULT_API_URL).rstrip("/")
        self.http = http or outbound.client(policy)

    def __enter__(self) -> TelegramBot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    @property
    def bot_id(self) -> str:
        """The token's public part (the bot's user id), to key what is stored per bot."""
        return self.token.partition(":")[0]

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """POST `params` as JSON to `method`; its `result`, or a TelegramError."""
        try:
            response = self.http.post(f"{self.api}/bot{self.token}/{method}", json=params)
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            raise TelegramError(f"telegram {method}: cannot reach {self._host()}:"
                                f" {self._clean(str(err) or type(err).__name__)}") from err
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
        raise self._error(method, response, data)

    def _error(self, method: str, response: httpx.Response, data: Any) -> TelegramError:
        body = data if isinstance(data, dict) else {}
        description = str(body.get("description") or response.text or response.reason_phrase)
        reported = body.get("error_code")
        code = reported if isinstance(reported, int) else response.status_code
        text = f"telegram {method}: HTTP {response.status_code}: {self._clean(description)}"
        if response.status_code == 401:
            text += f" (check {TOKEN_ENV})"
        elif response.status_code == 429:
            wait = (body.get("parameters") or {}).get("retry_after") if isinstance(
                body.get("parameters"), dict) else None
            text += f" (still rate limited; Telegram asked to wait {wait} s)" if wait else ""
        return TelegramError(text, code)

    def _clean(self, text: str) -> str:
        # Redacted before it is cut: a cut through the token would leave a part of it behind.
        clean = redact(text.replace(self.token, f"[redacted {TOKEN_ENV}]")).replace("\n", " ")
        return clean if len(clean) <= MAX_DESCRIPTION else clean[: MAX_DESCRIPTION - 1] + "…"

    def _host(self) -> str:
        try:
            return httpx.URL(self.api).host or "the Telegram API"
        except httpx.InvalidURL:
            return "the Telegram API"
