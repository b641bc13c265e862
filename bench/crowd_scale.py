"""A group's day at scale (issue 19): N profiles x a day of 1,013 real papers, local judge.

For each N, a fresh process and a fresh PAPERSIEVE_HOME: the day is stored first (not timed),
then timed from the stored candidates to every profile's recorded outcomes and digest:
the crowd's retraining, then per profile candidates, prefilter, judge, selection, record, render
and the outputs. Reports wall seconds, peak memory (the child's max RSS), the store's growth
and the output files' size. Inputs: bench/crowd_setup.py (the day and the profiles).

Run:   nice -n 10 .venv/bin/python bench/crowd_scale.py 10 100 1000
       ... --judge local          each profile's own LocalJudge (no crowd), for comparison
       ... --formats markdown     the outputs written per profile (default: markdown; `all` =
                                  markdown, json, html, atom as a single-user profile writes;
                                  `none` = no files, the store holds the day)
       ... --workers 2            `run --all --workers 2`: the local profiles in two processes
       ... --judge-ahead          `run --all --judge-ahead`: the crowd's judging done ahead in a
                                  second process (group_ahead.py)
       ... --earlier-days 60      each member's output folder holds 60 earlier days' files first
                                  (a day JSON of the same 1,013 papers for each of the 60 days
                                  before, ~2 MB, written once and hard-linked into every folder:
                                  the run parses them as a real folder's, the page cache is shared;
                                  each file dated to its own day; with code that keeps the site's
                                  index, each folder also holds the index the previous day's run
                                  left, as a real folder's does)
       ... --no-site-index        the earlier days without the site's index (the first run after
                                  an upgrade to it, or after the index was deleted)
       (wall and CPU seconds per pipeline stage are in the output: `stage_wall_seconds`,
       `stage_cpu_seconds`, the latter for one process only)
       ... --profile-top 25       cProfile of the timed part (CPU time, not wall: the machine is
                                  shared), top 25 functions by own time; the whole profile is
                                  kept in /tmp/crowd_scale.prof
       ... --profile-clock wall   the same with wall time (a PostgreSQL store waits on the server)
       ... --store postgresql     the store in a new schema on a PostgreSQL server (bench/pgserver.py:
                                  PAPERSIEVE_BENCH_PG's, else a throwaway cluster on loopback)
       ... --ray K                `run --all --ray` on a local Ray cluster of K CPUs (implies
                                  --store postgresql; the profiles are stored, as `--ray` reads
                                  them; `ray.init` timed apart)
Every result line carries `digest_sha256`: the hash of every profile's Markdown digest (rendered
from its report after the timed part), the same in every configuration for the same N; and
`outputs_sha256`: the hash of every file the run wrote (path and bytes; the earlier days left out). On
PostgreSQL, CPU adds the server's processes (their user + system seconds over the timed part) and
the store's growth is its schema's tables and indexes.
The loop is `papersieve.group.run_all` when the branch has it, else run_day per profile with the
same fetched day and `judge_for` (`--loop` forces the loop).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ALL_FORMATS = ["markdown", "json", "html", "atom"]


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _store_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.glob("*.db*"))


def _profile_files(n: int, formats: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(name, profile files) of the n profiles: the built-in profile's files with the profile's
    topics, the local judge, the day's categories and `formats` written into its profile.toml
    (so that a stored profile, as `--ray` loads it, is the same profile)."""
    import re

    import crowd_setup as setup
    from papersieve.profile.loader import builtin_profile_dir, read_profile_folder

    files = read_profile_folder(builtin_profile_dir())
    toml = files["profile.toml"]
    for pattern, value in ((r"(?m)^categories = .*$", f"categories = {json.dumps(list(setup.CATEGORIES))}"),
                           (r"(?m)^kind = .*$", 'kind = "local"'),
                           (r"(?m)^formats = .*$", f"formats = {json.dumps(formats)}")):
        toml, count = re.subn(pattern, value, toml, count=1)
        assert count == 1, pattern
    return [(name, {**files, "profile.toml": toml, "topics.txt": topics})
            for name, topics, _ in setup.profile_topics(n)]


def _profiles(n: int, formats: list[str]) -> list[Any]:
    from papersieve.profile.loader import profile_from_files

    return [profile_from_files(files, name) for name, files in _profile_files(n, formats)]


def child(n: int, judge: str, formats: list[str], use_loop: bool, top: int, workers: int,
          ray_cpus: int = 0, wall_profile: bool = False, earlier_days: int = 0,
          judge_ahead: bool = False, site_index: bool = True) -> dict[str, Any]:
    """One measurement in this process (PAPERSIEVE_HOME already set to a fresh folder, and
    PAPERSIEVE_DB to a new schema for a PostgreSQL store)."""
    sys.path.insert(0, str(HERE))
    from threadpoolctl import threadpool_limits

    import crowd_setup as setup
    from papersieve.ingest import load_offline_day
    from papersieve.judges.local import LocalJudge
    from papersieve.pipeline import run_day
    from papersieve.store import open_store

    home = Path(os.environ["PAPERSIEVE_HOME"])
    day_dir = home / "day"
    papers = setup.build_day(day_dir)
    profiles = _profiles(n, formats)
    out = home / "out"
    with open_store() as store:
        fetched = load_offline_day(store, day_dir, setup.DAY, setup.CATEGORIES)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = _store_size(store, home)
        placed = _write_earlier_days(home / "earlier", out, [p.name for p in profiles], fetched,
                                     earlier_days, site_index)
        ray_init = 0.0
        if ray_cpus:
            ray_init = _start_ray(store, n, formats, ray_cpus)
        server = _server_pids(store)
        profiler = None
        if top:
            import cProfile

            # CPU seconds by default: the machine is shared; wall for the waits on a server
            profiler = cProfile.Profile(time.perf_counter if wall_profile else time.process_time)
            profiler.enable()
        speed_before = _speed_reference()
        gc_clock = _GcClock()
        stage_cpu = _count_stage_cpu()
        written_before = _written_bytes()
        load_before = os.getloadavg()
        own_before = _own_cpu_seconds()
        cpu_before = _cpu_seconds() + _tree_cpu(server) + (
            _tree_cpu(_descendants(os.getpid())) if ray_cpus else 0.0)
        start = time.perf_counter()
        with threadpool_limits(1, user_api="blas"):
            judge_for: Any = None  # run_all's own: the crowd of local judges
            if judge == "local":
                def judge_for(profile: Any) -> Any:
                    return LocalJudge(profile, store)
            if ray_cpus:
                reports = _run_on_ray(store, profiles, setup.DAY, out)
            else:
                reports = _run(store, profiles, setup.DAY, fetched, out, judge_for, use_loop, run_day,
                               workers, judge_ahead)
        seconds = time.perf_counter() - start
        ray_cpu = _tree_cpu(_descendants(os.getpid())) if ray_cpus else 0.0
        cpu = _cpu_seconds() + _tree_cpu(server) + ray_cpu - cpu_before
        own_cpu = _own_cpu_seconds() - own_before
        ray_rss = _peak_rss_mib(_descendants(os.getpid())) if ray_cpus else []
        written = _written_bytes() - written_before
        load_after = os.getloadavg()
        gc_clock.stop()
        speed_after = _speed_reference()
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(top)
            profiler.dump_stats("/tmp/crowd_scale.prof")
        if ray_cpus:
            import ray

            ray.shutdown()
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after = _store_size(store, home)
    picks = [len(r.digest.picks) for r in reports if r.digest is not None]
    from papersieve.render.markdown import render_markdown

    digests = hashlib.sha256("".join(render_markdown(r.digest) for r in reports
                                     if r.digest is not None).encode("utf-8")).hexdigest()
    stages: dict[str, float] = {}
    for report in reports:
        for stage, spent in report.timings.items():
            stages[stage] = stages.get(stage, 0.0) + spent
    return {"profiles": n, "papers": papers, "judge": judge, "formats": formats,
            "store": "postgresql" if store.postgres else "sqlite", "ray_cpus": ray_cpus,
            "ray_init_seconds": round(ray_init, 2),
            # with --ray: the peak RSS of each process Ray started (raylet, GCS, workers) alive
            # at the end of the run, largest first
            "ray_peak_rss_mib": sorted(ray_rss, reverse=True),
            "seconds": round(seconds, 2), "per_profile_ms": round(1000 * seconds / n, 1),
            "cpu_seconds": round(cpu, 2),
            # this process alone (without workers, the process judging ahead, a server): with
            # --judge-ahead, the run's own share, the longer of the two on an idle machine
            "cpu_seconds_this_process": round(own_cpu, 2), "written_mb": round(written / 1e6),
            "load_1min": [round(load_before[0], 1), round(load_after[0], 1)],
            # the machine's speed just before and after the timed part (`_speed_reference`)
            "speed_ref_seconds": [speed_before, speed_after],
            # the run's process's garbage-collector pauses (seconds per generation, count)
            "gc_seconds": gc_clock.seconds, "gc_collections": gc_clock.count,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            # the largest worker process (with --workers; their sum with the above bounds the
            # memory, shared copy-on-write pages counted twice)
            "worker_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "store_growth_mb": round((after - before) / 1e6, 2), "outputs_mb": round(_size(out) / 1e6, 2),
            "earlier_days": earlier_days,
            "site_index_placed": placed,
            "outputs_sha256": _outputs_hash(out, setup.DAY),
            "workers": workers, "judge_ahead": judge_ahead, "done": sum(r.status == "done" for r in reports),
            "median_picks": sorted(picks)[len(picks) // 2], "digest_sha256": digests,
            "stage_wall_seconds": {k: round(v, 2) for k, v in stages.items()},
            "stage_cpu_seconds": {k: round(v, 2) for k, v in stage_cpu.items()}}


def _write_earlier_days(shared: Path, out: Path, names: list[str], fetched: Any, count: int,
                        site_index: bool = True) -> bool:
    """`count` earlier days in each member's folder: for each day before the bench's, one day
    JSON of the day's papers (every candidate with its abstract and a comment, 30 picks, as a
    member's day file holds them), written once, dated to its own day (a real folder's files
    were written on their days) and hard-linked into every member's folder. With `site_index`
    and code that keeps one (render/site_index.py), each folder also gets the site's index the
    previous day's run would have left (built once from the shared copy: the hard links have
    its files' size and mtime). Returns whether the index was placed."""
    import datetime as dt

    import crowd_setup as setup
    from papersieve.render.json_out import FORMAT

    papers = list({e.paper.id: e.paper for x in fetched.listings for e in x.entries}.values())
    for back in range(1, count + 1):
        day_date = setup.DAY - dt.timedelta(days=back)
        date = day_date.isoformat()
        day = {"format": FORMAT, "date": date, "profile": "bench", "run_id": back, "judge": "local",
               "model": "local", "prompt_hash": "", "counts": {}, "usage": {}, "notes": [],
               "picks": [p.id for p in papers[:30]],
               "candidates": [{"id": p.id, "title": p.title, "authors": list(p.authors),
                               "abstract": p.abstract, "categories": list(p.categories),
                               "url": p.abs_url, "code": [], "outcome": "not_relevant",
                               "picked": False, "rank": None, "pinned": False, "judge": "local",
                               "model": "local", "relevance": 2.0, "novelty": None,
                               "comment": "Matches no topic phrase of the profile.", "detail": ""}
                              for p in papers],
               "prompt": {"system": "", "user": ""}}
        source = shared / date[:7] / f"{date}.json"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(json.dumps(day, ensure_ascii=False, indent=2) + "\n", "utf-8")
        written = dt.datetime.combine(day_date, dt.time(6, 0), tzinfo=dt.UTC).timestamp()
        os.utime(source, (written, written))
        for name in names:
            target = out / name / date[:7] / f"{date}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, target)
    index = _site_index(shared) if count and site_index else None
    for name in names if index is not None else []:
        (out / name / index[0]).write_bytes(index[1])
    return index is not None


def _site_index(site: Path) -> tuple[str, bytes] | None:
    """The name and text of the site's index of `site`'s days, or None when the code has none."""
    try:
        from papersieve.deliver.files import FEED_DAYS
        from papersieve.render.paths import SITE_INDEX_NAME
        from papersieve.render.site_days import SiteDays
    except ImportError:
        return None
    # as a run with the feed leaves it: its days with every shown field, older ones titles only
    days = SiteDays(site, print, indexed=True, full_days=FEED_DAYS)
    days.newest()
    text = days.index_text()
    return (SITE_INDEX_NAME, text.encode("utf-8")) if text is not None else None


def _outputs_hash(out: Path, date: Any) -> str:
    """sha256 of every file under `out` the run wrote (relative path and bytes): the earlier
    days' files (a date in the name other than the bench's day) are left out, and so is the
    site's index (`site-index.json`: it records the day files' mtimes)."""
    import re

    digest = hashlib.sha256()
    for path in sorted(out.rglob("*")):
        dated = re.match(r"\d{4}-\d{2}-\d{2}", path.name)
        if not path.is_file() or (dated and dated.group(0) != date.isoformat()) \
                or path.name == "site-index.json":
            continue
        digest.update(path.relative_to(out).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _count_stage_cpu() -> dict[str, float]:
    """CPU seconds of this process per pipeline stage (the run reports' timings are wall
    seconds, which on a shared machine say more about the neighbours): `pipeline._Clock.stage`
    wrapped to add `time.process_time` too. Workers' stages are not counted."""
    from contextlib import contextmanager

    from papersieve import pipeline

    spent: dict[str, float] = {}
    wall_stage = pipeline._Clock.stage

    @contextmanager
    def stage(self: Any, name: str) -> Any:
        start = time.process_time()
        try:
            with wall_stage(self, name):
                yield
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - start

    pipeline._Clock.stage = stage  # type: ignore[method-assign]
    return spent


def _store_size(store: Any, home: Path) -> int:
    if store.postgres:
        import pgserver

        return pgserver.schema_bytes(store.url)
    return _store_bytes(home)


def _start_ray(store: Any, n: int, formats: list[str], cpus: int) -> float:
    """Store the n profiles (`run --all --ray` reads them from the store) and start a local Ray
    cluster of `cpus` CPUs; returns the seconds `ray.init` took."""
    import ray

    from papersieve.store.profiles import save_profile

    for name, files in _profile_files(n, formats):
        save_profile(store, name, files)
    start = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    return time.perf_counter() - start


def _run_on_ray(store: Any, profiles: list[Any], date: Any, out: Path) -> list[Any]:
    from papersieve.group_ray import run_all_on_ray

    result = run_all_on_ray(store, profiles, date, address="auto", deliver=False, out_dir=out)
    failed = [m.line() for m in result.members if m.error]
    if failed:
        raise SystemExit("\n".join(failed[:20]))
    return [m.report for m in result.members]


def _server_pids(store: Any) -> list[int]:
    """The PostgreSQL server's processes on this machine (its postmaster first), or []."""
    if not store.postgres:
        return []
    folder = store.conn.execute("SHOW data_directory").fetchone()[0]
    try:
        postmaster = int(Path(folder, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []  # a server elsewhere: its CPU is not counted
    return [postmaster, *_descendants(postmaster)]


def _descendants(pid: int) -> list[int]:
    """Every live process under `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children.get(child, [])
    return found


def _tree_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of the processes `pids`, with their finished children's."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def _peak_rss_mib(pids: list[int]) -> list[int]:
    """Each process's peak resident memory (VmHWM), MiB."""
    peaks = []
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        peaks += [round(int(line.split()[1]) / 1024) for line in lines if line.startswith("VmHWM:")]
    return peaks


class _GcClock:
    """Seconds this process spent in cyclic garbage collections, per generation."""

    def __init__(self) -> None:
        import gc

        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds[info["generation"]] = round(
                self.seconds[info["generation"]] + time.perf_counter() - self._start, 3)
            self.count[info["generation"]] += 1

    def stop(self) -> None:
        import gc

        gc.callbacks.remove(self._callback)


def _speed_reference() -> float:
    """Seconds of a fixed single-core workload like a run's (Python objects, a JSON text),
    the best of three: this virtual machine's speed changes over hours (the same run took
    96.9 s one evening and 51.4 s the next), so each figure carries the speed it was measured at."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        rows = [{"id": f"2507.{i:05d}", "title": "t" * (i % 90), "score": i / 7, "authors": ["a", "b"]}
                for i in range(60_000)]
        json.dumps(rows)
        sum(len(row["title"]) for row in rows if row["score"] > 3)
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def _written_bytes() -> int:
    """Bytes this process sent to the disk (/proc/self/io `write_bytes`; workers not counted)."""
    try:
        lines = Path("/proc/self/io").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("write_bytes:")), 0)


def _own_cpu_seconds() -> float:
    """User + system CPU seconds of this process alone."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process (and of its finished children)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _run(store: Any, profiles: list[Any], date: Any, fetched: Any, out: Path,
         judge_for: Any, use_loop: bool, run_day: Any, workers: int, judge_ahead: bool) -> list[Any]:
    if not use_loop:
        from papersieve.group import run_all

        # The day from the store (stored listing, as `run --all --date` reads it).
        ahead = {"judge_ahead": True} if judge_ahead else {}  # a branch before it has no such option
        result = run_all(store, profiles, date, deliver=False, judge_for=judge_for, out_dir=out,
                         workers=workers, **ahead)
        failed = [m.line() for m in result.members if m.error]
        if failed:
            raise SystemExit("\n".join(failed))
        return [m.report for m in result.members]
    if judge_for is None:
        from papersieve.judges.local.crowd import LocalCrowd

        crowd = LocalCrowd(store, profiles)
        crowd.retrain_waiting()
        judge_for = crowd.judge_for
    return [run_day(store, p, date, fetched=fetched, judge=judge_for(p), out_dir=out / p.name,
                    deliver=False) for p in profiles]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 1000])
    parser.add_argument("--judge", choices=["crowd", "local"], default="crowd")
    parser.add_argument("--formats", default="markdown")
    parser.add_argument("--loop", action="store_true")
    parser.add_argument("--profile-top", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile-clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--ray", type=int, default=0, metavar="K")
    parser.add_argument("--earlier-days", type=int, default=0, metavar="K")
    parser.add_argument("--judge-ahead", action="store_true")
    parser.add_argument("--no-site-index", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    formats = {"all": ALL_FORMATS, "none": []}.get(args.formats, args.formats.split(","))
    if args.child:
        print(json.dumps(child(args.sizes[0], args.judge, formats, args.loop, args.profile_top,
                               args.workers, args.ray, args.profile_clock == "wall",
                               args.earlier_days, args.judge_ahead, not args.no_site_index)))
        return
    sys.path.insert(0, str(HERE))
    import pgserver

    pgserver.quiet_environment()
    postgres = args.store == "postgresql" or args.ray > 0
    with pgserver.server() if postgres else nullcontext("") as server:
        for n in args.sizes:
            with tempfile.TemporaryDirectory() as home, \
                    pgserver.schema(server) if postgres else nullcontext("") as url:
                env = {**os.environ, "PAPERSIEVE_HOME": home}
                if url:
                    env["PAPERSIEVE_DB"] = url
                command = [sys.executable, __file__, str(n), "--child", "--judge", args.judge,
                           "--formats", args.formats, "--profile-top", str(args.profile_top),
                           "--workers", str(args.workers), "--ray", str(args.ray),
                           "--profile-clock", args.profile_clock,
                           "--earlier-days", str(args.earlier_days)]
                command += ["--loop"] if args.loop else []
                command += ["--judge-ahead"] if args.judge_ahead else []
                command += ["--no-site-index"] if args.no_site_index else []
                done = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
                if args.profile_top or done.returncode:
                    print(done.stderr, file=sys.stderr)
                if done.returncode:
                    raise SystemExit(f"the child for {n} profiles failed ({done.returncode})")
                print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
