"""Network endpoints are settings: environment variables override the profile, which overrides
these defaults, so tests and users can point papersieve at any server (loopback included)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import ClassVar

USER_AGENT = (
    "papersieve/0.1 (personal arXiv digest; https://github.com/papersieve/papersieve)"
)


@dataclass(frozen=True)
class Endpoints:
    """Where each external service lives."""

    arxiv_rss: str = "https://rss.arxiv.org/rss/{category}"
    """Daily listing feed; `{category}` is replaced (arXiv RSS spec, help/rss_specifications)."""
    arxiv_atom: str = "https://rss.arxiv.org/atom/{category}"
    """The Atom variant of the same daily feed."""
    arxiv_api: str = "https://export.arxiv.org/api/query"
    """The arXiv query API (Atom), used for backfill by submission date."""
    oai_pmh: str = "https://oaipmh.arxiv.org/oai"
    """arXiv's OAI-PMH endpoint, used for backfill with `ListRecords`."""
    semantic_scholar: str = "https://api.semanticscholar.org/graph/v1"
    """Semantic Scholar Graph API, for the optional author h-index prefilter."""
    biorxiv_api: str = "https://api.biorxiv.org"
    """The bioRxiv / medRxiv API (`/details/{server}/{from}/{to}/{cursor}`, api.biorxiv.org)."""
    zotero_api: str = "https://api.zotero.org"
    """The Zotero web API v3 (`import-likes --zotero`)."""

    ENV: ClassVar[dict[str, str]] = {
        "arxiv_rss": "PAPERSIEVE_ARXIV_RSS_URL",
        "arxiv_atom": "PAPERSIEVE_ARXIV_ATOM_URL",
        "arxiv_api": "PAPERSIEVE_ARXIV_API_URL",
        "oai_pmh": "PAPERSIEVE_OAI_PMH_URL",
        "semantic_scholar": "PAPERSIEVE_S2_URL",
        "biorxiv_api": "PAPERSIEVE_BIORXIV_API_URL",
        "zotero_api": "PAPERSIEVE_ZOTERO_API_URL",
    }

    @classmethod
    def resolve(cls, profile_values: dict[str, str] | None = None) -> Endpoints:
        """Defaults, overridden by the profile's `[endpoints]`, overridden by the environment."""
        values: dict[str, str] = {}
        for name, env_name in cls.ENV.items():
            chosen = os.environ.get(env_name) or (profile_values or {}).get(name)
            if chosen:
                values[name] = chosen
        return cls(**values)

    def rss_url(self, category: str) -> str:
        """The RSS address of one category."""
        return self.arxiv_rss.replace("{category}", category)

    def atom_url(self, category: str) -> str:
        """The Atom address of one category."""
        return self.arxiv_atom.replace("{category}", category)
