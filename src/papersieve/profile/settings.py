"""The schema of profile.toml. Validation happens here, at the edge; the core sees plain values."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parseaddr
from functools import lru_cache
from importlib import resources
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from papersieve.language import check_tag
from papersieve.redact import url_password

AnnounceName = Literal["new", "cross", "replace", "replace-cross"]
EmptyKind = Literal["no_announcement", "stale", "no_picks"]
"""The days without a digest that `[deliver] send_empty` can ask a short message for."""
MAX_DAYS = 36_500
"""The longest retention a setting may name (a century): a larger number of days overflowed the
date arithmetic of the pruning (`PAPERSIEVE_COMPACT_AFTER_DAYS=1e23` was a traceback)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JudgeSettings(_Strict):
    """`[judge]`: which judge, which model, how to call it."""

    kind: Literal["llm", "local", "hybrid"] = "llm"
    model: str = ""
    """Empty: gpt-4o on OpenAI's API, else the one model the server lists at /v1/models."""
    base_url: str = ""
    structured: Literal["auto", "json_schema", "json_object", "off"] = "auto"
    """How replies are constrained to a JSON schema; `auto` tries the strongest form first."""
    timeout: float = Field(default=120.0, gt=0, le=3600)
    """Seconds per call (PAPERSIEVE_LLM_TIMEOUT)."""
    reply_tokens_per_paper: int = Field(default=160, ge=16, le=4000)
    """The abstract stage's reply budget per paper (`max_tokens` = papers x this + a margin)."""
    title_stage: bool = True
    title_batch: int = Field(default=8, ge=1, le=200)
    abstract_batch: int = Field(default=4, ge=1, le=100)
    max_retries: int = Field(default=3, ge=0, le=10)
    calls_per_minute: int = Field(default=60, ge=1, le=10_000)
    concurrency: int = Field(default=8, ge=1, le=64)
    cost_cap: float = Field(default=1.0, ge=0)
    group_cost_cap: float = Field(default=0.0, ge=0)
    """Dollars a group run (`run --all`) may spend across all its profiles (the smallest of its
    profiles' values; 0: no cap but each profile's `cost_cap`)."""
    token_cap: int = Field(default=0, ge=0)
    """Tokens per run for a model whose price is unknown (a local server); 0 means no cap."""
    max_failed_share: float = Field(default=0.2, ge=0, le=1)
    """More candidates than this share failed or not judged: the day is partial (exit code 5)."""
    deliver_partial: bool = False
    """Send Slack/email for a partial day too (files are always written)."""
    temperature: float = Field(default=0.0, ge=0, le=2)
    seed: int | None = 0
    target_recall: float = Field(default=0.95, gt=0, le=1)
    local_method: Literal["tfidf", "embeddings"] = "tfidf"
    train_budget: float = Field(default=60.0, ge=0, le=86_400)
    """Seconds of local retraining a group run starts per day across its profiles (the smallest
    of its profiles' values); profiles left over retrain the next day, oldest labels first."""


class CutoffSettings(_Strict):
    """`[cutoffs]`: a paper is picked when relevance >= and novelty >= these."""

    relevance: float = Field(default=8, ge=0, le=10)
    novelty: float = Field(default=7, ge=0, le=10)


class FilterSettings(_Strict):
    """`[filters]`: keyword rules and the optional h-index floor."""

    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    h_index_floor: int = Field(default=0, ge=0)


class OutputSettings(_Strict):
    """`[outputs]`: where and in which formats the digest is written."""

    dir: str = ""
    formats: tuple[Literal["markdown", "json", "html", "atom"], ...] = (
        "markdown",
        "json",
        "html",
        "atom",
    )
    site_url: str = ""
    tldr: bool = False
    """A TL;DR per paper: the LLM judge writes one (<= 30 words) in the same call; the local judge
    picks the abstract's contribution sentence (marked extractive)."""
    tldr_in_markdown: bool = False
    """Show the TL;DR in the Markdown digest too (off: the seed format, byte for byte)."""
    language: str = "en"
    """BCP 47 tag of the language the LLM writes comments and TL;DRs in (`zh`, `ja`, `ar`, ...)."""

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        return check_tag(value)


class SlackSettings(_Strict):
    """`[deliver.slack]`: the tokens come from the environment only."""

    enabled: bool = False
    channel: str = ""
    feedback: bool = False
    """Each paper its own thread reply, whose 👍/👎 reactions the next run reads back (bot token)."""


class TelegramSettings(_Strict):
    """`[deliver.telegram]`: TELEGRAM_BOT_TOKEN comes from the environment only."""

    enabled: bool = False
    chat_id: str = ""
    """The chat's numeric id (negative for a group or channel) or a public channel's @name."""
    buttons: bool = True
    """👍/👎 under each paper; the next run (or `papersieve feedback --pull`) reads the presses."""

    @field_validator("chat_id", mode="before")
    @classmethod
    def _chat_id(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            value = value.strip()
            if value and not re.fullmatch(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}", value):
                raise ValueError("a Telegram chat id is a number (negative for a group or channel)"
                                 " or a public channel's @name")
        return value


class EmailSettings(_Strict):
    """`[deliver.email]`: SMTP_USER / SMTP_PASSWORD come from the environment only."""

    enabled: bool = False
    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = ""
    to: tuple[str, ...] = ()

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return check_address(value) if value else value

    @field_validator("to")
    @classmethod
    def _recipients(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_address(address) for address in value)


MAX_NAME = 64
"""The longest profile name: it names the member's output folder, and a name of 300 characters
was stored, then failed every run of hers ("File name too long")."""
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def check_profile_name(value: str) -> str:
    """`value` when it is a profile name; else ValueError saying what a name may hold."""
    if not NAME_PATTERN.fullmatch(value) or len(value) > MAX_NAME:
        raise ValueError(f"a profile name is 1 to {MAX_NAME} letters, digits, '.', '_' or '-',"
                         " starting with a letter or digit (A-Z, a-z, 0-9 only)")
    return value


def check_address(value: str) -> str:
    """`value` when it is one email address (`ada@lab.org` or `Ada <ada@lab.org>`); else
    ValueError. A line break in an address was a traceback at send time (the email library
    refuses it in a header) and failed the member's whole day; other text was a refusal by the
    SMTP server. The message never repeats the value (it may be anything)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("an email address holds a line break or another control character")
    address = parseaddr(value)[1]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        raise ValueError("not an email address (name@example.org, or Name <name@example.org>)")
    return value


class DeliverSettings(_Strict):
    """`[deliver]`."""

    send_empty: bool | tuple[EmptyKind, ...] = False
    """A short message on a day without picks: true for every kind, or a list of kinds."""
    slack: SlackSettings = Field(default_factory=SlackSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)


class ScheduleSettings(_Strict):
    """`[schedule]`: a digest every announcement day or once a week, and how `run` with no date
    catches up announcement days that were missed."""

    frequency: Literal["daily", "weekly"] = "daily"
    """`weekly`: every run still fetches and judges its day (files are written), but Slack and
    email get one weekly digest, grouped by topic, on `weekday` instead of one a day."""
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = \
        "friday"
    catch_up_days: int = Field(default=5, ge=0, le=60)
    holidays: tuple[dt.date, ...] = ()
    """Weekdays with no arXiv announcement (the catch-up does not take them for missed days)."""


class StoreSettings(_Strict):
    """`[store]`: where the store is, and how long it keeps what it only needs for a while."""

    url: str = ""
    """A PostgreSQL store, `postgresql://user@host/db` (PAPERSIEVE_DB wins; '' is the SQLite file
    in PAPERSIEVE_HOME). Never with a password: that is libpq's PGPASSWORD or ~/.pgpass."""

    keep_raw_days: int = Field(default=30, ge=0, le=MAX_DAYS)
    """Raw LLM replies of runs older than this many days are pruned (0: keep them forever)."""
    keep_text_days: int = Field(default=0, ge=0, le=MAX_DAYS)
    """Abstracts of papers last listed this many days ago or more, never picked nor given feedback,
    are emptied with the LLM's comments on them (0: keep them forever, for the web app's search;
    the GitHub Actions workflow sets 60 through PAPERSIEVE_KEEP_TEXT_DAYS: its site keeps them)."""
    compact_after_days: int = Field(default=0, ge=0, le=MAX_DAYS)
    """Runs dated this many days ago or more (and out of the local ranker's 60 label days) keep
    their unpicked candidates and verdicts as one compact row per run (store/folding.py; 0: never;
    the GitHub Actions workflow sets 7 through PAPERSIEVE_COMPACT_AFTER_DAYS)."""
    fold_label_window: bool = False
    """`compact_after_days` folds the runs of the local ranker's 60 label days too (which it then
    reads from the folded rows: the same labels, in the same order); false: those keep their
    rows, for the web app's per-paper history and "judged" filter (the GitHub Actions workflow
    sets true through PAPERSIEVE_FOLD_LABEL_WINDOW: nothing serves its cached store)."""
    pack_local_runs: bool = True
    """A run of the local judge records the candidates it did not pick (nor given feedback) as one
    compact row, as `compact_after_days` folds old runs, instead of a row per candidate and verdict:
    a group's store (issue 19; false: a row each, which the web app's "judged" search filter and
    score order read)."""
    cache_features: bool = True
    """Keep the local ranker's features of its training papers between runs (false: dropped after
    each run and recomputed at each retraining, slower but a smaller store; the GitHub Actions
    workflow sets false through PAPERSIEVE_CACHE_FEATURES)."""
    search_index: bool = True
    """Keep the web app's word search index in the store (false: emptied after each run and
    rebuilt from the kept text when the store is served or `papersieve db --reindex` runs; the
    GitHub Actions workflow sets false through PAPERSIEVE_SEARCH_INDEX: nothing searches its
    cached store)."""
    vacuum_after_run: bool = False
    """Rewrite the store's file without its free and partly filled pages after each run's pruning
    (`VACUUM`, as `papersieve db --vacuum` does; a few seconds on a year's store). Pruning alone
    gives back only whole free pages: a store saved whole after every run (the GitHub Actions
    workflow sets true through PAPERSIEVE_VACUUM_AFTER_RUN before its cache is saved) would
    otherwise carry a year of half-emptied pages. On a PostgreSQL store a plain VACUUM: its
    readers go on (`db --vacuum` rewrites the tables)."""


    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        return check_store_url(value)


def check_store_url(url: str) -> str:
    """`url` when it is '' or a well-formed PostgreSQL URL without a password; else ValueError
    (whose text never quotes the URL: it may hold the password it refuses)."""
    if not url:
        return url
    if not re.match(r"^postgres(ql)?://", url, re.IGNORECASE):
        raise ValueError("not a PostgreSQL URL (postgresql://user@host/db); a SQLite store is the"
                         " file in PAPERSIEVE_HOME, or PAPERSIEVE_DB=FILE")
    if url_password(url):
        raise ValueError("the URL holds a password, a secret in a file: leave it out and set"
                         " PGPASSWORD in the environment, or use ~/.pgpass (libpq reads both)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as err:
        raise ValueError(f"malformed PostgreSQL URL ({err})") from None
    return url


class EndpointSettings(_Strict):
    """`[endpoints]`: overrides of the service addresses (environment variables win)."""

    arxiv_rss: str = ""
    arxiv_atom: str = ""
    arxiv_api: str = ""
    oai_pmh: str = ""
    semantic_scholar: str = ""
    biorxiv_api: str = ""


class NetworkSettings(_Strict):
    """`[network]`: bounds on every download (PAPERSIEVE_DOWNLOAD_MAX_MB / _DEADLINE win)."""

    download_max_mb: float = Field(default=64.0, gt=0, allow_inf_nan=False)
    download_deadline: float = Field(default=300.0, gt=0, allow_inf_nan=False)


class ProfileSettings(_Strict):
    """The whole profile.toml."""

    name: str = "default"
    categories: tuple[str, ...] = ("cs.LG", "cs.AI")
    announce_types: tuple[AnnounceName, ...] = ("new", "cross")
    primary_only: bool = False
    show_seen: bool = False
    judge: JudgeSettings = Field(default_factory=JudgeSettings)
    cutoffs: CutoffSettings = Field(default_factory=CutoffSettings)
    filters: FilterSettings = Field(default_factory=FilterSettings)
    outputs: OutputSettings = Field(default_factory=OutputSettings)
    deliver: DeliverSettings = Field(default_factory=DeliverSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    endpoints: EndpointSettings = Field(default_factory=EndpointSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)

    @field_validator("name")
    @classmethod
    def _profile_name(cls, value: str) -> str:
        return check_profile_name(value)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one category is needed")
        for category in value:
            if ":" in category:
                if category.lower() not in preprint_subjects():
                    raise ValueError(f"unknown bioRxiv/medRxiv subject {category!r} (write it as"
                                     " biorxiv:neuroscience or medrxiv:cardiovascular_medicine)")
            elif category not in known_categories():
                raise ValueError(f"unknown arXiv category {category!r} (see arxiv.org/category_taxonomy)")
        return tuple(c.lower() if ":" in c else c for c in value)

    @field_validator("announce_types")
    @classmethod
    def _some_announce_type(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one announce type is needed")
        return value


@lru_cache(maxsize=1)
def preprint_subjects() -> frozenset[str]:
    """bioRxiv and medRxiv subjects as profile categories (`biorxiv:cell_biology`), shipped."""
    text = resources.files("papersieve").joinpath("data/preprint_subjects.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def known_categories() -> frozenset[str]:
    """arXiv's category taxonomy, shipped as a data file."""
    text = resources.files("papersieve").joinpath("data/categories.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
