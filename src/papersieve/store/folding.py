"""Old runs folded into one compact row each (`[store] compact_after_days`).

A run keeps a row per candidate (`run_candidates`) and per verdict (`judgements`, a title and an
abstract stage per paper): ~190 bytes a verdict, a third of a year's scheduled store. Once a run
is older than `compact_after_days` and has left the local ranker's label window, the rows of the
candidates it did not pick move into one `folded_runs` row: zlib-compressed JSON holding each
candidate's place, outcome and verdicts (scores, the judge/stage/model/prompt key, the text hash,
comment and TL;DR; only the row ids and timestamps are gone). The picks keep their full rows:
they are what a person reads.

What still works on a folded run, and how:
- the judgement cache (`cached_judgements`): a rerun of the day finds its verdicts in the folded
  row of the runs dated on the paper's first listing date (the day a paper is judged), so nothing
  is billed twice;
- "seen before" (`papers_judged_before`): a paper listed again later is found the same way;
- the day's digest (`digests.load_digest`): rebuilt with every candidate in its place.
- with `[store] fold_label_window` (the workflow's), runs of the local ranker's label days fold
  too: the ranker reads their verdicts from the folded rows (`folded_labels`, in the order of
  their former row ids, kept in the row as steps) and the text pruning keeps their papers'
  abstracts (`folded_paper_ids`).
What no longer sees the folded candidates: the web app's per-paper history and its "judged"
filter (they read the rows); the published site's day JSON keeps them all.

Listings of that age fold their entries the same way (`folded_listings`); a rerun of the day
reads them back (`store/listings.load_listings`), the web search's date filter falls back on the
papers' first listing date, and the web paper page no longer lists those days.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sqlite3
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from papersieve.models import Judgement, Outcome
from papersieve.store.db import Store, utcnow

RANKER_LABEL_DAYS = 60
"""A profile's newest run dates never folded: the local ranker trains on the LLM's verdicts of
its newest 60 label days (`judges/local/model/training.LABEL_WINDOW_DAYS`, checked by a test)."""
_FORMAT = 1
RECORD_ZLIB_LEVEL = 6
"""zlib level of the folded row a run writes as it is recorded (`fold_at_record`); any level
reads back the same (zlib streams say nothing of their level)."""
_KEY = ("judge", "stage", "model", "prompt_hash")
_TEXT = ("comment", "detail", "tldr", "tldr_kind", "language")


@dataclass(frozen=True)
class FoldedVerdict:
    """One judgement row of a folded run, without its row id and timestamp."""

    run_id: int
    paper_id: str
    judge: str
    stage: str
    model: str
    prompt_hash: str
    content_hash: str
    judgement: Judgement


@dataclass(frozen=True)
class FoldedCandidate:
    """One folded candidate: its place among the run's candidates (in the order they were
    recorded), its outcome and rank, and the judgement its outcome pointed at (None: none)."""

    position: int
    paper_id: str
    outcome: str
    rank: int | None
    final: Judgement | None


def ranker_window_start(label_days: int | None = None) -> str:
    """SQL for the oldest date among any profile's newest `label_days` finished run dates ('' when
    there is no run): the local ranker may train on the runs from that date on."""
    days = RANKER_LABEL_DAYS if label_days is None else label_days
    return ("SELECT COALESCE(MIN(oldest), '') FROM (SELECT (SELECT MIN(date) FROM (SELECT DISTINCT"
            " q.date FROM runs q WHERE q.profile = p.profile AND q.status = 'done'"
            f" ORDER BY q.date DESC LIMIT {int(days)}) AS newest) AS oldest FROM (SELECT DISTINCT profile"
            " FROM runs) p) AS starts")


def fold_old_runs(store: Store, keep_days: int, now: dt.datetime | None = None, *,
                  label_window: bool = False) -> int:
    """Fold the unpicked candidates of runs dated `keep_days` days ago or more (and out of their
    profile's label window, unless `label_window`: `[store] fold_label_window`, the ranker then
    reads their verdicts from the folded rows, `folded_labels`) into `folded_runs`; returns how
    many candidates were folded."""
    if keep_days <= 0:
        return 0
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = (moment.date() - dt.timedelta(days=keep_days)).isoformat()
    window = "" if label_window else (
        " AND r.date < COALESCE((SELECT MIN(date) FROM (SELECT DISTINCT q.date FROM runs q"
        "  WHERE q.profile = r.profile AND q.status = 'done' ORDER BY q.date DESC LIMIT ?) AS newest),"
        " '')")
    runs = [int(r[0]) for r in store.conn.execute(
        "SELECT r.id FROM runs r WHERE r.date < ? AND r.status != 'running'"
        " AND EXISTS (SELECT 1 FROM run_candidates c WHERE c.run_id = r.id AND c.picked = 0"
        "  AND c.paper_id NOT IN (SELECT paper_id FROM feedback))"
        f"{window} ORDER BY r.id", (cutoff, RANKER_LABEL_DAYS) if window else (cutoff,))]
    return sum(_fold_run(store, run_id) for run_id in runs)


@dataclass(frozen=True)
class FoldedLabel:
    """A folded verdict as the local ranker reads it (`training.collect_labels`): its row id
    before folding (0 for a run folded before ids were kept), so that folded and unfolded
    verdicts are read in the order they were given."""

    id: int
    paper_id: str
    judge: str
    stage: str
    outcome: str
    relevance: float | None
    novelty: float | None
    date: str


def folded_labels(store: Store, profile: str) -> list[FoldedLabel]:
    """Every folded verdict of the profile's runs, with its run's date."""
    found: list[FoldedLabel] = []
    for date, data in store.conn.execute(
            "SELECT r.date, f.candidates FROM runs r JOIN folded_runs f ON f.run_id = r.id"
            " WHERE r.profile = ? ORDER BY r.id", (profile,)).fetchall():
        blob = _candidates_blob((data,))
        keys = blob.get("keys", [])
        for row, row_ids in zip(blob.get("rows", []), _verdict_ids(blob), strict=True):
            for n, entry in enumerate(row[5]):
                judge, stage = keys[entry[0]][0], keys[entry[0]][1]
                found.append(FoldedLabel(int(row_ids[n]) if n < len(row_ids) else 0, str(row[1]),
                                         judge, stage, str(entry[1]), entry[2], entry[3], str(date)))
    return found


def folded_paper_ids(store: Store, since: str, outcome: str | None = None,
                     profile: str | None = None, date: str | None = None) -> set[str]:
    """The folded candidates of the runs dated `since` or later (of `profile` on `date` when
    given), with `outcome` when given."""
    where, params = " WHERE r.date >= ?", [since]
    if profile is not None:
        where, params = where + " AND r.profile = ?", [*params, profile]
    if date is not None:
        where, params = where + " AND r.date = ?", [*params, date]
    found: set[str] = set()
    for (run_id,) in store.conn.execute(
            f"SELECT r.id FROM runs r JOIN folded_runs f ON f.run_id = r.id{where}", params).fetchall():
        found.update(c.paper_id for c in folded_candidates(store, int(run_id))
                     if outcome is None or c.outcome == outcome)
    return found


def _fold_run(store: Store, run_id: int) -> int:
    with store.transaction() as conn:
        rows = conn.execute("SELECT rowid, * FROM run_candidates WHERE run_id = ? ORDER BY rowid",
                            (run_id,)).fetchall()
        earlier = _candidates_blob(conn.execute(
            "SELECT candidates FROM folded_runs WHERE run_id = ?", (run_id,)).fetchone())
        liked = {str(r[0]) for r in conn.execute(
            "SELECT DISTINCT f.paper_id FROM feedback f JOIN run_candidates c"
            " ON c.paper_id = f.paper_id WHERE c.run_id = ?", (run_id,))}
        keys: list[list[str]] = earlier.get("keys", [])
        folded: list[list[object]] = earlier.get("rows", [])
        # The verdicts' row ids, in the order of `rows`: the local ranker reads folded and
        # unfolded verdicts in the order they were given (`folded_labels`).
        verdict_ids = _verdict_ids(earlier)
        taken = {int(str(row[0])) for row in folded}
        slots = (i for i in range(len(rows) + len(taken)) if i not in taken)
        moved: list[str] = []
        for row, position in zip(rows, slots, strict=False):
            if row["picked"] or row["paper_id"] in liked:
                continue
            verdicts = conn.execute("SELECT * FROM judgements WHERE run_id = ? AND paper_id = ?"
                                    " ORDER BY id", (run_id, row["paper_id"])).fetchall()
            final = next((i for i, v in enumerate(verdicts) if v["id"] == row["judgement_id"]), -1)
            folded.append([position, row["paper_id"], row["outcome"], row["rank"], final,
                           [_verdict(keys, v) for v in verdicts]])
            verdict_ids.append([int(v["id"]) for v in verdicts])
            moved.append(row["paper_id"])
        if not moved:
            return 0
        order = sorted(range(len(folded)), key=lambda i: int(str(folded[i][0])))
        folded, verdict_ids = [folded[i] for i in order], [verdict_ids[i] for i in order]
        blob = zlib.compress(json.dumps({"format": _FORMAT, "keys": keys, "rows": folded,
                                         "ids": _id_steps(verdict_ids)},
                                        ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 9)
        conn.execute("INSERT OR REPLACE INTO folded_runs (run_id, candidates, folded_at)"
                     " VALUES (?, ?, ?)", (run_id, blob, utcnow()))
        conn.executemany("DELETE FROM run_candidates WHERE run_id = ? AND paper_id = ?",
                         [(run_id, p) for p in moved])
        conn.executemany(
            "DELETE FROM judgements WHERE run_id = ? AND paper_id = ? AND id NOT IN"
            " (SELECT judgement_id FROM run_candidates WHERE judgement_id IS NOT NULL"
            "  AND paper_id = ?)", [(run_id, p, p) for p in moved])
        return len(moved)


def _id_steps(ids: list[list[int]]) -> list[int]:
    """The verdicts' row ids, row after row, each as its step from the one before (mostly 1 or a
    few: 0.43 MB of a year's folded rows as plain ids, 0.12 MB as steps); 0 for an unknown id."""
    steps, last = [], 0
    for row in ids:
        for verdict_id in row:
            steps.append(verdict_id - last if verdict_id else 0)
            last = verdict_id or last
    return steps


def _verdict_ids(blob: dict[str, list[Any]]) -> list[list[int]]:
    """The row ids of each folded row's verdicts (`_id_steps` read back; 0s for a row folded
    before ids were kept)."""
    rows, steps = blob.get("rows", []), iter(blob.get("ids", []))
    found, last = [], 0
    for row in rows:
        ids = []
        for _ in row[5]:
            step = next(steps, 0)
            last = last + step if step else last
            ids.append(last if step else 0)
        found.append(ids)
    return found


def _verdict(keys: list[list[str]], row: sqlite3.Row) -> list[object]:
    key = [str(row[k]) for k in _KEY]
    if key not in keys:
        keys.append(key)
    entry: list[object] = [keys.index(key), row["outcome"], row["relevance"], row["novelty"],
                           row["content_hash"]]
    text = [str(row[k]) for k in _TEXT]
    while text and not text[-1]:
        text.pop()
    return entry + text


def _candidates_blob(row: Sequence[Any] | None) -> dict[str, list[Any]]:
    if row is None:
        return {}
    found: dict[str, list[Any]] = json.loads(zlib.decompress(row[0]))
    return found


def _unpack(run_id: int, paper_id: str, keys: list[list[str]], entry: list[Any]) -> FoldedVerdict:
    judge, stage, model, prompt_hash = keys[entry[0]]
    text = [*entry[5:], *[""] * (len(_TEXT) - len(entry[5:]))]
    judgement = Judgement(paper_id=paper_id, outcome=Outcome(entry[1]), judge=judge, model=model,
                          prompt_hash=prompt_hash, relevance=entry[2], novelty=entry[3],
                          comment=text[0], detail=text[1], tldr=text[2], tldr_kind=text[3],
                          language=text[4])
    return FoldedVerdict(run_id, paper_id, judge, stage, model, prompt_hash, entry[4], judgement)


def folded_candidates(store: Store, run_id: int) -> list[FoldedCandidate]:
    """The folded candidates of a run, in their places (empty when none was folded)."""
    blob = _candidates_blob(store.conn.execute(
        "SELECT candidates FROM folded_runs WHERE run_id = ?", (run_id,)).fetchone())
    keys = blob.get("keys", [])
    found = []
    for position, paper_id, outcome, rank, final, verdicts in blob.get("rows", []):
        chosen = _unpack(run_id, paper_id, keys, verdicts[final]).judgement if final >= 0 else None
        found.append(FoldedCandidate(position, paper_id, outcome, rank, chosen))
    return found


def _verdicts_of_runs(store: Store, run_ids: Iterable[int], wanted: Collection[str]
                      ) -> Iterable[tuple[FoldedCandidate, list[FoldedVerdict]]]:
    for run_id in run_ids:
        blob = _candidates_blob(store.conn.execute(
            "SELECT candidates FROM folded_runs WHERE run_id = ?", (run_id,)).fetchone())
        keys = blob.get("keys", [])
        for position, paper_id, outcome, rank, _final, verdicts in blob.get("rows", []):
            if paper_id in wanted:
                yield (FoldedCandidate(position, paper_id, outcome, rank, None),
                       [_unpack(run_id, paper_id, keys, v) for v in verdicts])


def _runs_on_first_listing(store: Store, paper_ids: Collection[str], where: str = "",
                           params: tuple[object, ...] = ()) -> list[int]:
    """The folded runs dated on the first listing day of any of these papers, oldest first."""
    ids = list(paper_ids)
    dates: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        dates.update(str(r[0]) for r in store.conn.execute(
            f"SELECT DISTINCT first_listed FROM papers_data WHERE first_listed IS NOT NULL"
            f" AND id IN ({', '.join('?' for _ in chunk)})", chunk))
    if not dates:
        return []
    marks = ", ".join("?" for _ in dates)
    return [int(r[0]) for r in store.conn.execute(
        f"SELECT r.id FROM runs r JOIN folded_runs f ON f.run_id = r.id WHERE r.date IN ({marks})"
        f"{where} ORDER BY r.id", [*sorted(dates), *params])]


def folded_verdicts(store: Store, paper_ids: Collection[str]) -> dict[str, list[FoldedVerdict]]:
    """Every folded verdict on these papers, oldest run first (for the judgement cache)."""
    found: dict[str, list[FoldedVerdict]] = {}
    if not paper_ids:
        return found
    wanted = set(paper_ids)
    for candidate, verdicts in _verdicts_of_runs(store, _runs_on_first_listing(store, wanted), wanted):
        found.setdefault(candidate.paper_id, []).extend(verdicts)
    return found


def folded_outcomes(store: Store, profile: str, before: dt.date, paper_ids: Collection[str] | None
                    ) -> dict[str, set[str]]:
    """The outcomes that a finished, folded run of `profile` dated before `before` gave these
    papers, or every paper with `paper_ids` None (for "seen before")."""
    found: dict[str, set[str]] = {}
    where, params = " AND r.profile = ? AND r.date < ? AND r.status = 'done'", (profile, before.isoformat())
    if paper_ids is None:
        runs = [int(r[0]) for r in store.conn.execute(
            "SELECT r.id FROM runs r JOIN folded_runs f ON f.run_id = r.id WHERE 1" + where, params)]
        for run_id in runs:
            for candidate in folded_candidates(store, run_id):
                found.setdefault(candidate.paper_id, set()).add(candidate.outcome)
        return found
    if not paper_ids:
        return found
    wanted = set(paper_ids)
    runs = _runs_on_first_listing(store, wanted, where, params)
    for candidate, _ in _verdicts_of_runs(store, runs, wanted):
        found.setdefault(candidate.paper_id, set()).add(candidate.outcome)
    return found


def fold_old_listings(store: Store, keep_days: int, now: dt.datetime | None = None) -> int:
    """Fold the entries of listings requested and dated `keep_days` days ago or more into
    `folded_listings` (one row per listing); returns how many entries were folded."""
    if keep_days <= 0:
        return 0
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = (moment.date() - dt.timedelta(days=keep_days)).isoformat()
    listings = [int(r[0]) for r in store.conn.execute(
        "SELECT l.id FROM listings l WHERE l.requested_date < ?1 AND COALESCE(l.date, '') < ?1"
        " AND EXISTS (SELECT 1 FROM listing_entries e WHERE e.listing_id = l.id)"
        " AND NOT EXISTS (SELECT 1 FROM folded_listings f WHERE f.listing_id = l.id)", (cutoff,))]
    folded = 0
    for listing_id in listings:
        with store.transaction() as conn:
            rows = conn.execute("SELECT position, paper_id, version, announce_type FROM"
                                " listing_entries WHERE listing_id = ? ORDER BY position",
                                (listing_id,)).fetchall()
            columns = {name: [row[i] for row in rows]
                       for i, name in enumerate(("position", "paper_id", "version", "announce_type"))}
            conn.execute("INSERT INTO folded_listings (listing_id, entries) VALUES (?, ?)",
                         (listing_id, zlib.compress(json.dumps(columns, separators=(",", ":"))
                                                    .encode("utf-8"), 9)))
            conn.execute("DELETE FROM listing_entries WHERE listing_id = ?", (listing_id,))
            folded += len(rows)
    return folded


def folded_entries(store: Store, listing_id: int) -> list[tuple[int, str, int | None, str]]:
    """The folded entries of a listing in order: (position, paper id, version, announce type)."""
    row = store.conn.execute("SELECT entries FROM folded_listings WHERE listing_id = ?",
                             (listing_id,)).fetchone()
    if row is None:
        return []
    columns: dict[str, list[Any]] = json.loads(zlib.decompress(row[0]))
    return list(zip(columns["position"], columns["paper_id"], columns["version"],
                    columns["announce_type"], strict=True))


class NewCandidate(NamedTuple):
    """A candidate of a run being recorded that goes straight into the run's folded row:
    its place among the run's candidates, its one verdict and the stage and text hash that
    verdict's row would have had. (A tuple: a group's day makes a million of them.)"""

    position: int
    judgement: Judgement
    stage: str
    content_hash: str


def fold_at_record(store: Store, run_id: int, candidates: Sequence[NewCandidate]) -> int:
    """Write `candidates` (unpicked) as the run's folded row, as `fold_old_runs` would have folded
    their rows later (issue 19: a group's local runs, `[store] pack_local_runs`); returns how many.

    Each keeps its one verdict as its final judgement. Called once per run, before any other fold
    of it."""
    if not candidates:
        return 0
    # A group's day packs a million candidates (8 us each was a sixth of the day's run): each
    # key found by a dict, each outcome's name read once (`Outcome.value` is a Python-level
    # property), the row's JSON written by orjson when it reads back the same.
    keys: dict[tuple[str, str, str, str], int] = {}
    names: dict[Outcome, str] = {}
    folded: list[list[object]] = []
    ordered = sorted(candidates, key=itemgetter(0))  # by position
    for position, j, stage, content_hash in ordered:
        key = (j.judge, stage, j.model, j.prompt_hash)
        index = keys.get(key)
        if index is None:
            index = keys[key] = len(keys)
        outcome = names.get(j.outcome)
        if outcome is None:
            outcome = names[j.outcome] = j.outcome.value
        if j.tldr or j.tldr_kind or j.language:
            text = [j.comment, j.detail, j.tldr, j.tldr_kind, j.language]
            while not text[-1]:
                text.pop()
        elif j.detail:
            text = [j.comment, j.detail]
        else:
            text = [j.comment] if j.comment else []
        folded.append([position, j.paper_id, outcome, None, 0,
                       [[index, outcome, j.relevance, j.novelty, content_hash, *text]]])
    blob = zlib.compress(_compact_json({"format": _FORMAT, "keys": [list(k) for k in keys], "rows": folded},
                                       [c.judgement for c in ordered]), RECORD_ZLIB_LEVEL)
    with store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO folded_runs (run_id, candidates, folded_at)"
                     " VALUES (?, ?, ?)", (run_id, blob, utcnow()))
    return len(folded)


def _compact_json(value: dict[str, Any], judgements: Sequence[Judgement]) -> bytes:
    """`value` as compact UTF-8 JSON that `json.loads` reads back as `value`: orjson's (~5 times
    faster) unless a score is not a plain finite float or an integer within 64 bits (orjson
    writes NaN as null; its other floats read back exactly) or orjson refuses a value."""
    scores = [j.relevance for j in judgements] + [j.novelty for j in judgements]
    if all(x is None or (type(x) is float and math.isfinite(x)) or (type(x) is int and -_INT64 <= x < _INT64)
           for x in scores):
        try:
            return orjson.dumps(value)
        except TypeError:  # a lone surrogate in a comment, a value orjson does not write
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_INT64 = 2**63


def folded_verdicts_of(store: Store, paper_ids: Collection[str], profiles: Collection[str] | None
                       ) -> dict[str, list[FoldedVerdict]]:
    """`folded_verdicts` of the runs of these profiles only (None: every profile's), for the web
    app's per-paper days: a group's store holds a folded row per member and day, and a member's
    page reads only her own.

    Each run's row is read in one statement and only the wanted papers' entries are decoded
    (a search page's 50 hits fall on up to 50 days: decoding each day's whole row, ~1,000
    candidates, was 3 ms a day)."""
    if profiles is None:
        return folded_verdicts(store, paper_ids)
    found: dict[str, list[FoldedVerdict]] = {}
    if not paper_ids or not profiles:
        return found
    ids, names = sorted(set(paper_ids)), sorted(set(profiles))
    by_date: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in store.conn.execute(
                f"SELECT id, first_listed FROM papers_data WHERE first_listed IS NOT NULL"
                f" AND id IN ({', '.join('?' for _ in chunk)})", chunk):
            by_date.setdefault(str(row[1]), []).append(str(row[0]))
    if not by_date:
        return found
    rows = store.conn.execute(
        f"SELECT r.id, r.date, f.candidates FROM runs r JOIN folded_runs f ON f.run_id = r.id"
        f" WHERE r.date IN ({', '.join('?' for _ in by_date)})"
        f" AND r.profile IN ({', '.join('?' for _ in names)}) ORDER BY r.id",
        [*sorted(by_date), *names]).fetchall()
    for run_id, date, blob in rows:
        for paper_id, verdicts in _entries(int(run_id), zlib.decompress(blob).decode("utf-8"),
                                           by_date[str(date)]):
            found.setdefault(paper_id, []).extend(verdicts)
    return found


_DECODER = json.JSONDecoder()


def _entries(run_id: int, text: str, wanted: Iterable[str]) -> Iterable[tuple[str, list[FoldedVerdict]]]:
    """The verdicts of the wanted papers in a folded row's JSON text, decoding only their entries
    (each entry is `[position,"id",...]`; a quote inside a string is escaped, so the pattern
    cannot match inside a comment)."""
    keys: list[list[str]] | None = None
    for paper_id in wanted:
        match = re.search(r"\[\d+," + re.escape(json.dumps(paper_id)) + ",", text)
        if match is None:
            continue
        if keys is None:
            keys = _DECODER.raw_decode(text, text.index('"keys":') + len('"keys":'))[0]
        entry = _DECODER.raw_decode(text, match.start())[0]
        yield paper_id, [_unpack(run_id, paper_id, keys or [], v) for v in entry[5]]
