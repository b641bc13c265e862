"""Read-only SQL behind the web pages. Each page costs a fixed, small number of indexed queries."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import groupby

from papersieve.codelinks import code_links
from papersieve.digests import earlier_usage, run_usage
from papersieve.models import Usage, abs_url, id_label, pdf_url
from papersieve.render.text import lang_attrs, tldr_view
from papersieve.store.db import Store
from papersieve.store.folding import folded_candidates, folded_verdicts_of

# A profile's latest feedback label of a paper (feedback_profile_paper index); NULL when it has
# none. Its one parameter is the profile: it comes first, as the subquery sits in the SELECT list.
LATEST_LABEL = ("(SELECT f.label FROM feedback f WHERE f.profile = ? AND f.paper_id = {col}"
                " ORDER BY f.id DESC LIMIT 1)")


@dataclass(frozen=True)
class RunRow:
    """One run with its counts, tokens and dollars."""

    id: int
    profile: str
    date: str
    judge: str
    model: str
    status: str
    started_at: str
    finished_at: str | None
    total: int | None
    scanned: int | None
    candidates: int
    picks: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    message: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One paper as a page shows it, with its outcome in one run and the user's latest label."""

    paper_id: str
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]
    arxiv_comment: str | None
    outcome: str | None = None
    picked: bool = False
    rank: int | None = None
    relevance: float | None = None
    novelty: float | None = None
    comment: str = ""
    judge: str = ""
    label: int | None = None
    tldr: str = ""
    tldr_kind: str = ""
    language: str = ""
    """BCP 47 tag of the comment's and TL;DR's language ("": English)."""

    @property
    def tldr_shown(self) -> dict[str, str]:
        """The TL;DR as a page shows it: text, label (extractive ones say so), lang and dir."""
        return tldr_view(self.tldr, self.tldr_kind, self.language)

    @property
    def comment_lang(self) -> dict[str, str]:
        """`lang` and `dir` of the comment ({} when English)."""
        return lang_attrs(self.language)

    @property
    def abs_url(self) -> str:
        """The abstract page on the paper's own server (arXiv, bioRxiv, medRxiv)."""
        return abs_url(self.paper_id, self.categories)

    @property
    def pdf_url(self) -> str:
        """The PDF."""
        return pdf_url(self.paper_id, self.categories)

    @property
    def code_links(self) -> tuple[str, ...]:
        """Code repositories named in the abstract or the arXiv comments."""
        return code_links(self.abstract, self.arxiv_comment)

    @property
    def id_label(self) -> str:
        """`arXiv:ID` or `doi:DOI`."""
        return id_label(self.paper_id)


@dataclass(frozen=True)
class Month:
    """One month of the archive: its runs, newest day first."""

    month: str
    runs: tuple[RunRow, ...]


@dataclass(frozen=True)
class DayOutcome:
    """What one run decided about one paper."""

    run_id: int
    date: str
    profile: str
    outcome: str
    picked: bool
    relevance: float | None
    novelty: float | None


@dataclass(frozen=True)
class SearchFilters:
    """The search form: full text plus filters; empty values mean "any"."""

    text: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""
    judged: bool = False
    picked: bool = False
    liked: bool = False
    code: bool = False
    """Only papers that name a code repository (GitHub, GitLab, Hugging Face, Codeberg)."""
    page: int = 1
    per_page: int = 50
    sort: str = "relevance"
    """relevance, date or score (web/search.py SORTS)."""
    profile: str = "default"
    """Whose likes `liked` and the labels shown mean (the served profile)."""
    only: tuple[str, ...] | None = None
    """The group app: only these profiles' runs count (judged, picked, score, days shown)."""


@dataclass(frozen=True)
class SearchHit:
    """One search result: the paper, highlighted snippets, and its outcome on each day."""

    item: Item
    title_marked: str
    snippet_marked: str
    days: tuple[DayOutcome, ...] = ()


@dataclass(frozen=True)
class SearchResults:
    """A page of results and the total number of matches."""

    hits: tuple[SearchHit, ...]
    total: int
    filters: SearchFilters
    error: str = ""
    unsearchable: bool = False
    """Whether the word search leaves out older papers whose text was not kept
    (`[store] keep_text_days`)."""


@dataclass(frozen=True)
class PaperDetail:
    """Everything the paper page shows."""

    item: Item
    versions: tuple[tuple[int, str], ...]
    listings: tuple[sqlite3.Row, ...]
    days: tuple[DayOutcome, ...]
    judgements: tuple[sqlite3.Row, ...]
    feedback: tuple[sqlite3.Row, ...]
    first_listed: str | None = None
    latest_version: int | None = None
    """The paper's newest version, shown when its versions' rows were pruned
    (`[store] keep_text_days`, store/retention.prune_old_versions)."""


@dataclass(frozen=True)
class DayPoint:
    """One day of the cost and picks charts."""

    date: str
    dollars: float
    picks: int
    unknown_cost: bool = False


# A local run's unpicked candidates folded at once (`[store] pack_local_runs`) have no rows:
# its record keeps their number in runs.candidates.
_RUN_SQL = """
SELECT r.*,
  COALESCE(r.candidates, (SELECT COUNT(*) FROM run_candidates c WHERE c.run_id = r.id)) AS n_candidates,
  (SELECT COUNT(*) FROM run_candidates c WHERE c.run_id = r.id AND c.picked = 1) AS n_picks
FROM runs r
"""


def _run(row: sqlite3.Row) -> RunRow:
    return RunRow(
        id=row["id"], profile=row["profile"], date=row["date"], judge=row["judge"],
        model=row["model"], status=row["status"], started_at=row["started_at"],
        finished_at=row["finished_at"], total=row["total"], scanned=row["scanned"],
        candidates=row["n_candidates"], picks=row["n_picks"], prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"], cost=row["cost"], message=row["message"],
        notes=_notes(row),
    )


def _notes(row: sqlite3.Row) -> tuple[str, ...]:
    """The run's notes for the user (a JSON list since schema 2)."""
    if not row["notes"]:
        return ()
    try:
        value = json.loads(row["notes"])
    except ValueError:
        return ()
    return tuple(str(n) for n in value) if isinstance(value, list) else ()


def list_runs(store: Store, limit: int = 1000,
              profiles: Sequence[str] | None = None) -> list[RunRow]:
    """Every run (of these profiles when given), newest first, with candidate and pick counts."""
    where = "" if profiles is None else f" WHERE r.profile IN ({', '.join('?' * len(profiles))})"
    rows = store.conn.execute(_RUN_SQL + where + " ORDER BY r.date DESC, r.id DESC LIMIT ?",
                              (*(profiles or ()), limit))
    return [_run(r) for r in rows]


def get_run(store: Store, run_id: int) -> RunRow | None:
    """One run, or None (also for an id SQLite cannot hold: an OverflowError and a 500 before)."""
    if not -(2**63) <= run_id < 2**63:
        return None
    row = store.conn.execute(_RUN_SQL + " WHERE r.id = ?", (run_id,)).fetchone()
    return _run(row) if row is not None else None


def digest_usage(store: Store, run: RunRow) -> Usage:
    """The tokens and dollars the run's digest reports: its own plus those of earlier runs of the
    same day and prompt whose cached judgements it reused (papersieve.digests)."""
    row = store.conn.execute("SELECT * FROM runs WHERE id = ?", (run.id,)).fetchone()
    earlier = earlier_usage(store, run.profile, dt.date.fromisoformat(run.date), run.judge, run.model,
                            row["prompt_hash"], run.id)
    return earlier + run_usage(row)


def latest_done_run(
    store: Store, date: dt.date | None = None, profile: str | None = None, status: str = "done",
    until: dt.date | None = None,
) -> RunRow | None:
    """The newest run with this status ('' for any), of one day and profile when given, and
    not after `until` when given; or None."""
    sql, params = _RUN_SQL + " WHERE (r.status = ? OR ? = '')", [status, status]
    if until is not None:
        sql += " AND r.date <= ?"
        params.append(until.isoformat())
    if date is not None:
        sql += " AND r.date = ?"
        params.append(date.isoformat())
    if profile:
        sql += " AND r.profile = ?"
        params.append(profile)
    row = store.conn.execute(sql + " ORDER BY r.date DESC, r.id DESC LIMIT 1", params).fetchone()
    return _run(row) if row is not None else None


def item_from_row(row: sqlite3.Row) -> Item:
    keys = row.keys()
    return Item(
        paper_id=row["id"], title=row["title"], authors=tuple(json.loads(row["authors"])),
        abstract=row["abstract"], categories=tuple(json.loads(row["categories"])),
        arxiv_comment=row["comment"],
        outcome=row["outcome"] if "outcome" in keys else None,
        picked=bool(row["picked"]) if "picked" in keys else False,
        rank=row["rank"] if "rank" in keys else None,
        relevance=row["relevance"] if "relevance" in keys else None,
        novelty=row["novelty"] if "novelty" in keys else None,
        comment=(row["j_comment"] or "") if "j_comment" in keys else "",
        judge=(row["judge"] or "") if "judge" in keys else "",
        label=row["label"],
        tldr=(row["tldr"] or "") if "tldr" in keys else "",
        tldr_kind=(row["tldr_kind"] or "") if "tldr_kind" in keys else "",
        language=(row["j_language"] or "") if "j_language" in keys else "",
    )


def digest_items(store: Store, run_id: int, picked_only: bool = True,
                 profile: str = "default") -> list[Item]:
    """A run's picks in digest order (or all its candidates), with scores and the label the user
    gave on `profile` (the run's)."""
    sql = f"""
    SELECT p.*, c.outcome, c.picked, c.rank, j.relevance, j.novelty, j.comment AS j_comment,
           j.judge, j.tldr, j.tldr_kind, j.language AS j_language,
           {LATEST_LABEL.format(col="p.id")} AS label
    FROM run_candidates c JOIN papers p ON p.id = c.paper_id
    LEFT JOIN judgements j ON j.id = c.judgement_id
    WHERE c.run_id = ? {"AND c.picked = 1" if picked_only else ""}
    ORDER BY c.picked DESC, c.rank IS NULL, c.rank, COALESCE(j.relevance, -1) + COALESCE(j.novelty, -1) DESC,
             p.id
    """
    found = [item_from_row(r) for r in store.conn.execute(sql, (profile, run_id))]
    return found if picked_only else _with_folded(store, run_id, found, profile)


def _with_folded(store: Store, run_id: int, rows: list[Item], profile: str) -> list[Item]:
    """A run's candidates with those folded into its compact row (store/folding.py), in the
    order of `digest_items`: picks by rank, then the best scores."""
    folded = folded_candidates(store, run_id)
    if not folded:
        return rows
    papers = {item.paper_id: item for item in items(store, [c.paper_id for c in folded], profile)}
    for candidate in folded:
        paper, j = papers.get(candidate.paper_id), candidate.final
        if paper is None:
            continue
        rows.append(replace(paper, outcome=candidate.outcome, rank=candidate.rank) if j is None else
                    replace(paper, outcome=candidate.outcome, rank=candidate.rank,
                            relevance=j.relevance, novelty=j.novelty, comment=j.comment,
                            judge=j.judge, tldr=j.tldr, tldr_kind=j.tldr_kind, language=j.language))
    return sorted(rows, key=lambda i: (not i.picked, i.rank is None, i.rank or 0,
                                       -((i.relevance if i.relevance is not None else -1)
                                         + (i.novelty if i.novelty is not None else -1)), i.paper_id))


def archive(store: Store, runs_newest_first: list[RunRow] | None = None) -> list[Month]:
    """Finished runs grouped by month, the latest run of each day and profile only."""
    seen: set[tuple[str, str]] = set()
    runs = []
    for run in runs_newest_first if runs_newest_first is not None else list_runs(store, limit=100_000):
        if run.status == "running" or (run.date, run.profile) in seen:
            continue
        seen.add((run.date, run.profile))
        runs.append(run)
    return [Month(month, tuple(group)) for month, group in groupby(runs, key=lambda r: r.date[:7])]


def labels(store: Store, paper_ids: list[str], profile: str) -> dict[str, int | None]:
    """The profile's latest feedback label of each paper (None when it has none)."""
    marks = ",".join("?" * len(paper_ids))
    rows = store.conn.execute(
        f"SELECT p.id, {LATEST_LABEL.format(col='p.id')} FROM papers p WHERE p.id IN ({marks})",
        [profile, *paper_ids],
    )
    return {str(r[0]): r[1] for r in rows}


def day_outcomes(store: Store, paper_ids: list[str],
                 profiles: Sequence[str] | None = None) -> dict[str, list[DayOutcome]]:
    """Each paper's outcome in every run that had it as a candidate, newest day first, with the
    runs that folded it (store/folding.py; unpicked: their last verdict) of `profiles` only when
    given (a group member's pages)."""
    found: dict[str, list[DayOutcome]] = {pid: [] for pid in paper_ids}
    if not paper_ids or (profiles is not None and not profiles):
        return found
    marks = ",".join("?" * len(paper_ids))
    # A member's pages start from her own runs (the profile's index, then each run's candidates
    # by its key): from the papers, a paper picked by 500 members of a group read 500 rows.
    source, where, params = "run_candidates c JOIN runs r ON r.id = c.run_id", "", list(paper_ids)
    if profiles is not None:
        source = "runs r CROSS JOIN run_candidates c ON c.run_id = r.id"
        where = f" AND r.profile IN ({','.join('?' * len(profiles))})"
        params += list(profiles)
    rows = store.conn.execute(
        "SELECT c.paper_id, c.run_id, r.date, r.profile, c.outcome, c.picked, j.relevance, j.novelty"
        f" FROM {source} LEFT JOIN judgements j ON j.id = c.judgement_id"
        f" WHERE c.paper_id IN ({marks}) AND r.status != 'running'{where}"
        " ORDER BY r.date DESC, r.id DESC",
        params,
    )
    for r in rows:
        found[r["paper_id"]].append(
            DayOutcome(r["run_id"], r["date"], r["profile"], r["outcome"], bool(r["picked"]),
                       r["relevance"], r["novelty"])
        )
    folded = folded_verdicts_of(store, paper_ids, profiles)
    runs = _run_days(store, {v.run_id for verdicts in folded.values() for v in verdicts})
    for paper_id, verdicts in folded.items():
        last = {v.run_id: v.judgement for v in verdicts if v.run_id in runs}
        found[paper_id].extend(
            DayOutcome(run_id, *runs[run_id], j.outcome.value, False, j.relevance, j.novelty)
            for run_id, j in last.items())
        found[paper_id].sort(key=lambda d: (d.date, d.run_id), reverse=True)
    return found


def _run_days(store: Store, run_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(date, profile) of these runs that are not running."""
    if not run_ids:
        return {}
    ids = sorted(run_ids)
    rows = store.conn.execute(
        f"SELECT id, date, profile FROM runs WHERE status != 'running' AND id IN"
        f" ({','.join('?' * len(ids))})", ids)
    return {int(r[0]): (str(r[1]), str(r[2])) for r in rows}


def items(store: Store, paper_ids: list[str], profile: str) -> list[Item]:
    """The papers with these ids, in this order, with the latest label given on `profile`
    (unknown ids left out)."""
    if not paper_ids:
        return []
    marks = ",".join("?" * len(paper_ids))
    rows = store.conn.execute(
        f"SELECT p.*, {LATEST_LABEL.format(col='p.id')} AS label FROM papers p WHERE p.id IN ({marks})",
        [profile, *paper_ids],
    )
    found = {r["id"]: item_from_row(r) for r in rows}
    return [found[p] for p in paper_ids if p in found]


def paper_exists(store: Store, paper_id: str) -> bool:
    """True when the store holds the paper."""
    return store.conn.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone() is not None


def paper_detail(store: Store, paper_id: str, profile: str,
                 only: Sequence[str] | None = None) -> PaperDetail | None:
    """A paper with its versions, listings, outcomes, judgements and feedback history (every
    profile's, or only these profiles' when given), and the label given on `profile`."""

    row = store.conn.execute(
        f"SELECT p.*, {LATEST_LABEL.format(col='p.id')} AS label FROM papers p WHERE p.id = ?",
        (profile, paper_id),
    ).fetchone()
    if row is None:
        return None
    conn = store.conn
    versions = conn.execute(
        "SELECT version, first_seen FROM paper_versions WHERE paper_id = ? ORDER BY version", (paper_id,)
    ).fetchall()
    listings = conn.execute(
        "SELECT COALESCE(l.date, l.requested_date) AS date, l.category, l.source, l.approximate,"
        " e.announce_type, e.version FROM listing_entries e JOIN listings l ON l.id = e.listing_id"
        " WHERE e.paper_id = ? ORDER BY date DESC, l.category",
        (paper_id,),
    ).fetchall()
    judgements = conn.execute(
        "SELECT j.*, r.date AS run_date, r.profile FROM judgements j LEFT JOIN runs r ON r.id = j.run_id"
        " WHERE j.paper_id = ? ORDER BY j.id DESC",
        (paper_id,),
    ).fetchall()
    feedback = conn.execute(
        "SELECT * FROM feedback WHERE paper_id = ? ORDER BY id DESC", (paper_id,)
    ).fetchall()
    days = day_outcomes(store, [paper_id], only)[paper_id]
    if only is not None:  # the group app: a member sees her own profiles' history only
        judgements = [j for j in judgements if j["profile"] in only]
        feedback = [f for f in feedback if f["profile"] in only]
        days = [d for d in days if d.profile in only]
    item = item_from_row(row)
    latest = next((j for j in judgements if j["outcome"] == "judged"), None)
    if latest is not None:  # the card shows the newest verdict the paper received
        item = replace(item, relevance=latest["relevance"], novelty=latest["novelty"],
                       comment=latest["comment"], judge=latest["judge"], tldr=latest["tldr"],
                       tldr_kind=latest["tldr_kind"], language=latest["language"])
    return PaperDetail(
        item=item,
        versions=tuple((int(v["version"]), str(v["first_seen"])) for v in versions),
        listings=tuple(listings),
        days=tuple(days),
        judgements=tuple(judgements),
        feedback=tuple(feedback),
        first_listed=row["first_listed"],
        latest_version=row["latest_version"],
    )


def daily_series(
    store: Store, runs_newest_first: list[RunRow] | None = None, limit_days: int = 60,
    profile: str | None = None,
) -> list[DayPoint]:
    """Dollars spent (all runs) and papers picked (latest finished run per profile) per day, of
    one profile when given (the picks of two profiles are two people's, never a sum)."""
    rows = store.conn.execute(
        "SELECT date, SUM(COALESCE(cost, 0)) AS dollars, SUM(CASE WHEN cost IS NULL AND"
        " prompt_tokens > 0 THEN 1 ELSE 0 END) AS unknown FROM runs"
        # CAST: PostgreSQL cannot type a bare `? IS NULL` (the runs page was a 500 there).
        " WHERE (CAST(? AS TEXT) IS NULL OR profile = ?) GROUP BY date ORDER BY date DESC LIMIT ?",
        (profile, profile, limit_days),
    ).fetchall()
    picks: dict[str, int] = {}
    for month in archive(store, runs_newest_first):
        for run in month.runs:
            if profile is None or run.profile == profile:
                picks[run.date] = picks.get(run.date, 0) + run.picks
    return [
        DayPoint(r["date"], float(r["dollars"]), picks.get(r["date"], 0), bool(r["unknown"]))
        for r in reversed(rows)
    ]


@dataclass(frozen=True)
class ProfileCost:
    """One profile's line of the runs page: its runs, tokens and dollars (issue 19)."""

    profile: str
    runs: int
    prompt_tokens: int
    completion_tokens: int
    dollars: float
    unpriced: int = 0
    """Runs that spent tokens on a model whose price is unknown (a local server): their dollars
    are not in `dollars`, and the line says so instead of a bare "$0.00"."""


def unpriced(run: RunRow) -> bool:
    """The run spent tokens on a model with no known price: its cost is unknown, not $0."""
    return run.cost is None and bool((run.prompt_tokens or 0) + (run.completion_tokens or 0))


def profile_costs(runs: list[RunRow]) -> list[ProfileCost]:
    """Per profile, in name order, the sums over `runs` (runs of an unpriced model add no dollars
    and are counted in `unpriced`)."""
    out = []
    for name in run_profiles(runs):
        own = [r for r in runs if r.profile == name]
        out.append(ProfileCost(name, len(own), sum(r.prompt_tokens or 0 for r in own),
                               sum(r.completion_tokens or 0 for r in own), sum(r.cost or 0.0 for r in own),
                               sum(1 for r in own if unpriced(r))))
    return out


def run_profiles(runs: list[RunRow]) -> list[str]:
    """The profiles that have runs, in name order."""
    return sorted({r.profile for r in runs})


def profiles(store: Store, among: Sequence[str] | None = None) -> list[str]:
    """Every profile with a finished run; of `among` only when given (a group member's own,
    found through the runs' profile index: a group's 60,000 runs were read whole per page)."""
    if among is None:
        return [str(r[0]) for r in store.conn.execute(
            "SELECT DISTINCT profile FROM runs WHERE status = 'done' ORDER BY 1")]
    return [name for name in sorted(set(among)) if store.conn.execute(
        "SELECT 1 FROM runs WHERE profile = ? AND status = 'done' LIMIT 1", (name,)).fetchone()]


def categories(store: Store) -> list[str]:
    """Every category with a stored listing (for the search form)."""
    return [str(r[0]) for r in store.conn.execute("SELECT DISTINCT category FROM listings ORDER BY 1")]
