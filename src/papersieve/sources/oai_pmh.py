"""Backfill through arXiv's OAI-PMH interface: `ListRecords` with `from`/`until`/`set`, paged by
`resumptionToken` (OAI-PMH 2.0, section 3.5). Formats: `arXivRaw` (categories, versions,
comments) and `oai_dc` (Dublin Core: subjects as names only).

OAI datestamps are the dates a record last changed, not announcement dates, so every listing
made here is marked approximate.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from papersieve.authors import split_authors
from papersieve.errors import FeedError
from papersieve.ids import ArxivId, ArxivIdError, parse_arxiv_id
from papersieve.models import AnnounceType, Listing, ListingEntry, ListingStatus, Paper
from papersieve.sources.arxiv_api import in_category
from papersieve.sources.http import HttpClient
from papersieve.validate import OutsideValueError, outside_date, version_number

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
MAX_PAGES = 1000
"""A safety stop against a server that hands back the same resumption token forever."""

# Physics archives live in sets named "physics:<archive>"; the others are their own set.
_PHYSICS = ("astro-ph", "cond-mat", "gr-qc", "hep-", "math-ph", "nlin", "nucl-", "physics",
            "quant-ph")


@dataclass(frozen=True)
class OaiRecord:
    """One OAI record: the paper, its datestamp and, for arXivRaw, its version dates."""

    paper: Paper
    datestamp: dt.date | None
    set_specs: tuple[str, ...] = ()
    deleted: bool = False
    first_version: int | None = None
    """Always 1 when known; kept to tell new papers from replacements."""


@dataclass(frozen=True)
class OaiPage:
    """One page of `ListRecords` (or a `GetRecord` answer)."""

    records: tuple[OaiRecord, ...]
    token: str | None
    """The resumption token of the next page, None at the end."""
    complete_size: int | None = None


def set_for_category(category: str) -> str:
    """The OAI set that holds a category: cs.LG -> cs, hep-th -> physics:hep-th."""
    archive = category.split(".", 1)[0]
    if archive.startswith(_PHYSICS):
        return f"physics:{archive}"
    return archive


def parse_oai_page(data: bytes | str, origin: str = "OAI-PMH") -> OaiPage:
    """Parse one OAI-PMH response; `noRecordsMatch` is an empty page, other errors raise."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:
        raise FeedError(f"broken OAI-PMH XML ({err})", source=origin) from err
    if root.tag != f"{OAI}OAI-PMH":
        raise FeedError("not an OAI-PMH response", source=origin)
    error = root.find(f"{OAI}error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return OaiPage((), None, 0)
        raise FeedError(f"OAI-PMH error {error.get('code')}: {(error.text or '').strip()}",
                        source=origin)
    records = tuple(r for r in (_record(e, origin) for e in root.iter(f"{OAI}record")) if r)
    token_el = root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
    token = (token_el.text or "").strip() if token_el is not None else ""
    size = token_el.get("completeListSize") if token_el is not None else None
    return OaiPage(records, token or None, int(size) if size and size.isdigit() else None)


def _record(element: ET.Element, origin: str) -> OaiRecord | None:
    header = element.find(f"{OAI}header")
    if header is None:
        return None
    stamp = _text(header.find(f"{OAI}datestamp"))
    datestamp = _datestamp(stamp, origin) if stamp else None
    sets = tuple(_text(s) for s in header.findall(f"{OAI}setSpec"))
    if header.get("status") == "deleted":
        return None
    raw = element.find(f"{OAI}metadata/{RAW}arXivRaw")
    if raw is not None:
        return _raw_record(raw, datestamp, sets, origin)
    dc = element.find(f"{OAI}metadata/{OAI_DC}dc")
    if dc is not None:
        return _dc_record(dc, header, datestamp, sets, origin)
    raise FeedError("record in an unknown metadata format (use arXivRaw or oai_dc)", source=origin)


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _raw_record(raw: ET.Element, datestamp: dt.date | None, sets: tuple[str, ...],
                origin: str) -> OaiRecord:
    arxiv_id = _parse_id(_text(raw.find(f"{RAW}id")), origin)
    versions = [v.get("version", "") for v in raw.findall(f"{RAW}version")]
    numbers = [_version(v[1:], origin) for v in versions if re.fullmatch(r"v\d+", v)]
    comment = _text(raw.find(f"{RAW}comments")) or None
    paper = Paper(
        id=arxiv_id.id,
        title=_text(raw.find(f"{RAW}title")),
        abstract=_text(raw.find(f"{RAW}abstract")),
        authors=split_authors(_text(raw.find(f"{RAW}authors"))),
        categories=tuple(_text(raw.find(f"{RAW}categories")).split()),
        version=max(numbers) if numbers else arxiv_id.version,
        comment=comment,
    )
    return OaiRecord(paper, datestamp, sets, first_version=min(numbers) if numbers else None)


def _dc_record(dc: ET.Element, header: ET.Element, datestamp: dt.date | None,
               sets: tuple[str, ...], origin: str) -> OaiRecord:
    arxiv_id = _parse_id(_text(header.find(f"{OAI}identifier")), origin)
    descriptions = [_text(d) for d in dc.findall(f"{DC}description")]
    comments = [d[len("Comment:"):].strip() for d in descriptions if d.startswith("Comment:")]
    abstract = next((d for d in descriptions if not d.startswith("Comment:")), "")
    # Dublin Core has subject names, not codes, and in no particular order: the primary
    # category is unknown here, so arXivRaw is the format to use for listings.
    subjects = [_text(s) for s in dc.findall(f"{DC}subject")]
    codes = tuple(dict.fromkeys(SUBJECTS[s] for s in subjects if s in SUBJECTS))
    paper = Paper(
        id=arxiv_id.id,
        title=_text(dc.find(f"{DC}title")),
        abstract=abstract,
        # oai_dc gives one "Family, Given" per dc:creator; keep each name whole.
        authors=tuple(_text(c) for c in dc.findall(f"{DC}creator") if _text(c)),
        categories=codes,
        comment=comments[0] if comments else None,
    )
    return OaiRecord(paper, datestamp, sets)


def _datestamp(text: str, origin: str) -> dt.date:
    try:
        return outside_date(text, what="datestamp")
    except OutsideValueError as err:
        raise FeedError(f"a record has a bad datestamp ({err})", source=origin) from err


def _version(text: str, origin: str) -> int:
    try:
        return version_number(text)
    except OutsideValueError as err:
        raise FeedError(f"a record has a bad version ({err})", source=origin) from err


def _parse_id(text: str, origin: str) -> ArxivId:
    try:
        return parse_arxiv_id(text)
    except ArxivIdError as err:
        raise FeedError(f"a record has no arXiv id ({text!r})", source=origin) from err


class OaiPmhSource:
    """Date-range listings from `ListRecords`, following resumption tokens."""

    def __init__(self, client: HttpClient, endpoint: str, metadata_prefix: str = "arXivRaw") -> None:
        self.client = client
        self.endpoint = endpoint
        self.metadata_prefix = metadata_prefix

    def list_records(self, set_spec: str, start: dt.date, end: dt.date) -> Iterator[OaiRecord]:
        """Every record of one set changed between `start` and `end` (inclusive)."""
        params: dict[str, str | int] = {
            "verb": "ListRecords", "metadataPrefix": self.metadata_prefix,
            "from": start.isoformat(), "until": end.isoformat(), "set": set_spec,
        }
        for _ in range(MAX_PAGES):
            page = parse_oai_page(self.client.get_text(self.endpoint, params), self.endpoint)
            yield from page.records
            if page.token is None:
                return
            # Only the token may accompany a resumed request (OAI-PMH 2.0, 3.5).
            params = {"verb": "ListRecords", "resumptionToken": page.token}
        raise FeedError(f"more than {MAX_PAGES} pages; giving up", source=self.endpoint)

    def listings_for_range(
        self, categories: Sequence[str], start: dt.date, end: dt.date
    ) -> dict[dt.date, list[Listing]]:
        """Per day of the range, one approximate listing per category (by OAI datestamp)."""
        by_day: dict[dt.date, dict[str, OaiRecord]] = {}
        for set_spec in dict.fromkeys(set_for_category(c) for c in categories):
            for record in self.list_records(set_spec, start, end):
                if record.datestamp is not None and start <= record.datestamp <= end:
                    by_day.setdefault(record.datestamp, {})[record.paper.id] = record
        result = {}
        day = start
        while day <= end:
            records = list(by_day.get(day, {}).values())
            result[day] = _day_listings(records, categories, day)
            day += dt.timedelta(days=1)
        return result


def _day_listings(records: Sequence[OaiRecord], categories: Sequence[str],
                  day: dt.date) -> list[Listing]:
    note = f"approximate: records changed on {day} (OAI-PMH datestamp)"
    listings = []
    for category in categories:
        entries: list[ListingEntry] = []
        for record in records:
            paper = record.paper
            if not in_category(paper.categories, category):
                continue
            entries.append(ListingEntry(paper, category, _announce(record, category), len(entries)))
        status = ListingStatus.OK if entries else ListingStatus.NO_ANNOUNCEMENT
        listings.append(Listing(category, day, tuple(entries), "oai-pmh", status, approximate=True,
                                note=note if entries else f"no announcement for {day} ({note})"))
    return listings


def _announce(record: OaiRecord, category: str) -> AnnounceType:
    primary = in_category(record.paper.categories[:1], category)
    replaced = (record.paper.version or 1) > 1
    if replaced:
        return AnnounceType.REPLACE if primary else AnnounceType.REPLACE_CROSS
    return AnnounceType.NEW if primary else AnnounceType.CROSS


# Dublin Core subject names of the categories papersieve users pick most (arXiv taxonomy).
SUBJECTS: dict[str, str] = {
    "Computer Science - Artificial Intelligence": "cs.AI",
    "Computer Science - Hardware Architecture": "cs.AR",
    "Computer Science - Computational Complexity": "cs.CC",
    "Computer Science - Computational Engineering, Finance, and Science": "cs.CE",
    "Computer Science - Computational Geometry": "cs.CG",
    "Computer Science - Computation and Language": "cs.CL",
    "Computer Science - Cryptography and Security": "cs.CR",
    "Computer Science - Computer Vision and Pattern Recognition": "cs.CV",
    "Computer Science - Computers and Society": "cs.CY",
    "Computer Science - Databases": "cs.DB",
    "Computer Science - Distributed, Parallel, and Cluster Computing": "cs.DC",
    "Computer Science - Digital Libraries": "cs.DL",
    "Computer Science - Discrete Mathematics": "cs.DM",
    "Computer Science - Data Structures and Algorithms": "cs.DS",
    "Computer Science - Emerging Technologies": "cs.ET",
    "Computer Science - Formal Languages and Automata Theory": "cs.FL",
    "Computer Science - General Literature": "cs.GL",
    "Computer Science - Graphics": "cs.GR",
    "Computer Science - Computer Science and Game Theory": "cs.GT",
    "Computer Science - Human-Computer Interaction": "cs.HC",
    "Computer Science - Information Retrieval": "cs.IR",
    "Computer Science - Information Theory": "cs.IT",
    "Computer Science - Machine Learning": "cs.LG",
    "Computer Science - Logic in Computer Science": "cs.LO",
    "Computer Science - Multiagent Systems": "cs.MA",
    "Computer Science - Multimedia": "cs.MM",
    "Computer Science - Mathematical Software": "cs.MS",
    "Computer Science - Numerical Analysis": "cs.NA",
    "Computer Science - Neural and Evolutionary Computing": "cs.NE",
    "Computer Science - Networking and Internet Architecture": "cs.NI",
    "Computer Science - Other Computer Science": "cs.OH",
    "Computer Science - Operating Systems": "cs.OS",
    "Computer Science - Performance": "cs.PF",
    "Computer Science - Programming Languages": "cs.PL",
    "Computer Science - Robotics": "cs.RO",
    "Computer Science - Symbolic Computation": "cs.SC",
    "Computer Science - Sound": "cs.SD",
    "Computer Science - Software Engineering": "cs.SE",
    "Computer Science - Social and Information Networks": "cs.SI",
    "Computer Science - Systems and Control": "cs.SY",
    "Statistics - Machine Learning": "stat.ML",
    "Statistics - Methodology": "stat.ME",
    "Statistics - Applications": "stat.AP",
    "Statistics - Computation": "stat.CO",
    "Electrical Engineering and Systems Science - Signal Processing": "eess.SP",
    "Electrical Engineering and Systems Science - Image and Video Processing": "eess.IV",
    "Electrical Engineering and Systems Science - Audio and Speech Processing": "eess.AS",
    "Electrical Engineering and Systems Science - Systems and Control": "eess.SY",
    "Mathematics - Optimization and Control": "math.OC",
    "Quantum Physics": "quant-ph",
}
