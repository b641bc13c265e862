"""A live Zotero library through the Zotero web API v3 (`papersieve import-likes --zotero`).

What the API documentation (https://www.zotero.org/support/dev/web_api/v3/basics) says and this
module follows:
- the library is `/users/{userID}` or `/groups/{groupID}`; `/items/top` lists its top-level items,
  `/collections` its collections; `format=json`, at most `limit=100` per request from `start`;
- every response carries `Total-Results`, and a `Link` header with `rel="next"` while there are more;
- the key goes in the `Zotero-API-Key` header (never in the address) with `Zotero-API-Version: 3`;
- "Rate Limiting": a `Backoff: <seconds>` header asks the client to wait before its next request;
  a 429 or 503 carries `Retry-After` (the `outbound.ZOTERO` policy waits and retries those).

The key comes from `ZOTERO_API_KEY` in the environment only; it is never stored, logged or shown.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from papersieve import outbound
from papersieve.endpoints import Endpoints
from papersieve.errors import ConfigError, PapersieveError
from papersieve.library import Entry, arxiv_from_fields
from papersieve.outbound.policy import parse_retry_after

PAGE = 100
"""Items per request: the API's largest `limit`."""
MAX_PAGES = 2000
"""A safety stop (200,000 items)."""
MAX_BACKOFF = 300.0
"""Longest pause a `Backoff` header is obeyed for (seconds)."""
SKIPPED = {"attachment", "note", "annotation"}
KEY_ENV = "ZOTERO_API_KEY"
USER_ENV = "ZOTERO_USER_ID"


class ZoteroError(PapersieveError):
    """The Zotero API refused or failed (the message never holds the key)."""


@dataclass(frozen=True)
class ZoteroLibrary:
    """Which library to read, and which collections of it."""

    user_id: str = ""
    group_id: str = ""
    include: tuple[str, ...] = ()
    """Collection names or keys to keep (empty: the whole library)."""
    exclude: tuple[str, ...] = ()
    """Collection names or keys whose items are left out."""

    @property
    def prefix(self) -> str:
        """`/users/ID` or `/groups/ID`."""
        return f"/groups/{self.group_id}" if self.group_id else f"/users/{self.user_id}"


def library_from_env(group_id: str | None, include: tuple[str, ...],
                     exclude: tuple[str, ...]) -> ZoteroLibrary:
    """`--group ID`, else `ZOTERO_USER_ID`; a clear error when neither is set or is not a number."""
    user = os.environ.get(USER_ENV, "").strip()
    chosen = (group_id or "").strip() or user
    if not chosen:
        raise ConfigError(f"set {USER_ENV} (your Zotero user id, zotero.org/settings/keys) or"
                          " give --group ID")
    if not chosen.isdigit():
        raise ConfigError(f"a Zotero user or group id is a number, not {chosen[:40]!r}")
    return ZoteroLibrary("" if group_id else chosen, chosen if group_id else "", include, exclude)


class ZoteroClient:
    """Pages through one library's items, obeying `Backoff`."""

    def __init__(self, library: ZoteroLibrary, key: str | None = None, base: str | None = None,
                 client: outbound.Http | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.library = library
        self.base = (base or Endpoints.resolve().zotero_api).rstrip("/")
        key = key if key is not None else os.environ.get(KEY_ENV, "")
        headers = {"Zotero-API-Version": "3", **({"Zotero-API-Key": key} if key else {})}
        self.http = client or outbound.client(outbound.ZOTERO)
        self.http.headers.update(headers)
        self.sleep = sleep
        self.requests = 0

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every page of a listing, following `Link: rel="next"` (else `start` to `Total-Results`)."""
        url: str | None = self.base + self.library.prefix + path
        query: dict[str, str] | None = {"format": "json", "limit": str(PAGE), "start": "0",
                                        **(params or {})}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._get(url, query)
            body = response.json()
            if not isinstance(body, list):
                raise ZoteroError("the Zotero API answered something other than a list")
            yield [x for x in body if isinstance(x, dict)]
            url, query = self._next(response, query, len(body))

    def _next(self, response: httpx.Response, query: dict[str, str] | None,
              count: int) -> tuple[str | None, dict[str, str] | None]:
        nxt = response.links.get("next", {}).get("url")
        if nxt:
            return str(response.url.join(nxt)), None
        total = response.headers.get("Total-Results", "")
        if query is None or not total.isdigit() or count == 0:
            return None, None
        start = int(query["start"]) + count
        return (str(response.url.copy_with(query=None)), {**query, "start": str(start)}) \
            if start < int(total) else (None, None)

    def _get(self, url: str, query: dict[str, str] | None) -> httpx.Response:
        try:
            response = self.http.get(url, params=query)
        except httpx.HTTPError as err:
            raise ZoteroError(f"cannot reach the Zotero API ({type(err).__name__})") from None
        self.requests += 1
        if response.status_code in (401, 403):
            raise ZoteroError(f"the Zotero API refused the request (HTTP {response.status_code}):"
                              f" check {KEY_ENV} and that the key may read this library")
        if response.status_code == 404:
            raise ZoteroError(f"no such Zotero library ({self.library.prefix})")
        if response.status_code >= 400:
            raise ZoteroError(f"the Zotero API answered HTTP {response.status_code}")
        wait = parse_retry_after(response.headers.get("Backoff", ""))
        if wait:  # the server asks every client to slow down for a while
            self.sleep(min(wait, MAX_BACKOFF))
        return response

    def collections(self) -> dict[str, str]:
        """Collection key -> name."""
        return {str(c.get("key")): str((c.get("data") or {}).get("name", ""))
                for page in self.pages("/collections") for c in page}

    def entries(self) -> list[Entry]:
        """The library's top-level items (no attachments or notes) in the chosen collections."""
        include, exclude = self._keys(self.library.include), self._keys(self.library.exclude)
        out = []
        for page in self.pages("/items/top"):
            for item in page:
                data = item.get("data") or {}
                if data.get("itemType") in SKIPPED:
                    continue
                where = set(data.get("collections") or [])
                if (include and not where & include) or where & exclude:
                    continue
                out.append(item_entry(data))
        return out

    def _keys(self, wanted: tuple[str, ...]) -> set[str]:
        if not wanted:
            return set()
        names = self.collections()
        keys = {k for k, name in names.items() if k in wanted or name in wanted}
        unknown = [w for w in wanted if w not in names and w not in names.values()]
        if unknown:
            raise ConfigError(f"no Zotero collection named {unknown[0][:60]!r} in this library")
        return keys


def item_entry(data: dict[str, Any]) -> Entry:
    """One item's `data` object: title, abstractNote, DOI, url, archiveID, extra, dateAdded."""
    fields = {"archiveprefix": str(data.get("repository") or data.get("libraryCatalog") or ""),
              "number": str(data.get("archiveID") or ""), "doi": str(data.get("DOI") or ""),
              "url": str(data.get("url") or ""), "extra": str(data.get("extra") or "")}
    if "arxiv" not in fields["archiveprefix"].lower():
        fields["archiveprefix"] = "arxiv" if "arxiv" in fields["number"].lower() else ""
    fields["number"] = fields["number"].split(":", 1)[-1]
    found = arxiv_from_fields(fields, eprint_keys=("number",))
    return Entry(" ".join(str(data.get("title") or "").split()),
                 " ".join(str(data.get("abstractNote") or "").split()), *(found or ("", "")),
                 doi=fields["doi"].strip(), added=str(data.get("dateAdded") or ""),
                 key=str(data.get("key") or ""))


def read_zotero(library: ZoteroLibrary, base: str | None = None) -> list[Entry]:
    """Every chosen item of a live library (the key from the environment)."""
    client = ZoteroClient(library, base=base)
    try:
        return client.entries()
    finally:
        client.close()
