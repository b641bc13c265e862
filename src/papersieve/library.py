"""A researcher's library read from an export: BibTeX, CSL-JSON or Zotero RDF, one `Entry` each.

Every format gives a title, an abstract when the export has one, the arXiv id when any field
names it, and when the paper was added to the library (the order that weighs it by recency).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papersieve import localfiles
from papersieve.bibtex import read_bibtex
from papersieve.errors import ConfigError
from papersieve.ids import ArxivId, ArxivIdError, find_arxiv_id, parse_arxiv_id

MAX_FILE = 200 * 1024 * 1024
"""Largest export read (a library of 100,000 entries with abstracts is ~150 MB)."""
ARXIV_DOI = "10.48550/arxiv."
"""The prefix of arXiv's DataCite DOIs (10.48550/arXiv.2507.00641), matched in any case."""


@dataclass(frozen=True)
class Entry:
    """One library entry as the export gives it."""

    title: str
    abstract: str = ""
    arxiv_id: str = ""
    found_by: str = ""
    """Which field named the arXiv id: eprint, doi, url, journal, note, number."""
    doi: str = ""
    added: str = ""
    """When it was added to the library (ISO text), '' when the export does not say."""
    key: str = ""
    """The export's own key (citation key, item URI), for messages."""


def read_library(path: Path) -> tuple[list[Entry], str]:
    """The entries of an export and its format (bibtex, csl-json, zotero-rdf), by content."""
    try:
        head = localfiles.read_bytes(path, MAX_FILE)[:4096].lstrip()
    except localfiles.FileTooLarge as err:
        raise ConfigError(f"{err.strerror}: not a library export", path=str(path)) from err
    except OSError as err:
        raise ConfigError(f"cannot read ({err.strerror})", path=str(path)) from err
    if head.startswith((b"[", b"{")):
        return read_csl_json(path), "csl-json"
    if head.startswith(b"<"):
        return read_zotero_rdf(path), "zotero-rdf"
    return [bibtex_entry(e) for e in read_bibtex(path)], "bibtex"


def _doi_id(value: str) -> ArxivId | None:
    """The arXiv id after an arXiv DOI prefix in `value` (a bare DOI or a doi.org address)."""
    start = value.lower().find(ARXIV_DOI)
    # Slice the text as written: an old-style id's subject class is upper case (math.GT/0309136).
    return find_arxiv_id(value[start + len(ARXIV_DOI):]) if start >= 0 else None


def arxiv_from_fields(fields: dict[str, str], eprint_keys: tuple[str, ...] = ("eprint",),
                      ) -> tuple[str, str] | None:
    """(id, field): an eprint with an arXiv (or no) prefix, an arXiv DOI, else any field that
    names arXiv and holds an id (url, journal, note, ...)."""
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    for name in eprint_keys:
        eprint = fields.get(name, "").strip()
        if eprint and (not prefix or "arxiv" in prefix):
            try:
                return parse_arxiv_id(eprint).id, name
            except ArxivIdError:
                pass
    found = _doi_id(fields.get("doi", ""))
    if found:
        return found.id, "doi"
    for name, value in fields.items():
        if name != "doi" and "arxiv" in value.lower():
            found = _doi_id(value) or find_arxiv_id(value)
            if found:
                return found.id, name
    return None


ADDED_FIELDS = ("date-added", "dateadded", "timestamp", "added-at")
"""BibTeX fields that say when an entry was added (BibDesk, Zotero, JabRef, BibSonomy)."""


def bibtex_entry(entry: dict[str, Any]) -> Entry:
    """One entry of `bibtex.read_bibtex` (field names lower case)."""
    fields = {k: str(v) for k, v in entry.items() if k not in ("id", "entrytype")}
    order = ["eprint", "doi", "url", "journal", "note", "howpublished"]
    named = {k: fields[k] for k in order if k in fields}
    found = arxiv_from_fields({**named, "archiveprefix": fields.get("archiveprefix", ""),
                               "eprinttype": fields.get("eprinttype", "")})
    added = next((fields[k] for k in ADDED_FIELDS if fields.get(k)), "")
    return Entry(_clean(fields.get("title", "")), _clean(fields.get("abstract", "")),
                 *(found or ("", "")), doi=fields.get("doi", "").strip(), added=added.strip(),
                 key=str(entry.get("id", "")))


def _clean(text: str) -> str:
    """TeX braces removed, spaces collapsed (what a reader sees of a title or abstract)."""
    return " ".join(text.replace("{", "").replace("}", "").split())


def read_csl_json(path: Path) -> list[Entry]:
    """CSL-JSON (Zotero's "CSL JSON" export): a list of items with `title`, `abstract`, `DOI`,
    `URL`, `number` (arXiv's id for a preprint), `archive` and dates as `date-parts`."""
    try:
        items = json.loads(localfiles.read_text(path, MAX_FILE))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ConfigError(f"not a CSL-JSON file ({str(err)[:120]})", path=str(path)) from err
    if isinstance(items, dict):
        items = items.get("items", [items])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError("not a CSL-JSON file (a list of items)", path=str(path))
    entries = [_csl_entry(item) for item in items]
    if not entries:
        raise ConfigError("no item in this CSL-JSON file", path=str(path))
    return entries


def _csl_entry(item: dict[str, Any]) -> Entry:
    fields = {k.lower(): str(item.get(k) or "") for k in ("number", "DOI", "URL", "archive",
                                                          "container-title", "note")}
    fields["archiveprefix"] = fields.pop("archive", "")
    found = arxiv_from_fields(fields, eprint_keys=("number",))
    return Entry(_clean(str(item.get("title") or "")), _clean(str(item.get("abstract") or "")),
                 *(found or ("", "")), doi=fields["doi"].strip(),
                 added=_csl_date(item.get("accessed")) or _csl_date(item.get("issued")),
                 key=str(item.get("id") or ""))


def _csl_date(value: Any) -> str:
    """`{"date-parts": [[2025, 7, 3]]}` as 2025-07-03 (missing parts as 01), else ''."""
    try:
        parts = [int(p) for p in value["date-parts"][0]][:3]
    except (TypeError, KeyError, IndexError, ValueError):
        return ""
    parts += [1] * (3 - len(parts))
    return "{:04d}-{:02d}-{:02d}".format(*parts)


NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "z": "http://www.zotero.org/namespaces/export#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "bib": "http://purl.org/net/biblio#",
}
"""The namespaces of Zotero's RDF export (Zotero's translators, `Zotero RDF.js`)."""
SKIPPED_TYPES = {"attachment", "note"}


def read_zotero_rdf(path: Path) -> list[Entry]:
    """Zotero RDF: every top-level item with a `z:itemType` other than an attachment or a note;
    its `dc:title`, `dcterms:abstract`, `dcterms:dateSubmitted` (when it was added) and the
    identifiers (`dc:identifier`, URIs, DOIs) that may name an arXiv id."""
    try:
        root = ET.fromstring(localfiles.read_bytes(path, MAX_FILE))
    except (OSError, ET.ParseError) as err:
        raise ConfigError(f"not a Zotero RDF file ({str(err)[:120]})", path=str(path)) from err
    entries = []
    for node in root:
        kind = node.findtext("z:itemType", default="", namespaces=NS)
        if not kind or kind in SKIPPED_TYPES:
            continue
        idents = [" ".join(x.itertext()) for x in node.iterfind("dc:identifier", NS)]
        idents += [x.get(f"{{{NS['rdf']}}}about", "") for x in node.iter()]
        fields = {"url": " ".join(i for i in idents if "arxiv" in i.lower()),
                  "doi": next((i.split()[-1] for i in idents if i.upper().startswith("DOI")), ""),
                  "note": node.findtext("dc:description", default="", namespaces=NS)}
        found = arxiv_from_fields(fields, eprint_keys=())
        entries.append(Entry(
            _clean(node.findtext("dc:title", default="", namespaces=NS)),
            _clean(node.findtext("dcterms:abstract", default="", namespaces=NS)),
            *(found or ("", "")), doi=fields["doi"],
            added=node.findtext("dcterms:dateSubmitted", default="", namespaces=NS).strip(),
            key=node.get(f"{{{NS['rdf']}}}about", "")))
    if not entries:
        raise ConfigError("no Zotero item in this RDF file (export as Zotero RDF)", path=str(path))
    return entries


def example_key(entry: Entry) -> str:
    """One key per paper: the arXiv id, else the DOI, else the normalised title."""
    if entry.arxiv_id:
        return entry.arxiv_id
    if entry.doi:
        return "doi:" + entry.doi.lower()
    return "title:" + re.sub(r"[^0-9a-z]+", " ", entry.title.lower()).strip()
