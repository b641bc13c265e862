"""A paper's code repository, found in the text its authors wrote: GitHub, GitLab, Hugging Face
and Codeberg addresses in the abstract, the arXiv comments or the links of its metadata.

PapersWithCode's API, which tools used for this, is gone; authors put the address in the
abstract or the comments field themselves ("Code: https://github.com/..."). An address is kept
only when it names a repository (an owner and a name), normalised to https://host/owner/name, so
a link to a user's profile or to GitHub itself is not a code badge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "codeberg.org")

_PART = r"[A-Za-z0-9_.\-]+"
_URL = re.compile(
    r"(?<![\w./@-])(?:https?://)?(?:www\.)?"
    r"(?P<host>github\.com|gitlab\.com|huggingface\.co|codeberg\.org)"
    rf"/(?P<path>{_PART}(?:/{_PART})*)",
    re.IGNORECASE,
)
_HF_KINDS = frozenset({"spaces", "datasets"})
_NOT_OWNERS = frozenset({"about", "features", "pricing", "login", "explore", "topics", "orgs",
                         "users", "sponsors", "docs", "blog", "papers", "models", "search"})
_DROP_SUFFIX = (".git", ".")


def code_links(*texts: str | None, links: Iterable[str] = ()) -> tuple[str, ...]:
    """Repository addresses in `texts` and `links`, normalised, first seen first, no repeats."""
    found: dict[str, None] = {}
    for text in (*texts, *links):
        # Most abstracts name no host at all: the pattern's look-behind at every character was a
        # tenth of a group member's today page of 80 picks.
        lowered = (text or "").lower()
        if not any(host in lowered for host in CODE_HOSTS):
            continue
        for match in _URL.finditer(text or ""):
            url = _repository(match.group("host").lower(), match.group("path"))
            if url:
                found.setdefault(url, None)
    return tuple(found)


def has_code(*texts: str | None) -> bool:
    """True when any of `texts` names a code repository (the web app's "with code" filter)."""
    return bool(code_links(*texts))


def _repository(host: str, path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    if host == "huggingface.co" and parts and parts[0].lower() in _HF_KINDS:
        kind, parts = parts[0].lower() + "/", parts[1:]
    else:
        kind = ""
    if host == "gitlab.com" and "-" in parts:
        parts = parts[: parts.index("-")]  # gitlab.com/group/sub/repo/-/tree/main
    keep = len(parts) if host == "gitlab.com" else 2
    parts = parts[:keep]
    if len(parts) < 2 or parts[0].lower() in _NOT_OWNERS:
        return None
    name = parts[-1]
    for suffix in _DROP_SUFFIX:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    if not name:
        return None
    return f"https://{host}/{kind}{'/'.join([*parts[:-1], name])}"
