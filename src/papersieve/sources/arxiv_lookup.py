"""Abstracts of arXiv papers by id, for `import-likes`: the arXiv API's `id_list`, batched.

`id_list=A,B,C&max_results=N` answers one Atom entry per id (arXiv API user manual, "Query
interface": `id_list` is a comma-delimited list of arXiv ids). Requests go through
`papersieve.outbound.ARXIV_LOOKUP`: one every 3 seconds, the manual's limit.
"""

from __future__ import annotations

import httpx

from papersieve import outbound
from papersieve.endpoints import Endpoints
from papersieve.errors import FeedError
from papersieve.models import Paper
from papersieve.sources.arxiv_api import parse_api_page

BATCH = 100
"""Ids per request (the manual's examples page by 100; a URL of 100 ids is ~1.5 kB)."""


def lookup_abstracts(ids: list[str], endpoint: str | None = None,
                     client: outbound.Http | None = None) -> tuple[dict[str, Paper], str]:
    """id -> the paper the API returns for it, and a note ('' when every batch was answered).

    No network, or an API failure, is not an error: the import keeps what it has (titles) and
    says why the abstracts are missing.
    """
    url = endpoint or Endpoints.resolve().arxiv_api
    found: dict[str, Paper] = {}
    own = client is None
    http = client or outbound.client(outbound.ARXIV_LOOKUP)
    try:
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            params = {"id_list": ",".join(batch), "max_results": str(len(batch)), "start": "0"}
            try:
                response = http.get(url, params=params)
                response.raise_for_status()
                page = parse_api_page(response.content, url)
            except (httpx.HTTPError, FeedError) as err:
                return found, f"the arXiv API did not answer ({_reason(err)}); looked up {len(found)}"
            wanted = set(batch)
            found.update({r.paper.id: r.paper for r in page.records if r.paper.id in wanted})
    finally:
        if own:
            http.close()
    return found, ""


def _reason(err: Exception) -> str:
    if isinstance(err, httpx.HTTPStatusError):
        return f"HTTP {err.response.status_code}"
    return str(err).splitlines()[0][:120] if str(err) else type(err).__name__
