"""The runs page's cost line per profile (issue 19): a group's admin sees what each member's
judging cost, not only the sum."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from papersieve.models import DayCounts, Usage
from papersieve.store import open_store
from papersieve.store.runs import finish_run, start_run
from papersieve.web.app import create_app
from tests.webdata import DAYS, build_store

BASE = "http://127.0.0.1:8000"


def test_the_runs_page_has_one_cost_line_per_profile(tmp_path: Path) -> None:
    data = build_store(tmp_path / "store.db", hostile=False)
    with open_store(data.path) as store:
        for day, tokens, dollars in ((DAYS[0], 1000, 0.25), (DAYS[1], 500, 0.5)):
            run_id = start_run(store, "bob", day, "llm", "gpt-4o", "h")
            finish_run(store, run_id, "done", DayCounts(total=5, scanned=5, unique=5, relevant=1),
                       Usage(tokens, 100, 0, dollars - 0.05, 0.05))
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        page = client.get("/runs").text
    lines = page.split('<ul class="profile-costs">', 1)[1].split("</ul>", 1)[0]
    assert "<li>Profile bob: $0.75 over 2 runs · 1,500 / 200 tokens</li>" in lines
    assert "<li>Profile default: $0.40 over 2 runs · 42,400 / 6,000 tokens</li>" in lines
    assert lines.index("Profile bob") < lines.index("Profile default")


def test_a_profile_judged_by_a_model_with_no_price_is_not_shown_as_free(tmp_path: Path) -> None:
    # A member judged by a local LLM server (unknown price) had "Profile carol: $0.00 over 1 run"
    # while her run's own row said "unknown" (session 13's trial against the real server).
    data = build_store(tmp_path / "store.db", hostile=False)
    with open_store(data.path) as store:
        for day, usage in ((DAYS[0], Usage(2450, 110, 0, None, None)),
                           (DAYS[1], Usage(1000, 100, 0, None, None))):
            run_id = start_run(store, "carol", day, "llm", "smollm2-135m", "h")
            finish_run(store, run_id, "done", DayCounts(total=4, scanned=4, unique=4, relevant=1),
                       usage)
        run_id = start_run(store, "dana", DAYS[0], "llm", "smollm2-135m", "h")
        finish_run(store, run_id, "done", DayCounts(total=4, scanned=4, unique=4, relevant=1),
                   Usage(500, 50, 0, None, None))
        run_id = start_run(store, "dana", DAYS[1], "llm", "gpt-4o", "h")
        finish_run(store, run_id, "done", DayCounts(total=4, scanned=4, unique=4, relevant=1),
                   Usage(1000, 100, 0, 0.20, 0.05))
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        page = client.get("/runs").text
    lines = page.split('<ul class="profile-costs">', 1)[1].split("</ul>", 1)[0]
    assert ("<li>Profile carol: cost unknown over 2 runs (a model with no known price)"
            " · 3,450 / 210 tokens</li>") in lines
    assert ("<li>Profile dana: $0.25 over 2 runs, and 1 of unknown cost (a model with no known"
            " price) · 1,500 / 150 tokens</li>") in lines
    assert "<li>Profile default: $0.40 over 2 runs · 42,400 / 6,000 tokens</li>" in lines
    summary = page.split('<p class="summary">', 1)[1].split("</p>", 1)[0]
    assert summary.endswith("spent in all, and 3 runs of unknown cost (a model with no known price)")
