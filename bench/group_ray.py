"""`run --all` for N stored profiles on PostgreSQL: plain, and on Ray with 1 and 2 local workers
(issue 20, item 2). Wall time of the group run (the day read once from data/candidates,
2025-07-03, cs.LG + cs.AI, 215 candidates; the local judge; nothing delivered).

Each configuration gets a new PostgreSQL schema with the same N profiles (the built-in profile's
files under N names) and runs in a child process; a Ray configuration starts a local cluster there
first (`ray.init(num_cpus=K)`, timed apart: a real cluster is started once, not per day) and runs
`run --all --ray auto` on it. The PostgreSQL server is bench/pgserver.py's (PAPERSIEVE_BENCH_PG's,
else a throwaway cluster on loopback). The digests of every configuration are checked to be the
same. Run: nice -n 10 .venv/bin/python bench/group_ray.py [N]
(The 1,000-profile comparison on the group bench's day of 1,013 papers, SQLite beside it:
bench/crowd_scale.py --store postgresql / --ray K.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pgserver

REPO = pgserver.REPO
DAY = "2025-07-03"

CHILD = """
import sys, time
from papersieve.cli.main import main
workers = int(sys.argv[1])
args = ["run", "--all", "--date", sys.argv[4], "--offline", sys.argv[2], "--no-deliver", "--out", sys.argv[3]]
if workers:
    import ray
    start = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    print(f"ray.init {time.perf_counter() - start:.2f}", file=sys.stderr)
    args += ["--ray", "auto"]
start = time.perf_counter()
try:
    main(args)
except SystemExit as end:
    assert not end.code, end.code
print(f"run {time.perf_counter() - start:.2f}", file=sys.stderr)
"""


def store_profiles(url: str, count: int) -> None:
    from papersieve.profile.loader import builtin_profile_dir, read_profile_folder
    from papersieve.store import open_store
    from papersieve.store.profiles import save_profile

    files = read_profile_folder(builtin_profile_dir())
    with open_store(url) as store:
        for number in range(count):
            save_profile(store, f"p{number:04d}", files)


def run(workers: int, url: str, out: Path) -> tuple[float, float, str]:
    env = {**os.environ, "PAPERSIEVE_DB": url, "PAPERSIEVE_JUDGE": "local",
           "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-c", CHILD, str(workers), str(REPO / "data" / "candidates"),
                           str(out), DAY], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = dict(line.split() for line in done.stderr.splitlines()
                   if line.startswith(("run ", "ray.init ")))
    digest = "".join(p.read_text("utf-8") for p in sorted(out.rglob("*.md")))
    return float(figures["run"]), float(figures.get("ray.init", 0.0)), digest


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    pgserver.quiet_environment()
    with tempfile.TemporaryDirectory() as tmp_name, pgserver.server() as server:
        tmp = Path(tmp_name)
        os.environ["PAPERSIEVE_HOME"] = str(tmp / "home")
        digests = {}
        for workers, label in ((0, "plain"), (1, "ray, 1 worker"), (2, "ray, 2 workers")):
            with pgserver.schema(server) as url:
                store_profiles(url, count)
                seconds, init, digests[label] = run(workers, url, tmp / label)
            extra = f" (+ ray.init {init:.2f} s)" if workers else ""
            print(f"{label:16s} {count} profiles: {seconds:.2f} s{extra}", flush=True)
    print("same digests in every configuration:", len(set(digests.values())) == 1)
    print(f"command: nice -n 10 .venv/bin/python bench/group_ray.py {count}")


if __name__ == "__main__":
    main()
