"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.

`replies` queues SMTP replies (e.g. "451 4.3.0 try again later") that the next DATA commands
get instead of "250 OK"; `auth` turns on AUTH LOGIN/PLAIN (without TLS, loopback only).
"""

from __future__ import annotations

import socket
from collections import deque
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "digest@example.org", "s3cret"


class Handler:
    """Stores accepted messages; answers queued failure replies first."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.replies: deque[str] = deque()
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.replies:
            return self.replies.popleft()
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append(envelope)
        return "250 OK"

    def authenticate(self, server: Any, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """Context manager: `with SmtpServer() as smtp: smtp.port, smtp.handler.messages`."""

    def __init__(self, *, auth: bool = False) -> None:
        self.handler = Handler()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if auth:
            kwargs = {"authenticator": self.handler.authenticate, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
