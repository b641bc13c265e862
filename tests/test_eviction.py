"""The workflow's cache was evicted: the next run rebuilds what it can from the published site.

The store of a finished LLM day is lost; only the site (its day JSON) survives, as the workflow
takes it back from the last Pages artifact. `papersieve db --from-site` then records the day
again: the rerun needs no LLM call, the local ranker has the LLM's verdicts, and the catch-up
knows the newest day.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.catchup import newest_finished_day
from papersieve.cli.main import main
from papersieve.judges.local.model.training import collect_labels
from papersieve.profile import load_profile
from papersieve.rebuild import rebuild_from_site
from papersieve.store import open_store
from tests.conftest import DATA
from tests.servers.llm_server import FakeLLM

DAY = "2025-06-11"  # a real day of data/candidates: 300 candidates


def _run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        yield server


@pytest.mark.sqlite_only(reason="the evicted cache holds the SQLite file (the workflow's store)")
def test_after_an_eviction_the_store_is_rebuilt_from_the_site(
    tmp_path: Path, papersieve_home: Path, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = tmp_path / "state" / "site"
    args = ("run", "--offline", str(DATA / "candidates"), "--date", DAY, "--out", str(site),
            "--no-deliver")
    first = _run(*args)
    assert first.exit_code == 0, first.output
    paid = llm.calls
    assert paid > 0
    digest = (site / "2025-06" / f"{DAY}.md").read_text("utf-8")

    # The cache is gone: a new, empty home; the site came back from the Pages artifact.
    shutil.rmtree(papersieve_home)
    papersieve_home.mkdir()
    rebuilt = _run("db", "--from-site", str(site))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"Rebuilt 1 day(s) from {site}: {DAY} to {DAY}" in rebuilt.stdout
    profile = load_profile()
    with open_store() as store:
        assert newest_finished_day(store, "default") == dt.date.fromisoformat(DAY)
        labels = collect_labels(store, profile)
        assert labels.llm_count == 300
        assert rebuild_from_site(store, site) == []  # a second rebuild adds nothing

    again = _run(*args)
    assert again.exit_code == 0, again.output
    assert llm.calls == paid  # every verdict came from the rebuilt judgement cache
    assert (site / "2025-06" / f"{DAY}.md").read_text("utf-8") == digest
    assert os.path.exists(site / "index.html")


def test_a_site_file_that_is_not_a_papersieve_day_is_left_out(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "2025-06").mkdir(parents=True)
    (site / "2025-06" / "2025-06-11.json").write_text('{"format": "something else"}', "utf-8")
    (site / "2025-06" / "2025-06-12.json").write_text("not json", "utf-8")
    (site / "2025-06" / "2025-06-13.json").write_text(
        '{"format": "papersieve-digest/1", "date": "2025-06-13", "candidates": [{"id": "1",'
        ' "title": "t", "outcome": "no such outcome"}]}', "utf-8")
    result = _run("db", "--from-site", str(site))
    assert result.exit_code == 0, result.output
    assert "Rebuilt 0 day(s)" in result.stdout
    missing = _run("db", "--from-site", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert "no such site folder" in missing.stderr
