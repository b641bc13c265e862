"""A group's store after 60 days (issue 19): its size, and the group web app's pages over it.

How the store is built (real code for the days and some members' runs, then copies):
1. The days: the real day of bench/crowd_setup.py (the listings of 2025-07-01 and 2025-07-02 for
   cs.LG, cs.AI, cs.CL, cs.CV, stat.ML: 1,013 distinct papers) written as `--days` weekdays
   ending 2025-09-30, each under fresh arXiv ids (day d's papers are `YYMM.NNNNN` with YYMM
   2001, 2002, ... and the real number), each stored by `ingest.load_offline_day` (listings,
   papers, the search index).
2. Real runs: `--real` profiles (bench/crowd_setup.py's topics of the cs.* and stat.* fields:
   one per field, then pairs) run the first `--real-days` days through `pipeline.run_day` with
   the crowd's local judge (`LocalCrowd`, retrained before each day as `run --all` does),
   recording as the product does (`[store] pack_local_runs`, the default, unless `--no-pack`).
   After each real day every profile likes its two best picks and one paper it did not pick and
   dislikes its last pick (so that the second day's models are trained ones; given after the
   day, these likes leave the day's rows as they were recorded).
3. Copies: every other (member, day) of `--profiles` x `--days` is a copy of the real run of
   the profile `member % real` on the real day `day % real_days`: its runs row, run_candidates
   and judgements rows and folded row (its paper ids moved to the day's ids), the members'
   feedback, stored profiles and local models; one account per member (the first made by
   `create_user`, argon2id, the others with a copy of its hash).
4. The size: the file after a WAL checkpoint, per table and index (SQLite's dbstat).
5. The pages: the group app (`create_app(group=True)`, Starlette's test client, security
   middleware, session cookie, gate, SQL, templates) signed in as the first member: her today
   page, the archive, searches, a day with every candidate, a paper page; median and p95.

Run: nice -n 10 .venv/bin/python bench/group_store.py [--profiles 1000] [--days 60] [--real 20]
     [--real-days 2] [--repeat 30] [--keep DIR] [--no-pack]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
LAST_DAY = dt.date(2025, 9, 30)
PASSWORD = "bench-member-password-1"
SESSION_KEY = b"b" * 8 + b"Qw3rTy7uIo9pAsDfGhJkLzXcVbNm0123"


def weekdays(count: int) -> list[dt.date]:
    """`count` weekdays ending on LAST_DAY, oldest first."""
    days: list[dt.date] = []
    day = LAST_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


def prefix(index: int) -> str:
    """The YYMM of day `index`'s paper ids."""
    return f"{20 + index // 12:02d}{1 + index % 12:02d}"


def write_days(folder: Path, dates: list[dt.date]) -> dict[str, list[str]]:
    """The real day's category files under each date with that day's ids; returns the lines."""
    import crowd_setup as setup

    source = folder / "source"
    setup.build_day(source)
    lines = {c: (source / f"arxiv-{setup.DAY.isoformat()}-{c}.jsonl").read_text("utf-8").splitlines()
             for c in setup.CATEGORIES}
    for index, date in enumerate(dates):
        day = folder / date.isoformat()
        day.mkdir(parents=True, exist_ok=True)
        for category, rows in lines.items():
            moved = []
            for line in rows:
                record = json.loads(line)
                record["id"] = prefix(index) + record["id"][4:]
                moved.append(json.dumps(record, ensure_ascii=False))
            (day / f"arxiv-{date.isoformat()}-{category}.jsonl").write_text("\n".join(moved) + "\n",
                                                                            "utf-8")
    return lines


def real_runs(store: Any, folder: Path, dates: list[dt.date], count: int, real_days: int,
              pack: bool) -> tuple[list[str], float]:
    """The real profiles' runs of the first days; returns their names and the seconds."""
    from threadpoolctl import threadpool_limits

    import crowd_setup as setup
    from papersieve.ingest import load_offline_day
    from papersieve.judges.local.crowd import LocalCrowd
    from papersieve.pipeline import run_day
    from papersieve.profile.loader import builtin_profile_dir, profile_from_files, read_profile_folder
    from papersieve.store.feedback import add_feedback
    from papersieve.store.profiles import save_profile

    files = read_profile_folder(builtin_profile_dir())
    overrides = {"judge.kind": "local", "categories": list(setup.CATEGORIES), "outputs.formats": [],
                 "store.pack_local_runs": pack}
    # A group reading these five categories: members of computer science and statistics fields
    # (one per field, then pairs), not of astrophysics, which would have nothing on the day.
    topics = [t for t in setup.profile_topics(600)
              if any(c.startswith(("cs.", "stat.")) for c in t[2])][:count]
    profiles = [profile_from_files({**files, "topics.txt": text}, name, overrides)
                for name, text, _ in topics]
    for profile, (_, text, _) in zip(profiles, topics, strict=True):
        save_profile(store, profile.name, {**files, "topics.txt": text})
    seconds = 0.0
    for index, date in enumerate(dates[:real_days]):
        fetched = load_offline_day(store, folder / date.isoformat(), date, setup.CATEGORIES)
        start = time.perf_counter()
        with threadpool_limits(1, user_api="blas"):
            crowd = LocalCrowd(store, profiles)
            crowd.retrain_waiting()
            reports = [run_day(store, p, date, fetched=fetched, judge=crowd.judge_for(p),
                               out_dir=folder / "out" / p.name, deliver=False) for p in profiles]
        seconds += time.perf_counter() - start
        print(f"  real day {index + 1} ({date}): {count} profiles in {time.perf_counter() - start:.1f} s",
              flush=True)
        for report, profile in zip(reports, profiles, strict=True):
            assert report.digest is not None, report.message
            picks = [p.paper.id for p in report.digest.picks]
            others = [j.paper_id for j in report.digest.judgements if j.paper_id not in set(picks)]
            add_feedback(store, [*picks[:2], *others[:1]], 1, "web", profile=profile.name)
            add_feedback(store, picks[-1:], -1, "web", profile=profile.name)
    return [p.name for p in profiles], seconds


def ingest_rest(store: Any, folder: Path, dates: list[dt.date], real_days: int) -> None:
    import crowd_setup as setup
    from papersieve.ingest import load_offline_day

    for date in dates[real_days:]:
        load_offline_day(store, folder / date.isoformat(), date, setup.CATEGORIES)


def copy_members(store: Any, names: list[str], dates: list[dt.date], members: int, real_days: int) -> None:
    """Every (member, day) that is not a real run: a copy of its real template."""
    conn = store.conn
    real = len(names)
    templates = {(str(r["profile"]), str(r["date"])): int(r["id"]) for r in conn.execute(
        "SELECT id, profile, date FROM runs WHERE status = 'done'")}
    last_run = int(conn.execute("SELECT MAX(id) FROM runs").fetchone()[0])
    span = int(conn.execute("SELECT MAX(id) FROM judgements").fetchone()[0]) + 1
    member_names = [names[m % real] + ("" if m < real else f"-{m // real}") for m in range(members)]
    mapping: list[tuple[int, int, str, str, str, str, int, int]] = []
    for d, date in enumerate(dates):
        for m in range(members):
            if d < real_days and m < real:
                continue
            source = templates[(names[m % real], dates[d % real_days].isoformat())]
            number = len(mapping) + 1
            mapping.append((source, last_run + number, member_names[m], date.isoformat(),
                            prefix(d), prefix(d % real_days), number * span, d))
    with store.transaction() as c:
        c.execute("CREATE TEMP TABLE copies (src INTEGER, new INTEGER, profile TEXT, date TEXT,"
                  " prefix TEXT, tprefix TEXT, joff INTEGER, day INTEGER)")
        c.executemany("INSERT INTO temp.copies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", mapping)
        c.execute("CREATE INDEX temp.copies_day ON copies(day)")
    columns = [r[1] for r in conn.execute("PRAGMA table_info(runs)")]
    rest = ", ".join(f"r.{c}" for c in columns if c not in ("id", "profile", "date"))
    judgement_columns = [r[1] for r in conn.execute("PRAGMA table_info(judgements)")]
    jrest = ", ".join(f"j.{c}" for c in judgement_columns if c not in ("id", "paper_id", "run_id"))
    blobs = _moved_blobs(store, templates, dates, real_days)
    for d in range(len(dates)):
        with store.transaction() as c:
            c.execute(f"INSERT INTO runs (id, profile, date, {rest.replace('r.', '')}) SELECT m.new,"
                      f" m.profile, m.date, {rest} FROM temp.copies m JOIN runs r ON r.id = m.src"
                      " WHERE m.day = ?", (d,))
            c.execute(f"INSERT INTO judgements (id, paper_id, run_id, {jrest.replace('j.', '')})"
                      f" SELECT j.id + m.joff, m.prefix || substr(j.paper_id, 5), m.new, {jrest}"
                      " FROM temp.copies m JOIN judgements j ON j.run_id = m.src WHERE m.day = ?", (d,))
            c.execute("INSERT INTO run_candidates (run_id, paper_id, outcome, judgement_id, picked,"
                      " rank) SELECT m.new, m.prefix || substr(rc.paper_id, 5), rc.outcome,"
                      " rc.judgement_id + m.joff, rc.picked, rc.rank FROM temp.copies m JOIN"
                      " run_candidates rc ON rc.run_id = m.src WHERE m.day = ? ORDER BY m.new, rc.rowid",
                      (d,))
            c.executemany("INSERT INTO folded_runs (run_id, candidates, folded_at) SELECT m.new, ?,"
                          " f.folded_at FROM temp.copies m JOIN folded_runs f ON f.run_id = m.src"
                          " WHERE m.day = ? AND m.src = ?",
                          [(blob, d, src) for (src, day), blob in blobs.items() if day == d])
            c.execute("INSERT INTO feedback (paper_id, label, source, note, created_at, profile)"
                      " SELECT m.prefix || substr(f.paper_id, 5), f.label, f.source, f.note,"
                      " f.created_at, m.profile FROM temp.copies m JOIN runs r ON r.id = m.src"
                      " JOIN feedback f ON f.profile = r.profile AND substr(f.paper_id, 1, 4) ="
                      " m.tprefix WHERE m.day = ?", (d,))
        print(f"  copied day {d + 1}/{len(dates)}", end="\r", flush=True)
    print()
    _copy_profiles_and_models(store, names, member_names)


def _moved_blobs(store: Any, templates: dict[tuple[str, str], int], dates: list[dt.date],
                 real_days: int) -> dict[tuple[int, int], bytes]:
    """Each real run's folded row with its paper ids moved to each day copied from it."""
    out: dict[tuple[int, int], bytes] = {}
    for (_, date), run_id in templates.items():
        row = store.conn.execute("SELECT candidates FROM folded_runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            continue
        text = zlib.decompress(row[0]).decode("utf-8")
        real = [d.isoformat() for d in dates[:real_days]].index(date)
        for d in range(real, len(dates), real_days):
            moved = re.sub(r'"\d{4}(\.\d{5})"', f'"{prefix(d)}\\1"', text)
            out[(run_id, d)] = zlib.compress(moved.encode("utf-8"), 9)
    return out


def _copy_profiles_and_models(store: Any, names: list[str], member_names: list[str]) -> None:
    real = len(names)
    copies = [(member_names[m], names[m % real]) for m in range(real, len(member_names))]
    with store.transaction() as c:
        c.executemany("INSERT INTO profiles (name, files, revision, created_at, updated_at) SELECT ?,"
                      " files, revision, created_at, updated_at FROM profiles WHERE name = ?", copies)
        columns = [r[1] for r in c.execute("PRAGMA table_info(local_models)")
                   if r[1] not in ("id", "profile")]
        c.executemany(f"INSERT INTO local_models (profile, {', '.join(columns)}) SELECT ?,"
                      f" {', '.join(columns)} FROM local_models WHERE profile = ?", copies)


def accounts(store: Any, member_names: list[str]) -> None:
    """One account per member: the first by create_user (argon2id), the rest with its hash."""
    from papersieve.web.accounts import create_user

    create_user(store, "member0", PASSWORD, profiles=(member_names[0],))
    with store.transaction() as c:
        hashed = c.execute("SELECT password_hash FROM users WHERE name = 'member0'").fetchone()[0]
        for i, name in enumerate(member_names[1:], 1):
            user = c.execute("INSERT INTO users (name, password_hash, is_admin, created_at) VALUES"
                             " (?, ?, 0, '2025-09-30T00:00:00Z')", (f"member{i}", hashed)).lastrowid
            c.execute("INSERT INTO user_profiles (profile, user_id) VALUES (?, ?)", (name, user))


def sizes(path: Path) -> tuple[int, list[tuple[str, int]]]:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("runs", "run_candidates", "judgements", "folded_runs", "papers_data", "feedback")}
    conn.close()
    print("rows:", json.dumps(counts))
    return path.stat().st_size, [(str(n), int(s)) for n, s in rows]


def timed(client: Any, url: str, repeat: int) -> tuple[float, float, float, int]:
    """Wall p50 and p95 and CPU p50 (this process: the app's thread and the client's) in ms, and
    the page's size. The CPU figure is what the wall time would be on an idle machine, less the
    waits for the disk."""
    client.get(url)
    samples, cpu = [], []
    size = 0
    for _ in range(repeat):
        start, used = time.perf_counter(), time.process_time()
        reply = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        assert reply.status_code == 200, (url, reply.status_code)
        size = len(reply.content)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, statistics.median(cpu), size


def pages(path: Path, member: str, dates: list[dt.date], repeat: int) -> None:
    from starlette.testclient import TestClient

    from papersieve.store import open_store
    from papersieve.web.app import create_app

    with open_store(path) as store:
        run = store.conn.execute("SELECT id FROM runs WHERE profile = ? ORDER BY date DESC LIMIT 1",
                                 (member,)).fetchone()[0]
        folded = store.conn.execute("SELECT candidates FROM folded_runs WHERE run_id = ?", (run,)).fetchone()
        unpicked = json.loads(zlib.decompress(folded[0]))["rows"][0][1] if folded else str(
            store.conn.execute("SELECT paper_id FROM run_candidates WHERE run_id = ? AND picked = 0"
                               " LIMIT 1", (run,)).fetchone()[0])
    app = create_app(path, group=True, session_key=SESSION_KEY)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert csrf is not None
        answer = client.post("/login", data={"name": "member0", "password": PASSWORD,
                                             "csrf_token": csrf.group(1)}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        urls = {
            "member's today (her latest digest)": "/",
            "archive (her 60 days)": "/archive",
            "search 'language model'": "/search?q=language+model",
            "search 'diffusion', picked only": "/search?q=diffusion&picked=1",
            "search, liked only (no words)": "/search?liked=1",
            "a day with every candidate": f"/run/{run}?all=1",
            "a paper page (one she did not pick)": f"/paper/{unpicked}",
        }
        print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'KiB':>7}")
        for name, url in urls.items():
            p50, p95, cpu, size = timed(client, url, repeat)
            print(f"{name:40} {p50:8.1f} {p95:8.1f} {cpu:8.1f} {size / 1024:7.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--real", type=int, default=20)
    parser.add_argument("--real-days", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    parser.add_argument("--no-pack", action="store_true", help="[store] pack_local_runs = false")
    parser.add_argument("--pages-only", action="store_true", help="time the pages of a kept store")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="group-store-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PAPERSIEVE_HOME"] = str(folder)
    for name in ("OPENAI_API_KEY", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN"):
        os.environ.pop(name, None)
    path = folder / "papersieve.db"
    dates = weekdays(args.days)
    if not args.pages_only:
        from papersieve.store import open_store

        started = time.perf_counter()
        write_days(folder / "days", dates)
        with open_store(path) as store:
            names, seconds = real_runs(store, folder / "days", dates, args.real, args.real_days,
                                       not args.no_pack)
            print(f"real runs: {args.real} profiles x {args.real_days} days in {seconds:.1f} s"
                  f" ({1000 * seconds / (args.real * args.real_days):.0f} ms a run)", flush=True)
            ingest_rest(store, folder / "days", dates, args.real_days)
            print(f"days stored: {time.perf_counter() - started:.0f} s", flush=True)
            copy_members(store, names, dates, args.profiles, args.real_days)
            member_names = [names[m % len(names)] + ("" if m < len(names) else f"-{m // len(names)}")
                            for m in range(args.profiles)]
            accounts(store, member_names)
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        total, tables = sizes(path)
        print(f"store: {total / 1e9:.2f} GB for {args.profiles} members x {args.days} days"
              f" ({total / (args.profiles * args.days) / 1e3:.1f} kB a member-day)")
        for name, size in tables[:14]:
            print(f"  {name:32} {size / 1e6:10.1f} MB")
    member = read_member(path)
    pages(path, member, dates, args.repeat)
    print(f"folder: {folder}")


def read_member(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(path)
    row = conn.execute("SELECT p.profile FROM user_profiles p JOIN users u ON u.id = p.user_id"
                       " WHERE u.name = 'member0'").fetchone()
    conn.close()
    return str(row[0])


if __name__ == "__main__":
    main()
