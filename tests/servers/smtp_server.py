"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.

`replies` queues SMTP replies (e.g. "451 4.3.0 try again later") that the next DATA commands
get instead of "250 OK"; `auth` turns on AUTH LOGIN/PLAIN (without TLS, loopback only, unless
`tls` is set: then only after TLS). `tls="starttls"` offers and requires STARTTLS,
`tls="ssl"` speaks TLS from the first byte; both with a certificate for 127.0.0.1 issued by a
throw-away test CA (`trustme`), whose PEM file `ca_file` a client must trust.
"""

from __future__ import annotations

import socket
import ssl
from collections import deque
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

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
        self.echo_password = False
        """Echo mode: a refused login's reply quotes the password it was given."""
        self.refused: set[str] = set()
        """Recipient addresses refused at RCPT TO (550), as a mailbox that does not exist."""
        self.peers: list[tuple[str, int]] = []
        """The client address (host, port) of each accepted message: one port per connection."""

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    @property
    def connections(self) -> int:
        """How many connections delivered at least one message."""
        return len(set(self.peers))

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.replies:
            return self.replies.popleft()
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append(message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        return "250 OK"

    def authenticate(self, server: Any, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        if ok:
            self.logins.append(USER)
        if not ok and self.echo_password and isinstance(auth_data, LoginPassword):
            given = auth_data.password.decode("utf-8", "replace")
            return AuthResult(success=False, handled=False,
                              message=f"535 5.7.8 wrong password {given!s} for {auth_data.login.decode()}")
        return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """Context manager: `with SmtpServer() as smtp: smtp.port, smtp.handler.messages`."""

    def __init__(self, *, auth: bool = False, tls: Literal["starttls", "ssl"] | None = None,
                 ca_dir: Path | None = None) -> None:
        self.handler = Handler()
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if auth:
            # aiosmtpd does not count TLS from the first byte (ssl_context) as TLS for AUTH, so
            # the requirement can only be switched on for STARTTLS.
            kwargs = {"authenticator": self.handler.authenticate,
                      "auth_require_tls": tls == "starttls"}
        self.ca_file: Path | None = None
        if tls is not None:
            context = self._certificate(ca_dir)
            kwargs.update({"tls_context": context, "require_starttls": True} if tls == "starttls"
                          else {"ssl_context": context})
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _certificate(self, ca_dir: Path | None) -> ssl.SSLContext:
        import trustme

        if ca_dir is None:
            raise ValueError("a TLS server needs a folder for its CA file")
        authority = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(context)
        self.ca_file = ca_dir / "test-ca.pem"
        authority.cert_pem.write_to_path(str(self.ca_file))
        return context

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
