"""arXiv identifiers: new style (2507.00641, 0704.0001) and old style (hep-th/9901001), with versions.

See https://info.arxiv.org/help/arxiv_identifier.html for the two schemes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from papersieve.errors import PapersieveError
from papersieve.validate import OutsideValueError, version_number

_NEW = re.compile(r"(?P<id>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v(?P<v>\d+))?")  # YYMM: MM is 01-12
_OLD = re.compile(r"(?P<id>[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?")
_PREFIXES = (
    "oai:arxiv.org:",
    "arxiv:",
    "https://arxiv.org/abs/",
    "http://arxiv.org/abs/",
    "https://arxiv.org/pdf/",
    "http://arxiv.org/pdf/",
    "https://export.arxiv.org/abs/",
    "http://export.arxiv.org/abs/",
    "https://doi.org/10.48550/arxiv.",
    "10.48550/arxiv.",
)


class ArxivIdError(PapersieveError):
    """A string that is not an arXiv identifier."""


@dataclass(frozen=True, order=True)
class ArxivId:
    """An arXiv identifier split into its version-less id and optional version."""

    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id, URL, OAI identifier or DOI into an `ArxivId`; raise `ArxivIdError` if none."""
    raw = text.strip()
    lowered = raw.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            raw = raw[len(prefix) :]
            break
    if raw.endswith(".pdf"):
        raw = raw[:-4]
    for pattern in (_NEW, _OLD):
        match = pattern.fullmatch(raw)
        if match:
            return _from_match(match, text)
    raise ArxivIdError(f"not an arXiv identifier: {text!r}")


def find_arxiv_id(text: str) -> ArxivId | None:
    """Find the first arXiv id inside free text (a BibTeX url or note), or None."""
    for pattern in (_NEW, _OLD):
        match = re.search(r"(?<![\w.])" + pattern.pattern + r"(?![\w])", text)
        if match:
            try:
                return _from_match(match, text)
            except ArxivIdError:
                continue  # free text: an impossible version is no id at all
    return None


def _from_match(match: re.Match[str], text: str) -> ArxivId:
    """The id of a match; a version too large to be real (or to store) is not an id."""
    version = match.group("v")
    try:
        return ArxivId(match.group("id"), version_number(version) if version else None)
    except OutsideValueError as err:
        raise ArxivIdError(f"{err} in {text[:60]!r}") from err


def base_id(text: str) -> str:
    """The version-less id of `text`."""
    return parse_arxiv_id(text).id
