"""What the group web app's accounts cost: a sign-in (argon2id), the topics preview (the local
judge twice on the latest stored day's candidates), and a member's today page behind the gate.

Builds the accounts tests' store (tests/groupdata.py: two real days of cs.LG + cs.AI, 390
candidates on the latest, two members and an admin), then times each through the whole app
(security middleware, session cookie, gate, SQL, templates) with Starlette's test client.
Prints the median and 95th percentile.

    .venv/bin/python bench/group_accounts.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.groupdata import PASSWORDS, SESSION_KEY, build_group_store

from papersieve.web.app import create_app

TOPICS = ("1. Efficient inference of large language models: KV cache eviction and compression,"
          " quantization, low-rank adaptation.\n")


def timed(repeat: int, call: Callable[[], object]) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds of `repeat` calls (after one warm-up)."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        group = build_group_store(Path(folder) / "store.db")
        app = create_app(group.path, group=True, session_key=SESSION_KEY)
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert csrf is not None
            token = csrf.group(1)

            def sign_in() -> None:
                answer = client.post("/login", data={"name": "alice", "password": PASSWORDS["alice"],
                                                     "csrf_token": token}, follow_redirects=False)
                assert answer.status_code == 303

            def today() -> None:
                assert client.get("/").status_code == 200

            def preview() -> None:
                answer = client.post("/account/profile/alice/preview",
                                     data={"topics": TOPICS, "csrf_token": token})
                assert answer.status_code == 200 and "would have picked" in answer.text

            rows = [("sign in (argon2id verify + session cookie)", timed(args.repeat, sign_in)),
                    ("member's today page (gate + digest)", timed(args.repeat, today)),
                    ("topics preview (390 candidates, judged twice)", timed(args.repeat, preview))]
    for name, (p50, p95) in rows:
        print(f"{name:50s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
