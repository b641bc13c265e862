"""`[store] compact_after_days`: old runs keep their unpicked candidates as one compact row, old
listings their entries.

The scheduled store (the workflow's cache) must hold a year under 50 MB; a row per candidate and
per verdict was a third of it. Folded, a run still rebuilds its digest as it was, a rerun of its
day bills nothing, a paper listed again later is still "seen before", and the picks keep their
rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.digests import load_digest
from papersieve.judges.local.model import training
from papersieve.models import Outcome, Paper
from papersieve.profile import load_profile
from papersieve.render.json_out import render_json
from papersieve.render.markdown import render_markdown
from papersieve.store import Store, folding, open_store
from papersieve.store.feedback import add_feedback
from papersieve.store.papers import upsert_papers
from papersieve.store.retention import prune_store
from papersieve.store.runs import finish_run, papers_judged_before, record_outcomes, start_run
from tests.conftest import DATA
from tests.servers.llm_server import FakeLLM
from tests.workflow_env import run_step_env

PREV, DAY = "2025-06-10", "2025-06-11"
NOW = dt.datetime(2025, 9, 15, 12, tzinfo=dt.UTC)  # both days are 90+ days old


def _run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        yield server


def _rows(store: Store, run_id: int) -> tuple[int, int]:
    candidates = store.conn.execute("SELECT COUNT(*) FROM run_candidates WHERE run_id = ?",
                                    (run_id,)).fetchone()[0]
    verdicts = store.conn.execute("SELECT COUNT(*) FROM judgements WHERE run_id = ?",
                                  (run_id,)).fetchone()[0]
    return int(candidates), int(verdicts)


def test_an_old_run_folds_into_one_row_rebuilds_its_digest_and_a_rerun_bills_nothing(
    tmp_path: Path, papersieve_home: Path, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for day in (PREV, DAY):
        result = _run("run", "--offline", str(DATA / "candidates"), "--date", day, "--out",
                      str(tmp_path / "site"), "--no-deliver")
        assert result.exit_code == 0, result.output
    paid = llm.calls
    monkeypatch.setattr(folding, "RANKER_LABEL_DAYS", 1)  # only DAY is in the label window
    with open_store() as store:
        runs = {str(r[0]): int(r[1]) for r in store.conn.execute("SELECT date, id FROM runs")}
        before = {day: (render_markdown(d), render_json(d))
                  for day in (PREV, DAY) for d in [load_digest(store, runs[day])]}
        picks = len(load_digest(store, runs[PREV]).picks)
        candidates, verdicts = _rows(store, runs[PREV])
        assert candidates > 100 and verdicts > 2 * 100
        counts = prune_store(store, 30, NOW, compact_after_days=90)
        assert counts["folded candidates"] == candidates - picks
        # The budget: the picks keep their rows, the rest is one row of a few bytes a candidate.
        assert _rows(store, runs[PREV])[0] == picks
        assert _rows(store, runs[PREV])[1] <= 3 * picks
        assert _rows(store, runs[DAY])[0] > 100  # in the label window: not folded
        blob = store.conn.execute("SELECT candidates FROM folded_runs WHERE run_id = ?",
                                  (runs[PREV],)).fetchone()[0]
        assert len(blob) < 40 * (candidates - picks)
        for day in (PREV, DAY):
            again = load_digest(store, runs[day])
            assert (render_markdown(again), render_json(again)) == before[day]
        # The days' listings (read by a rerun) are one row each too.
        assert counts["folded listing entries"] > 2 * 100
        assert store.conn.execute("SELECT COUNT(*) FROM listing_entries").fetchone()[0] == 0
        again_counts = prune_store(store, 30, NOW, compact_after_days=90)
        assert again_counts["folded candidates"] == again_counts["folded listing entries"] == 0
    # Run PREV again from the stored listing: every verdict is in the folded row.
    again = _run("run", "--date", PREV, "--out", str(tmp_path / "again"), "--no-deliver")
    assert again.exit_code == 0, again.output
    assert llm.calls == paid
    assert (tmp_path / "again" / "2025-06" / f"{PREV}.md").read_text("utf-8") == before[PREV][0]


def _paper(n: int) -> Paper:
    return Paper(f"2506.{n:05d}", f"Paper {n}", f"The abstract of paper {n}.", ("Ada Lovelace",),
                 ("cs.LG",), 1)


def _day(store: Store, date: dt.date, papers: list[Paper]) -> int:
    upsert_papers(store, papers, listed_on=date.isoformat())
    run_id = start_run(store, "default", date, "llm", "gpt-4o", "h")
    record_outcomes(store, run_id, [(p.id, Outcome.JUDGED, None, False, None) for p in papers])
    finish_run(store, run_id, "done")
    return run_id


def test_a_paper_of_a_folded_run_listed_again_is_seen_before(
    store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(folding, "RANKER_LABEL_DAYS", 1)
    old, later = dt.date(2025, 5, 1), dt.date(2025, 9, 1)
    papers = [_paper(n) for n in range(3)]
    _day(store, old, [*papers, _paper(5)])
    _day(store, dt.date(2025, 8, 30), [_paper(9)])
    add_feedback(store, [_paper(5).id], 1, "cli", profile="default")  # a liked paper keeps its row
    assert prune_store(store, 30, NOW, compact_after_days=90)["folded candidates"] == 3
    assert store.conn.execute("SELECT COUNT(*) FROM run_candidates").fetchone()[0] == 2
    assert prune_store(store, 30, NOW, compact_after_days=90)["folded candidates"] == 0
    ids = [p.id for p in papers] + ["2509.00001"]
    assert papers_judged_before(store, "default", later, ids) == {p.id for p in papers}
    every = papers_judged_before(store, "default", later)  # every id, as `judge` and `fetch` ask
    assert every == {p.id for p in papers} | {_paper(5).id, _paper(9).id}
    assert papers_judged_before(store, "other", later, ids) == frozenset()
    assert papers_judged_before(store, "default", old, ids) == frozenset()


def test_folding_and_no_feature_cache_are_off_by_default_and_the_workflow_sets_them(
    tmp_path: Path, papersieve_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert folding.RANKER_LABEL_DAYS == training.LABEL_WINDOW_DAYS
    folder, env = run_step_env(tmp_path)
    assert load_profile(folder).settings.store.compact_after_days == 0
    assert load_profile(folder).settings.store.cache_features is True
    monkeypatch.setenv("PAPERSIEVE_COMPACT_AFTER_DAYS", env["PAPERSIEVE_COMPACT_AFTER_DAYS"])
    monkeypatch.setenv("PAPERSIEVE_CACHE_FEATURES", env["PAPERSIEVE_CACHE_FEATURES"])
    assert load_profile(folder).settings.store.fold_label_window is False
    monkeypatch.setenv("PAPERSIEVE_FOLD_LABEL_WINDOW", env["PAPERSIEVE_FOLD_LABEL_WINDOW"])
    assert load_profile(folder).settings.store.compact_after_days == 7
    assert load_profile(folder).settings.store.fold_label_window is True
    assert load_profile(folder).settings.store.cache_features is False


def test_db_vacuum_folds_by_the_profile_setting(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(folding, "RANKER_LABEL_DAYS", 1)
    folder = tmp_path / "p"
    assert _run("init", str(folder)).exit_code == 0
    (folder / "profile.toml").write_text("[store]\ncompact_after_days = 30\n", "utf-8")
    _day(store, dt.date(2020, 1, 2), [_paper(n) for n in range(3)])
    _day(store, dt.date(2020, 1, 3), [_paper(9)])
    result = _run("db", "--vacuum", "--profile", str(folder))
    assert result.exit_code == 0, result.output
    assert "Folded 3 unpicked candidates and 0 listing entries of days 30 or more days old" in result.stdout
    assert store.conn.execute("SELECT COUNT(*) FROM run_candidates").fetchone()[0] == 1


def test_runs_folded_inside_the_label_window_give_the_ranker_the_same_labels(
    tmp_path: Path, papersieve_home: Path, llm: FakeLLM,
) -> None:
    """`[store] fold_label_window` (the workflow's): the label window's rows are most of what a
    year's cached store keeps per candidate; folded, the ranker reads the same labels in the same
    order from the folded rows, and their papers keep the abstracts it computes features from."""
    for day in (PREV, DAY):
        result = _run("run", "--offline", str(DATA / "candidates"), "--date", day, "--out",
                      str(tmp_path / "site"), "--no-deliver")
        assert result.exit_code == 0, result.output
    profile = load_profile()
    with open_store() as store:
        runs = {str(r[0]): int(r[1]) for r in store.conn.execute("SELECT date, id FROM runs")}
        before = training.collect_labels(store, profile)
        digests = {day: render_json(load_digest(store, runs[day])) for day in (PREV, DAY)}
        assert before.llm_count > 200 and len(before.days) == 2
        counts = prune_store(store, 30, NOW, compact_after_days=90, keep_text_days=60,
                             cache_features=False, fold_label_window=True)
        assert counts["folded candidates"] > 400
        for day in (PREV, DAY):  # both days are in the label window, both folded
            assert _rows(store, runs[day])[0] == len(load_digest(store, runs[day]).picks)
            assert render_json(load_digest(store, runs[day])) == digests[day]
        after = training.collect_labels(store, profile)
        assert list(after.targets.items()) == list(before.targets.items())
        assert (after.days, after.picks, after.llm_count) == (before.days, before.picks, before.llm_count)
        # The next run's pruning (the text pruning comes before the folding) keeps their text.
        prune_store(store, 30, NOW, compact_after_days=90, keep_text_days=60, cache_features=False,
                    fold_label_window=True)
        emptied = {str(r[0]) for r in store.conn.execute("SELECT id FROM papers WHERE abstract = ''")}
        assert not emptied & set(after.targets)
        # Without the setting, the label window keeps its rows (the web app's history reads them).
        assert prune_store(store, 30, NOW, compact_after_days=90)["folded candidates"] == 0
