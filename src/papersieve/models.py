"""Plain values of the core: papers, listings, judgements, usage. Validation lives at the edges."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from papersieve.codelinks import code_links
from papersieve.ids import is_doi


class AnnounceType(StrEnum):
    """How a paper appears in a category's daily listing (RSS `arxiv:announce_type`)."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"


class Outcome(StrEnum):
    """The one outcome every candidate of a run ends with."""

    JUDGED = "judged"
    PINNED_AUTHOR = "pinned_author"
    FILTERED_TITLE = "filtered_by_title"
    FILTERED_HINDEX = "filtered_by_hindex"
    FILTERED_KEYWORD = "filtered_by_keyword"
    SKIPPED_LOCAL = "skipped_by_local_ranker"
    SEEN_BEFORE = "seen_before"
    FAILED = "failed_after_retries"
    COST_CAP = "not_judged_cost_cap"

    @property
    def counts_as_seen(self) -> bool:
        """True when this outcome decided the paper, so a later day does not judge it again.

        The one rule for "seen before": a paper that failed, was stopped by the cost cap, or was
        itself only "seen before" was never decided, and must be judged when it is listed again.
        """
        return self not in _UNDECIDED


_UNDECIDED = frozenset({Outcome.SEEN_BEFORE, Outcome.FAILED, Outcome.COST_CAP})
SEEN_OUTCOMES = tuple(o.value for o in Outcome if o.counts_as_seen)
"""The outcome codes that count as "seen" (see `Outcome.counts_as_seen`)."""


PARTIAL_PREFIX = "Judged in part:"
"""How the note of a day judged in part begins (pipeline.partial_notice)."""


class ListingStatus(StrEnum):
    """What fetching one category's daily listing gave."""

    OK = "ok"
    NO_ANNOUNCEMENT = "no_announcement"
    STALE = "stale"
    MISSING = "missing"
    """The source had no data for the category (no offline file): unknown, never stored."""


@dataclass(frozen=True)
class Paper:
    """One arXiv paper, identified by its version-less id."""

    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...] = ()
    version: int | None = None
    comment: str | None = None

    @property
    def primary_category(self) -> str | None:
        """The primary category: arXiv lists it first."""
        return self.categories[0] if self.categories else None

    @cached_property
    def content_hash(self) -> str:
        """Hash of what a judge reads (title, authors, abstract): the cache key's paper part."""
        payload = json.dumps([self.title, list(self.authors), self.abstract], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def abs_url(self) -> str:
        """The abstract page, on the paper's own server (once per paper object: a group's day
        writes it into every member's day file)."""
        return abs_url(self.id, self.categories)

    @property
    def pdf_url(self) -> str:
        """The PDF."""
        return pdf_url(self.id, self.categories)

    @cached_property
    def code_links(self) -> tuple[str, ...]:
        """Code repositories named in the abstract or the arXiv comments (see codelinks.py);
        found once per paper object (a group's day writes each paper's into every member's day
        file: 47 us a time)."""
        return code_links(self.abstract, self.comment)


PREPRINT_SERVERS = ("biorxiv", "medrxiv")
"""Sources whose categories are written `server:subject` and whose paper ids are DOIs."""


def preprint_server(categories: Sequence[str]) -> str | None:
    """`biorxiv` or `medrxiv` when the first category is one of theirs (`biorxiv:neuroscience`)."""
    server = categories[0].split(":", 1)[0] if categories and ":" in categories[0] else ""
    return server if server in PREPRINT_SERVERS else None


def abs_url(paper_id: str, categories: Sequence[str] = ()) -> str:
    """The abstract page of a version-less id: arXiv's, or a DOI's on bioRxiv / medRxiv (both use
    the DOI prefix 10.1101, so the server comes from the paper's category; doi.org otherwise)."""
    if not is_doi(paper_id):
        return f"https://arxiv.org/abs/{paper_id}"
    server = preprint_server(categories)
    return f"https://www.{server}.org/content/{paper_id}" if server else f"https://doi.org/{paper_id}"


def pdf_url(paper_id: str, categories: Sequence[str] = ()) -> str:
    """The PDF of a version-less id (a preprint's newest version on its server)."""
    if not is_doi(paper_id):
        return f"https://arxiv.org/pdf/{paper_id}"
    server = preprint_server(categories)
    return f"https://www.{server}.org/content/{paper_id}.full.pdf" if server else abs_url(paper_id)


def id_label(paper_id: str) -> str:
    """How a page names the id: `arXiv:2507.01335` or `doi:10.1101/...`."""
    return f"doi:{paper_id}" if is_doi(paper_id) else f"arXiv:{paper_id}"


@dataclass(frozen=True)
class ListingEntry:
    """One item of one category's daily listing."""

    paper: Paper
    category: str
    announce_type: AnnounceType
    position: int


@dataclass(frozen=True)
class Listing:
    """One category's listing for one announcement day, as a source gave it."""

    category: str
    date: dt.date | None
    entries: tuple[ListingEntry, ...]
    source: str
    status: ListingStatus = ListingStatus.OK
    approximate: bool = False
    note: str = ""


@dataclass(frozen=True)
class Usage:
    """Tokens and dollars of one or more LLM calls; `cost` is None when the price is unknown."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    prompt_cost: float | None = 0.0
    completion_cost: float | None = 0.0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float | None:
        """Total dollars, or None when any part is unknown."""
        if self.prompt_cost is None or self.completion_cost is None:
            return None
        return self.prompt_cost + self.completion_cost

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cached_tokens + other.cached_tokens,
            _add_cost(self.prompt_cost, other.prompt_cost),
            _add_cost(self.completion_cost, other.completion_cost),
        )


def _add_cost(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


@dataclass(frozen=True)
class Judgement:
    """A judge's verdict on one paper, or the recorded reason it has none (`outcome`)."""

    paper_id: str
    outcome: Outcome
    judge: str
    model: str = ""
    prompt_hash: str = ""
    relevance: float | None = None
    novelty: float | None = None
    comment: str = ""
    detail: str = ""
    tldr: str = ""
    """What the paper does and finds, in at most 30 words (papersieve/tldr.py), or ""."""
    tldr_kind: str = ""
    """`llm` (written by the LLM) or `extractive` (the abstract's own sentence); "" for no TL;DR."""
    language: str = ""
    """BCP 47 tag of the language the comment and TL;DR were asked in ("": English)."""

    @property
    def has_scores(self) -> bool:
        """True when the judge gave a relevance score."""
        return self.relevance is not None


@dataclass(frozen=True)
class Pick:
    """A selected paper with the judgement that selected it."""

    paper: Paper
    judgement: Judgement
    pinned: bool = False


@dataclass(frozen=True)
class DayCounts:
    """The digest's counts (DESIGN.md, "Counts")."""

    total: int
    scanned: int
    unique: int
    relevant: int = 0


@dataclass(frozen=True)
class PromptText:
    """The system and user prompt as sent, with the papers replaced by a placeholder."""

    system: str
    user: str
    schema: str = ""
    """The JSON schema the replies were constrained to (compact JSON, one `<arXiv id>` key
    standing for every paper of a batch), or "" when none was sent."""


@dataclass(frozen=True)
class Digest:
    """Everything a renderer needs for one profile and one day."""

    date: dt.date
    model: str
    counts: DayCounts
    usage: Usage
    picks: tuple[Pick, ...]
    prompt: PromptText
    judgements: tuple[Judgement, ...] = ()
    papers: dict[str, Paper] = field(default_factory=dict)
    judge: str = "llm"
    prompt_hash: str = ""
    profile: str = "default"
    run_id: int | None = None
    notes: tuple[str, ...] = ()
    """Things the user should be told about this run (fell back to the local judge, ...)."""
    tldr_in_markdown: bool = False
    """`[outputs] tldr_in_markdown`: the Markdown shows TL;DRs (off: the seed format)."""

    @property
    def partial_notice(self) -> str:
        """The note saying the day was judged in part (shown at the top), or ""."""
        return next((n for n in self.notes if n.startswith(PARTIAL_PREFIX)), "")
