"""Batch sizes that grow with the day's size, as the seed system's did."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def adaptive_batch_size(base: int, n: int) -> int:
    """`base` up to 32 papers, then base * ceil(log2(n / 32) + 1)."""
    if n <= 32:
        return base
    return base * math.ceil(math.log2(n / 32) + 1)


def make_batches(items: Sequence[T], size: int) -> list[tuple[T, ...]]:
    """Consecutive batches of at most `size` items, in order."""
    size = max(1, size)
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


def halves(items: Sequence[T]) -> list[tuple[T, ...]]:
    """Two halves (one when there is a single item): how a cut-off batch is retried."""
    if len(items) <= 1:
        return [tuple(items)]
    middle = (len(items) + 1) // 2
    return [tuple(items[:middle]), tuple(items[middle:])]
