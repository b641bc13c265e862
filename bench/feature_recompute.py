"""What the local ranker's feature cache saves: one retraining with the cache and without it.

On a copy of a year's pruned store (`bench/store_size.py --save DIR` keeps it as DIR/pruned.db),
the newest local model's fingerprint is changed so that `retrain` refits on the same labels, then
`retrain` runs in a fresh process (no in-process caches) twice: with the store's `local_features`
as the run's pruning leaves them, and with that table emptied (every feature recomputed from the
papers' text, then written back). Prints the seconds of each and the rows written.

Run: .venv/bin/python bench/feature_recompute.py DIR/pruned.db [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_CHILD = """
import json, sys, time
from papersieve.judges.local import retrain
from papersieve.profile import load_profile
from papersieve.store import open_store
with open_store(sys.argv[1]) as store:
    store.conn.execute("UPDATE local_models SET meta = json_set(meta, '$.fingerprint', 'bench')")
    store.conn.commit()
    start = time.perf_counter()
    report = retrain(store, load_profile(None))
    seconds = time.perf_counter() - start
    rows = store.conn.execute("SELECT COUNT(*) FROM local_features").fetchone()[0]
print(json.dumps({"seconds": seconds, "changed": report.changed, "feature_rows": rows}))
"""


def _once(source: Path, empty: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.db"
        shutil.copyfile(source, copy)
        if empty:
            subprocess.run([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                            " c.execute('DELETE FROM local_features'); c.commit()", str(copy)], check=True)
        done = subprocess.run([sys.executable, "-c", _CHILD, str(copy)], check=True, capture_output=True,
                              text=True, cwd=REPO, env={"PAPERSIEVE_HOME": tmp, "PATH": ""})
        found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for empty in (False, True):
        for _ in range(args.repeat):
            found = _once(args.store, empty)
            label = "recomputed (local_features emptied)" if empty else "cached (as pruned)"
            print(f"retrain, features {label}: {found['seconds']:.1f} s, refitted {found['changed']},"
                  f" {found['feature_rows']} feature rows after", flush=True)


if __name__ == "__main__":
    main()
