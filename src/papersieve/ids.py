"""Paper identifiers: arXiv ids, new style (2507.00641, 0704.0001) and old style
(hep-th/9901001), with versions; and DOIs, the ids of bioRxiv and medRxiv preprints
(10.1101/2024.01.15.123456).

See https://info.arxiv.org/help/arxiv_identifier.html for the two arXiv schemes and the DOI
Handbook (doi.org/the-identifier/resources/handbook, section 2.2) for DOI syntax: "10." and a
registrant code of digits, "/", then a suffix of any printable characters.
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


_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")
_DOI_PREFIXES = ("doi:", "https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/")


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


def parse_doi(text: str) -> str:
    """A DOI from a bare DOI, `doi:` or a doi.org URL, lower-cased (DOIs ignore case); raise
    `ArxivIdError` if `text` is none. arXiv's own DOIs (10.48550/arXiv.*) are arXiv ids, not DOIs
    here: `parse_paper_id` reads them as such."""
    raw = text.strip()
    lowered = raw.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            raw = raw[len(prefix):]
            break
    if not _DOI.fullmatch(raw):
        raise ArxivIdError(f"not an arXiv identifier or DOI: {text!r}")
    return raw.lower()


def is_doi(paper_id: str) -> bool:
    """True for a DOI paper id (a bioRxiv or medRxiv preprint), False for an arXiv id."""
    return paper_id.startswith("10.") and "/" in paper_id


def parse_paper_id(text: str) -> str:
    """The version-less paper id of an arXiv id, URL, arXiv DOI, or the DOI of a preprint."""
    try:
        return parse_arxiv_id(text).id
    except ArxivIdError:
        return parse_doi(text)
