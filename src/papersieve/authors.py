"""Author strings as arXiv's feeds give them.

The RSS `dc:creator` is one comma-separated string; the seed digests print the names exactly as
given, split on commas, with TeX accents and parenthesised affiliations kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def split_authors(creator: str) -> tuple[str, ...]:
    """Split a `dc:creator` string into names, keeping commas inside parentheses together."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for char in creator:
        if char in "([{":
            depth += 1
        elif char in ")]}" and depth > 0:
            depth -= 1
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    cleaned = (_strip_and(" ".join(name.split())) for name in names)
    return tuple(name for name in cleaned if name)


def _strip_and(name: str) -> str:
    # Old feeds joined the last two authors with " and "; the name itself never starts with it.
    return name[4:] if name.startswith("and ") else name


@lru_cache(maxsize=1 << 16)
def normalise_name(name: str) -> str:
    """A lower-case, accent-free, punctuation-free form used to match pinned authors."""
    name = re.sub(r"\([^)]*\)", " ", name)
    name = re.sub(r"\\[`'^\"~=.uvHtcdbk]\{?([A-Za-z])\}?", r"\1", name)
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[^a-zA-Z0-9 ]+", " ", ascii_only).lower().split()
    return " ".join(words)
