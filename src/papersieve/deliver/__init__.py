"""Deliveries: files (the static site), Slack, email. Each returns a `DeliveryResult`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryResult:
    """What one delivery did: `ok`, `failed` or `skipped`, with a one-line detail."""

    channel: str
    status: str
    detail: str = ""
