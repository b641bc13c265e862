"""One error family. Only the CLI turns these into a one-line message and an exit code."""

from __future__ import annotations


class PapersieveError(Exception):
    """Base of every error papersieve raises on purpose; its message is one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(PapersieveError):
    """A profile file, prompt file or setting is wrong; names the file, the key and the problem."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        where = ""
        if path:
            where = f"{path}: "
        if key:
            where += f"{key}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.key = key


class StoreError(PapersieveError):
    """The SQLite store cannot be opened, migrated or written."""


class FetchError(PapersieveError):
    """A network fetch failed after its last try; carries url, attempt and status."""

    def __init__(
        self, message: str, *, url: str, attempt: int = 1, status: int | None = None
    ) -> None:
        detail = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{message}{detail}: {url} [attempt {attempt}]")
        self.url = url
        self.attempt = attempt
        self.status = status


class FeedError(PapersieveError):
    """A feed was fetched but cannot be parsed (truncated or not a feed at all)."""

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(f"{message}: {source}")
        self.source = source


class JudgeError(PapersieveError):
    """A judge cannot run at all (no key, unknown model, server refuses every call)."""

    def __init__(self, message: str, *, model: str | None = None, status: int | None = None) -> None:
        parts = [message]
        if model:
            parts.append(f"model {model}")
        if status is not None:
            parts.append(f"HTTP {status}")
        super().__init__("; ".join(parts))
        self.model = model
        self.status = status


class DeliveryError(PapersieveError):
    """A delivery (Slack, email, files) failed; the message names the endpoint and the reply."""


class RunLockedError(PapersieveError):
    """Another run of the same profile and day holds the lock."""
