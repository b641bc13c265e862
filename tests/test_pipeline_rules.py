"""run_day on real offline days: pinned authors, keyword rules, cross-day dedup, judge choice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from papersieve.judges.factory import make_judge
from papersieve.judges.interface import Judge, JudgeResult, ProgressCallback
from papersieve.models import Judgement, Outcome, Paper
from papersieve.pipeline import run_day
from papersieve.profile import Profile, init_profile, load_profile
from papersieve.store import open_store
from papersieve.store.db import Store

REALWORLD = Path(__file__).resolve().parent.parent / "data" / "realworld"
DAY = dt.date(2025, 7, 3)


class TitleWordJudge(Judge):
    """A small real judge: relevance 9 when the title has "learning", else 2; novelty 7."""

    name = "titleword"

    @property
    def model(self) -> str:
        return "titleword-1"

    @property
    def prompt_hash(self) -> str:
        return "tw"

    def judge(self, papers: Sequence[Paper], run_id: int | None = None,
              progress: ProgressCallback | None = None) -> JudgeResult:
        return JudgeResult(tuple(
            Judgement(p.id, Outcome.JUDGED, self.name, self.model, self.prompt_hash,
                      9.0 if "learning" in p.title.lower() else 2.0, 7.0, "title word")
            for p in papers))


def profile_with(tmp_path: Path, toml: str = "", authors: str = "") -> Profile:
    folder = init_profile(tmp_path / "profile")
    (folder / "profile.toml").write_text('name = "me"\n' + toml, "utf-8")
    (folder / "authors.txt").write_text(authors, "utf-8")
    return load_profile(folder)


def outcomes(out: Path, day: dt.date = DAY) -> dict[str, dict[str, object]]:
    data = json.loads((out / f"{day:%Y-%m}" / f"{day}.json").read_text("utf-8"))
    return {c["id"]: c for c in data["candidates"]}


def run(store: Store, profile: Profile, out: Path, day: dt.date = DAY) -> None:
    report = run_day(store, profile, day, offline_dir=REALWORLD, out_dir=out, judge=TitleWordJudge())
    assert report.status == "done" and report.exit_code == 0


def test_pinned_authors_are_picked_first_with_the_judges_scores(tmp_path: Path) -> None:
    # Liu Ziyin wrote 2507.01681 (title without "learning"), written here with an accent.
    profile = profile_with(tmp_path, authors="# pinned\nLíu Zíyin\n")
    with open_store() as store:
        run(store, profile, tmp_path / "out")
        report = run_day(store, profile, DAY, offline_dir=REALWORLD, out_dir=tmp_path / "out",
                         judge=TitleWordJudge())
    assert report.digest is not None
    first = report.digest.picks[0]
    assert first.pinned and "Liu Ziyin" in first.paper.authors
    assert first.judgement.outcome is Outcome.PINNED_AUTHOR
    assert (first.judgement.relevance, first.judgement.novelty) == (2.0, 7.0)
    assert first.judgement.detail == "pinned author: Líu Zíyin"
    md = (tmp_path / "out" / "2025-07" / "2025-07-03.md").read_text("utf-8")
    assert "**Comment:** Pinned author: Líu Zíyin. title word" in md


def test_exclude_keywords_filter_before_judging_and_include_keywords_protect(tmp_path: Path) -> None:
    profile = profile_with(tmp_path, '[filters]\nexclude_keywords = ["reinforcement learning"]\n'
                                     'include_keywords = ["sparse autoencoder"]\n')
    with open_store() as store:
        run(store, profile, tmp_path / "out")
    found = outcomes(tmp_path / "out")
    filtered = [c for c in found.values() if c["outcome"] == "filtered_by_keyword"]
    assert filtered and all(c["detail"] == "exclude keyword: reinforcement learning" for c in filtered)
    assert all("reinforcement learning" in (str(c["title"]) + str(c["abstract"])).lower()
               for c in filtered)
    assert not any(c["picked"] for c in filtered)


def test_papers_judged_on_an_earlier_day_are_seen_before(tmp_path: Path) -> None:
    # The next day re-lists 20 papers of 2025-07-03 (as replacements are) beside 20 of 07-02.
    folder = tmp_path / "days"
    folder.mkdir()
    for name in ("arxiv-2025-07-03-cs.LG.jsonl", "arxiv-2025-07-03-cs.AI.jsonl"):
        (folder / name).write_bytes((REALWORLD / name).read_bytes())
    relisted = (REALWORLD / "arxiv-2025-07-03-cs.LG.jsonl").read_text("utf-8").splitlines()[:20]
    fresh = (REALWORLD / "arxiv-2025-07-02-cs.LG.jsonl").read_text("utf-8").splitlines()[:20]
    (folder / "arxiv-2025-07-04-cs.LG.jsonl").write_text("\n".join(relisted + fresh) + "\n", "utf-8")
    profile = profile_with(tmp_path, 'categories = ["cs.LG", "cs.AI"]\n')
    with open_store() as store:
        for day in (DAY, dt.date(2025, 7, 4)):
            report = run_day(store, profile, day, offline_dir=folder, out_dir=tmp_path / "out",
                             judge=TitleWordJudge())
            assert report.status == "done"
    nextday = outcomes(tmp_path / "out", dt.date(2025, 7, 4))
    seen = {i for i, c in nextday.items() if c["outcome"] == "seen_before"}
    assert seen == {json.loads(line)["id"] for line in relisted}
    assert all(not nextday[i]["picked"] for i in seen)
    assert len(nextday) == 40


def test_every_candidate_has_exactly_one_outcome_row(tmp_path: Path) -> None:
    profile = profile_with(tmp_path)
    with open_store() as store:
        run(store, profile, tmp_path / "out")
        rows = store.conn.execute("SELECT paper_id, outcome, judgement_id FROM run_candidates").fetchall()
    found = outcomes(tmp_path / "out")
    assert sorted(r["paper_id"] for r in rows) == sorted(found)
    assert all(r["judgement_id"] is not None for r in rows)


def test_without_a_key_the_llm_profile_falls_back_to_the_local_judge(tmp_path: Path) -> None:
    profile = profile_with(tmp_path)
    with open_store() as store:
        judge, notes = make_judge(profile, store)
    assert judge.name == "local"
    assert notes and notes[0].startswith("no API key is configured (set OPENAI_API_KEY): using the local")


def test_with_a_key_the_profile_gets_its_judge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
    with open_store() as store:
        llm, notes = make_judge(profile_with(tmp_path), store)
        hybrid, _ = make_judge(dataclasses.replace(
            profile_with(tmp_path / "h", '[judge]\nkind = "hybrid"\n')), store)
    assert (llm.name, notes, hybrid.name) == ("llm", [], "hybrid")
