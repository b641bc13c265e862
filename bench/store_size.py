"""The store's size after a simulated year of real-size days, with and without pruning.

1. Real days: the labelled real days of data/candidates (cs.LG + cs.AI, 199 to 817 candidates,
   25 days) run through the whole pipeline (`run_day`: store, LLM judge, outcomes, the local
   ranker's retraining after each LLM day), the LLM being the loopback server of
   tests/servers/llm_server.py, which answers with the seed system's real gpt-4o comments for its
   picks. Each LLM call's and verdict's `created_at` is then set to its day, as if the days had
   been lived.
2. The year: every row of those days copied `--copies` times under fresh paper ids and ids,
   each copy shifted back by the span of the real days (25 listing days x 10 = 250 days, a year
   of weekdays), into the same file.
3. The size: the file after `VACUUM` as it is (no pruning), then after the pruning a run does
   (`store/retention.py`: raw replies older than 30 days, old local model versions, cached
   features that left the ranker's window) and `papersieve db --vacuum` (the full-text index
   merged, `VACUUM`), with every table and index of each. With `--keep-text-days N` the pruning
   also empties the abstracts of papers last listed N days ago or more that were never picked
   nor given feedback (`[store] keep_text_days`, what the GitHub Actions workflow sets).

   With `--compact-after-days N` runs of that age out of the ranker's label days are folded
   (`[store] compact_after_days`, store/folding.py); with `--no-feature-cache` the ranker's
   feature cache is dropped (`[store] cache_features = false`); with `--no-search-index` the
   word search's index is emptied (`[store] search_index = false`). All are the workflow's.

4. With `--replacements-per-day N` a real feed's replacement entries are added to each listing
   day (`add_replacements`); with `--first-versions` each paper first listed as new gets its v1
   row, as a real feed gives (`first_versions`); with `--arxiv-ids` every paper id is rewritten
   as long as arXiv's (`short_ids`: the copies' ids are 15 characters, the replacements' 23,
   arXiv's 10).

Run: .venv/bin/python bench/store_size.py [--real-days 25] [--copies 10] [--keep-raw-days 30]
     [--keep-text-days 60] [--compact-after-days 90] [--no-feature-cache] [--no-search-index]
     [--fold-label-window] [--replacements-per-day 175 --unknown-share 0.35] [--first-versions] [--arxiv-ids]
     [--save DIR] [--year DB]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CANDIDATES = REPO / "data" / "candidates"
OFFSET = 10_000_000
"""Added per copy to integer ids, so that copies never collide."""
INT_IDS = {"listings": "id", "runs": "id", "judgements": "id", "llm_calls": "id",
           "local_models": "id", "papers": "pk", "papers_data": "pk"}
FOREIGN = ("listing_id", "run_id", "judgement_id")
DATES = ("date", "requested_date", "first_listed", "first_seen")
STAMPS = ("created_at", "fetched_at", "started_at", "finished_at", "updated_at")
TABLES = ("papers", "paper_versions", "listings", "listing_entries", "runs", "judgements",
          "run_candidates", "llm_calls", "local_features", "local_models")


def real_days(count: int) -> list[dt.date]:
    names = sorted(CANDIDATES.glob("arxiv-*-cs.LG+cs.AI.jsonl"))[:count]
    return [dt.date.fromisoformat(p.name[6:16]) for p in names]


def run_real_days(days: list[dt.date], home: Path) -> float:
    """The real days through the pipeline; returns the seconds."""
    os.environ["PAPERSIEVE_HOME"] = str(home)
    from tests.servers.llm_server import FakeLLM

    from papersieve.pipeline import run_day
    from papersieve.profile import load_profile
    from papersieve.store import open_store

    start = time.perf_counter()
    with FakeLLM() as llm:
        os.environ["OPENAI_API_KEY"] = "bench"
        os.environ["OPENAI_BASE_URL"] = llm.url
        profile = load_profile(None, {"judge.calls_per_minute": 10_000, "judge.cost_cap": 0})
        with open_store() as store:
            for day in days:
                report = run_day(store, profile, day, offline_dir=CANDIDATES, out_dir=home / "out",
                                 deliver=False)
                print(f"  {day}: {report.status}, {len(report.digest.judgements) if report.digest else 0}"
                      " candidates", flush=True)
    return time.perf_counter() - start


def date_calls(conn: sqlite3.Connection) -> None:
    """Each LLM call dated on its run's day (06:20 UTC), as a scheduled run would have made it."""
    conn.execute("UPDATE llm_calls SET created_at = (SELECT date || 'T06:20:00+00:00' FROM runs"
                 " WHERE runs.id = llm_calls.run_id)")
    conn.commit()


def date_verdicts(conn: sqlite3.Connection) -> None:
    """Each verdict dated on its run's day, as `date_calls` dates the calls (a year built before
    this kept the hour the bench ran, shifted: pruning by age would not see them as old)."""
    conn.execute("UPDATE judgements SET created_at = (SELECT date || 'T06:20:00+00:00' FROM runs"
                 " WHERE runs.id = judgements.run_id) WHERE run_id IS NOT NULL")
    conn.commit()


def copy_rows(conn: sqlite3.Connection, copy: int, shift_days: int) -> None:
    """Every row of the real days again, under fresh ids, `shift_days` earlier."""
    for table in _tables(conn):
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        exprs = [_expr(table, column, copy, shift_days) for column in columns]
        conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)}"
                     f" FROM {table} WHERE {_originals(table)}")
    conn.commit()


def _tables(conn: sqlite3.Connection) -> list[str]:
    """TABLES, with the table under the `papers` view where there is one (schema 7 and later)."""
    views = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'view'")}
    return ["papers_data" if t == "papers" and t in views else t for t in TABLES]


def _connect(path: Path) -> sqlite3.Connection:
    """A plain connection that knows the store's SQL functions (the papers view, its triggers)."""
    conn = sqlite3.connect(path)
    try:
        from papersieve.store.textpack import register
    except ImportError:  # a tree from before compressed abstracts
        return conn
    register(conn)
    return conn


def _originals(table: str) -> str:
    """Rows of the real days, not of earlier copies."""
    if table in INT_IDS:
        return f"{INT_IDS[table]} < {OFFSET}"
    key = "listing_id" if table == "listing_entries" else "run_id" if table == "run_candidates" else None
    if key:
        return f"{key} < {OFFSET}"
    return "paper_id NOT LIKE '%-c%'"


def _expr(table: str, column: str, copy: int, shift: int) -> str:
    if column == "paper_id" or (table in ("papers", "papers_data") and column == "id"):
        return f"{column} || '-c{copy:03d}'"
    if INT_IDS.get(table) == column or column in FOREIGN:
        return f"{column} + {copy * OFFSET}"
    if table == "local_models" and column == "version":
        return f"version + {copy * 1000}"
    if column in DATES:
        return f"date({column}, '-{shift} days')"
    if column in STAMPS:
        return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', substr({column}, 1, 19), '-{shift} days')"
    return column


def vacuumed_size(path: Path) -> tuple[int, list[tuple[str, int]]]:
    with _connect(path) as conn:
        conn.execute("VACUUM")
        tables = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
                              ).fetchall()
    return path.stat().st_size, [(str(name), int(size)) for name, size in tables]


def prune(path: Path, keep_raw_days: int, now: dt.datetime, keep_text_days: int = 0,
          compact_after_days: int = 0, cache_features: bool = True,
          search_index: bool = True, fold_label_window: bool = False) -> dict[str, int]:
    """What `run` prunes after a day, then `papersieve db --vacuum` (retention.vacuum)."""
    from papersieve.store import open_store
    from papersieve.store.retention import prune_store, vacuum

    more: dict[str, Any] = {"compact_after_days": compact_after_days} if compact_after_days else {}
    if not cache_features:
        more["cache_features"] = False
    if not search_index:
        more["search_index"] = False
    if fold_label_window:
        more["fold_label_window"] = True
    with open_store(path) as store:
        if keep_text_days:
            start = time.perf_counter()
            counts = prune_store(store, keep_raw_days, now, keep_text_days=keep_text_days, **more)
            first = time.perf_counter() - start
            start = time.perf_counter()
            prune_store(store, keep_raw_days, now, keep_text_days=keep_text_days, **more)
            print(f"pruning: {first:.1f} s the first time, {time.perf_counter() - start:.2f} s the"
                  " next run (nothing new to prune)")
        else:  # also a tree from before keep_text_days
            counts = prune_store(store, keep_raw_days, now)
        vacuum(store)
        return counts


def add_replacements(path: Path, per_day: int, unknown_share: float) -> int:
    """A real feed's replacement entries, which the candidate files lack (their crawlers dropped
    them: data/realworld/README.md). The seed's own digests count them: 2025-07-02 lists 498
    papers and scans 315, 2025-07-03 441 and 272, so ~170-180 entries a day are replacements.

    On each listing day `per_day` entries of type `replace` join the day's first listing, each
    paper written by the ingest's own upsert (`store.papers._upsert_one`, a new version):
    `unknown_share` of them papers the store never held (a copy of a stored paper's text under a
    new id: older papers revised), the rest papers first listed at least 7 days before (revised
    after their announcement). Returns the entries added."""
    import dataclasses
    import random

    from papersieve.store import open_store
    from papersieve.store.papers import _upsert_one, paper_from_row

    rng = random.Random(11)
    added = 0
    with open_store(path) as store:
        rows = store.conn.execute("SELECT id, first_listed FROM papers_data"
                                  " WHERE first_listed IS NOT NULL ORDER BY first_listed").fetchall()
        stored = [(str(r[0]), str(r[1])) for r in rows]
        days = [str(r[0]) for r in store.conn.execute(
            "SELECT DISTINCT requested_date FROM listings ORDER BY 1")]
        for day in days:
            week_before = (dt.date.fromisoformat(day) - dt.timedelta(days=7)).isoformat()
            earlier = [pid for pid, first in stored if first <= week_before]
            with store.transaction() as conn:
                listing, position = conn.execute(
                    "SELECT l.id, COALESCE(MAX(e.position), 0) FROM listings l LEFT JOIN"
                    " listing_entries e ON e.listing_id = l.id WHERE l.requested_date = ?"
                    " GROUP BY l.id ORDER BY l.id LIMIT 1", (day,)).fetchone()
                for _ in range(per_day):
                    unknown = not earlier or rng.random() < unknown_share
                    source = rng.choice(stored)[0] if unknown else rng.choice(earlier)
                    row = conn.execute("SELECT * FROM papers WHERE id = ?", (source,)).fetchone()
                    paper = paper_from_row(row)
                    version = int(row["latest_version"] or 1) + 1
                    paper = dataclasses.replace(
                        paper, id=f"{source}-r{added:06d}" if unknown else paper.id, version=version)
                    _upsert_one(conn, paper, day, f"{day}T12:00:00+00:00")
                    position += 1
                    conn.execute("INSERT INTO listing_entries (listing_id, position, paper_id, version,"
                                 " announce_type) VALUES (?, ?, ?, ?, 'replace')",
                                 (listing, position, paper.id, version))
                    conn.execute("UPDATE listings SET total_entries = total_entries + 1 WHERE id = ?",
                                 (listing,))
                    added += 1
    return added


ID_COLUMNS = (("papers_data", "id"), ("paper_versions", "paper_id"), ("listing_entries", "paper_id"),
              ("judgements", "paper_id"), ("run_candidates", "paper_id"), ("local_features", "paper_id"),
              ("embeddings", "paper_id"), ("feedback", "paper_id"))


def arxiv_id(paper_id: str) -> str:
    """A copy's or a replacement's id (`2506.12345-c003`, `2109.05721-c003-r021725`) as long as a
    real arXiv id, 10 characters, still unique: copy k of a 20yy paper under years 30-74 (five
    a copy: the real days' ids run from 21 to 25), the replacement number n as `09NN.NNNNN`."""
    base, _, rest = paper_id.partition("-")
    if not rest:
        return paper_id
    marks = rest.split("-")
    replaced = [int(m[1:]) for m in marks if m.startswith("r")]
    if replaced:
        return f"09{replaced[0] // 100_000:02d}.{replaced[0] % 100_000:05d}"
    copy, year = int(marks[0][1:]), int(base[:2])
    if not (1 <= copy <= 9 and 21 <= year <= 25 and len(base) == 10):
        raise ValueError(f"no short id for {paper_id}")
    return f"{30 + (copy - 1) * 5 + year - 21}{base[2:]}"


def short_ids(path: Path) -> int:
    """Every paper id of the year rewritten by `arxiv_id` (the copies' and the replacements' ids
    are 15 and 23 characters where arXiv's are 10: a year's store is then larger than a real
    one, by every row and index entry that names a paper); returns how many papers."""
    import json

    with _connect(path) as conn:
        ids = [str(r[0]) for r in conn.execute("SELECT id FROM papers_data")]
        mapping = {old: arxiv_id(old) for old in ids}
        if len(set(mapping.values())) != len(mapping):
            raise ValueError("short ids collide")
        conn.create_function("bench_short", 1, lambda value: mapping.get(value, value))
        conn.create_function("bench_short_list", 1, lambda text: json.dumps(
            [mapping.get(i, i) for i in json.loads(text)]) if text and text.startswith("[") else text)
        for table, column in ID_COLUMNS:
            conn.execute(f"UPDATE {table} SET {column} = bench_short({column})"
                         f" WHERE {column} LIKE '%-%'")
        conn.execute("UPDATE llm_calls SET paper_ids = bench_short_list(paper_ids)"
                     " WHERE typeof(paper_ids) = 'text' AND paper_ids LIKE '%-%'")
        conn.commit()
        # The search index's triggers deleted and wrote each renamed row again: merge its segments,
        # or the unpruned year carries their tombstones (~60 MB).
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")
        conn.commit()
    return sum(1 for old, new in mapping.items() if old != new)


def first_versions(path: Path) -> int:
    """A real feed's version of each new entry: v1 rows in `paper_versions` (the candidate files
    have no versions, so the year had rows only for the replacements, `add_replacements`), v1 on
    the listings' new and cross entries. A paper the store first held as a replacement (an id of
    `add_replacements`' own) was first seen later. Returns the rows added."""
    with _connect(path) as conn:
        added = conn.execute(
            "INSERT OR IGNORE INTO paper_versions (paper_id, version, first_seen) SELECT id, 1,"
            " first_listed FROM papers_data WHERE first_listed IS NOT NULL AND id NOT LIKE '%-r%'"
        ).rowcount
        conn.execute("UPDATE listing_entries SET version = 1 WHERE version IS NULL"
                     " AND announce_type IN ('new', 'cross')")
        conn.commit()
    return int(added)


def table_counts(path: Path) -> str:
    """How many papers, candidates (run_candidates) and judgements the store holds."""
    with _connect(path) as conn:
        found = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                 for table in ("papers", "run_candidates", "judgements")}
    return ", ".join(f"{n:,} {table}" for table, n in found.items())


def report(label: str, size: int, tables: list[tuple[str, int]]) -> None:
    print(f"{label}: {size / 1e6:.1f} MB")
    for name, bytes_ in tables:
        print(f"    {name:<36} {bytes_ / 1e6:7.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-days", type=int, default=25)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--keep-raw-days", type=int, default=30)
    parser.add_argument("--keep-text-days", type=int, default=0,
                        help="[store] keep_text_days for the pruned store (0: keep every abstract)")
    parser.add_argument("--compact-after-days", type=int, default=0,
                        help="[store] compact_after_days for the pruned store (0: never fold runs)")
    parser.add_argument("--no-feature-cache", action="store_true",
                        help="[store] cache_features = false for the pruned store")
    parser.add_argument("--no-search-index", action="store_true",
                        help="[store] search_index = false for the pruned store")
    parser.add_argument("--fold-label-window", action="store_true",
                        help="[store] fold_label_window = true for the pruned store")
    parser.add_argument("--replacements-per-day", type=int, default=0,
                        help="a real feed's replacement entries a listing day (add_replacements)")
    parser.add_argument("--unknown-share", type=float, default=0.35,
                        help="share of replaced papers the store never held")
    parser.add_argument("--first-versions", action="store_true",
                        help="a v1 version row for every paper first listed as new (first_versions)")
    parser.add_argument("--arxiv-ids", action="store_true",
                        help="every paper id as long as arXiv's (short_ids) before measuring")
    parser.add_argument("--save", type=Path, help="copy the year's stores (unpruned, pruned) here")
    parser.add_argument("--year", type=Path,
                        help="start from the unpruned year.db that --save kept (skips steps 1-2)")
    args = parser.parse_args()
    days = real_days(args.real_days)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "home" / "papersieve.db"
        if args.year:
            db.parent.mkdir()
            shutil.copyfile(args.year, db)
        else:
            _make_year(days, args.copies, db.parent)
        with _connect(db) as conn:
            date_verdicts(conn)
        if args.replacements_per_day:
            added = add_replacements(db, args.replacements_per_day, args.unknown_share)
            print(f"replacement entries added: {added:,} ({args.replacements_per_day} a listing day,"
                  f" {args.unknown_share:.0%} of them papers the store never held)")
        if args.first_versions:
            print(f"v1 version rows added: {first_versions(db):,}")
        if args.arxiv_ids:
            print(f"paper ids shortened to arXiv's length: {short_ids(db):,}")
        size, tables = vacuumed_size(db)
        report(f"a year ({len(days) * args.copies} listing days: {table_counts(db)}), no pruning",
               size, tables)
        pruned_db = Path(tmp) / "pruned.db"
        shutil.copyfile(db, pruned_db)
        now = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
        labels_before = ranker_labels(db)
        counts = prune(pruned_db, args.keep_raw_days, now, args.keep_text_days,
                       args.compact_after_days, not args.no_feature_cache, not args.no_search_index,
                       args.fold_label_window)
        size, tables = vacuumed_size(pruned_db)
        report(f"a year, pruned ({counts}) and vacuumed", size, tables)
        with _connect(pruned_db) as conn:
            kept = conn.execute("SELECT COUNT(*) FROM papers WHERE abstract != ''").fetchone()[0]
        print(f"    abstracts kept: {kept:,}")
        labels_after = ranker_labels(pruned_db)
        print(f"    the local ranker's labels after pruning: {len(labels_after[0]):,} papers,"
              f" {'the same as before (order included)' if labels_after == labels_before else 'CHANGED'};"
              f" {missing_text(pruned_db, labels_after[0]):,} of them without their abstract")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(db, args.save / "year.db")
            shutil.copyfile(pruned_db, args.save / "pruned.db")
    print(f"command: .venv/bin/python bench/store_size.py --real-days {args.real_days}"
          f" --copies {args.copies} --keep-raw-days {args.keep_raw_days}"
          f" --keep-text-days {args.keep_text_days} --compact-after-days {args.compact_after_days}"
          + (" --no-feature-cache" if args.no_feature_cache else "")
          + (" --no-search-index" if args.no_search_index else "")
          + (" --fold-label-window" if args.fold_label_window else "")
          + (" --first-versions" if args.first_versions else "")
          + (" --arxiv-ids" if args.arxiv_ids else "")
          + (f" --replacements-per-day {args.replacements_per_day} --unknown-share {args.unknown_share}"
             if args.replacements_per_day else ""))


def ranker_labels(path: Path) -> tuple[list[tuple[str, tuple[int, float]]], dict[str, list[str]]]:
    """The local ranker's labels (`training.collect_labels`) of the store's profile, in order."""
    from papersieve.judges.local.model.training import collect_labels
    from papersieve.profile import load_profile
    from papersieve.store import open_store

    with open_store(path) as store:
        labelled = collect_labels(store, load_profile(None))
    return list(labelled.targets.items()), {d: sorted(p) for d, p in sorted(labelled.picks.items())}


def missing_text(path: Path, targets: list[tuple[str, tuple[int, float]]]) -> int:
    """How many of the labelled papers lost their abstract (the ranker computes features from it)."""
    with _connect(path) as conn:
        empty = {str(r[0]) for r in conn.execute("SELECT id FROM papers WHERE abstract = ''")}
    return sum(1 for paper_id, _ in targets if paper_id in empty)


def _make_year(days: list[dt.date], copies: int, home: Path) -> None:
    """Steps 1 and 2 of the module docstring: the real days, then their copies."""
    print(f"real days {days[0]} to {days[-1]} through the pipeline:")
    seconds = run_real_days(days, home)
    db = home / "papersieve.db"
    real_size, _ = vacuumed_size(db)
    print(f"{len(days)} real days: {real_size / 1e6:.1f} MB ({real_size / len(days) / 1e6:.2f} MB"
          f" a day), {seconds:.0f} s")
    span = (days[-1] - days[0]).days + 1
    with _connect(db) as conn:
        date_calls(conn)
        for copy in range(1, copies):
            copy_rows(conn, copy, copy * span)


if __name__ == "__main__":
    main()
