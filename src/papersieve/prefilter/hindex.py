"""Optional author h-index floor through Semantic Scholar, as the seed system had (floor 20).

Off by default (`filters.h_index_floor = 0`). A paper is dropped (Outcome.FILTERED_HINDEX) when
every author Semantic Scholar knows has an h-index below the floor; a paper it does not know,
or whose authors it has no h-index for, is kept: missing data never drops a paper. Two batch
endpoints are used: `POST /paper/batch` (arXiv ids -> author ids) and `POST /author/batch`
(author ids -> hIndex). h-indices are cached in `author_hindex` by author id and by name, so a
rerun asks nothing. Requests go through the `SEMANTIC_SCHOLAR` policy of `papersieve.outbound`
(one per second, Semantic Scholar's limit for keyed and unkeyed use; 429/5xx retried with
Retry-After or backoff, a few times).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from papersieve import outbound
from papersieve.authors import normalise_name
from papersieve.errors import FetchError
from papersieve.models import Judgement, Outcome, Paper
from papersieve.outbound import SEMANTIC_SCHOLAR, Policy
from papersieve.profile.loader import Profile
from papersieve.store.db import Store, utcnow

JUDGE = "hindex"
PAPER_BATCH = 500  # Semantic Scholar's limits per batch request
AUTHOR_BATCH = 1000


@dataclass(frozen=True)
class HIndexResult:
    """Papers kept, papers dropped (with their outcome) and notes for the user."""

    kept: tuple[Paper, ...]
    filtered: tuple[Judgement, ...]
    notes: tuple[str, ...] = ()
    requests: int = 0


class HIndexFilter:
    """Drops papers whose known authors all have an h-index below `floor`."""

    def __init__(
        self, floor: int, store: Store, base_url: str, *, api_key: str | None = None,
        policy: Policy = SEMANTIC_SCHOLAR,
    ) -> None:
        self.floor = floor
        self.store = store
        self.base_url = base_url.rstrip("/")
        headers = {}
        key = api_key or os.environ.get("S2_API_KEY")
        if key:
            headers["x-api-key"] = key
        self._http = outbound.client(policy, headers=headers)
        self._lock = threading.Lock()
        self.requests = 0

    @classmethod
    def from_profile(cls, profile: Profile, store: Store, **kwargs: Any) -> HIndexFilter:
        """The filter a profile asks for (`filters.h_index_floor`, `endpoints.semantic_scholar`)."""
        return cls(profile.settings.filters.h_index_floor, store, profile.endpoints.semantic_scholar,
                   **kwargs)

    @property
    def enabled(self) -> bool:
        """True when a floor is set."""
        return self.floor > 0

    def apply(self, papers: Sequence[Paper]) -> HIndexResult:
        """Split papers into kept and dropped; a Semantic Scholar failure keeps every paper."""
        if not self.enabled or not papers:
            return HIndexResult(tuple(papers), ())
        try:
            best = self._best_hindex(papers)
        except FetchError as err:
            return HIndexResult(tuple(papers), (), (f"h-index filter skipped: {err}",), self.requests)
        kept, dropped = [], []
        for paper in papers:
            value = best.get(paper.id)
            if value is not None and value < self.floor:
                dropped.append(Judgement(
                    paper.id, Outcome.FILTERED_HINDEX, JUDGE, "semantic-scholar",
                    detail=f"highest author h-index {value} < floor {self.floor}"))
            else:
                kept.append(paper)
        unknown = sum(1 for p in papers if best.get(p.id) is None)
        notes = (f"h-index unknown for {unknown} papers: kept",) if unknown else ()
        return HIndexResult(tuple(kept), tuple(dropped), notes, self.requests)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- h-indices ---------------------------------------------------------------------------

    def _best_hindex(self, papers: Sequence[Paper]) -> dict[str, int | None]:
        """The highest known author h-index of each paper (None: nothing known)."""
        best: dict[str, int | None] = {}
        ask = []
        for paper in papers:
            cached = [self._cached(f"name:{normalise_name(a)}") for a in paper.authors]
            if paper.authors and all(c is not None for c in cached):
                best[paper.id] = _max_known([c[0] for c in cached if c is not None])
            else:
                ask.append(paper)
        authors_of = self._paper_authors(ask)
        self._fetch_authors({a for ids in authors_of.values() for a, _ in ids})
        for paper in ask:
            values = [self._cached(f"s2:{author_id}") for author_id, _ in authors_of.get(paper.id, [])]
            best[paper.id] = _max_known([v[0] for v in values if v is not None])
        return best

    def _paper_authors(self, papers: Sequence[Paper]) -> dict[str, list[tuple[str, str]]]:
        """arXiv id -> [(S2 author id, name)] for the papers Semantic Scholar knows."""
        found: dict[str, list[tuple[str, str]]] = {}
        for start in range(0, len(papers), PAPER_BATCH):
            chunk = papers[start : start + PAPER_BATCH]
            rows = self._post("/paper/batch", "authors", [f"ARXIV:{p.id}" for p in chunk])
            for paper, row in zip(chunk, rows, strict=False):
                if isinstance(row, dict):
                    found[paper.id] = [(str(a["authorId"]), str(a.get("name") or ""))
                                       for a in row.get("authors") or [] if a.get("authorId")]
        return found

    def _fetch_authors(self, author_ids: set[str]) -> None:
        """Ask the h-index of authors not cached yet, and cache it by id and by name."""
        wanted = sorted(a for a in author_ids if self._cached(f"s2:{a}") is None)
        for start in range(0, len(wanted), AUTHOR_BATCH):
            chunk = wanted[start : start + AUTHOR_BATCH]
            rows = self._post("/author/batch", "name,hIndex", chunk)
            with self.store.transaction() as conn:
                for author_id, row in zip(chunk, rows, strict=False):
                    row = row if isinstance(row, dict) else {}
                    name = str(row.get("name") or "")
                    value = row.get("hIndex")
                    h_index = int(value) if isinstance(value, int | float) else None
                    for key in (f"s2:{author_id}", f"name:{normalise_name(name)}" if name else ""):
                        if key:
                            conn.execute(
                                "INSERT OR REPLACE INTO author_hindex (key, name, h_index, fetched_at)"
                                " VALUES (?, ?, ?, ?)", (key, name, h_index, utcnow()))

    def _cached(self, key: str) -> tuple[int | None] | None:
        """(h-index or None,) when cached; None when never asked."""
        row = self.store.conn.execute("SELECT h_index FROM author_hindex WHERE key = ?", (key,)).fetchone()
        return None if row is None else (row[0],)

    # -- HTTP --------------------------------------------------------------------------------

    def _post(self, path: str, fields: str, ids: list[str]) -> list[Any]:
        """One batch request (paced and retried by the policy); returns the JSON list."""
        url = f"{self.base_url}{path}"
        with self._lock:
            self.requests += 1
        try:
            response = self._http.post(url, params={"fields": fields}, json={"ids": ids})
        except httpx.HTTPError as err:
            raise FetchError(f"Semantic Scholar unreachable ({err})", url=url) from err
        if response.status_code != 200:
            raise FetchError("Semantic Scholar refused the batch", url=url, status=response.status_code)
        try:
            data = response.json()
        except ValueError as err:
            raise FetchError("Semantic Scholar answered with something other than JSON", url=url) from err
        return data if isinstance(data, list) else []


def _max_known(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None
