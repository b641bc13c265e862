"""The local judge on real candidates: cold start, learning from the store, persistence, comments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from papersieve.eval.labels import LabelBook, load_days
from papersieve.eval.metrics import day_metrics
from papersieve.judges.local import LocalJudge, retrain
from papersieve.judges.local.model.persist import load_model
from papersieve.judges.local.text.topics import parse_topics
from papersieve.models import Outcome, Paper
from papersieve.profile.loader import Profile, load_profile
from papersieve.store import open_store
from papersieve.store.db import Store
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA
from tests.labelled_history import record_llm_day
from tests.pgschemas import store_at

CANDIDATES = DATA / "candidates"
LABELS = DATA / "labels" / "gpt4o-picks-dev.jsonl"


@pytest.fixture(scope="module")
def days() -> list[tuple[dt.date, list[Paper]]]:
    return load_days(CANDIDATES)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return open_store(store_at(tmp_path / "t.db"))


def _picks(date: dt.date) -> set[str]:
    return set(LabelBook(LABELS).reveal(date))


def test_topics_parser_reads_the_default_profile() -> None:
    terms = parse_topics(load_profile().prompts.topics)
    assert [t.name for t in terms.topics][:3] == ["Representation Learning", "Model Architecture",
                                                   "Model Compression"]
    kinds = {t.text.lower(): t.kind for t in terms.terms}
    assert kinds["quantization"] == "relevant"
    assert kinds["federated learning"] == "irrelevant"
    assert kinds["medical imaging"] == "application"


def test_cold_start_judges_every_paper_without_novelty(days: list, store: Store) -> None:
    date, papers = days[0]
    result = LocalJudge(load_profile(), store).judge(papers)
    assert len(result.judgements) == len(papers)
    assert {j.paper_id for j in result.judgements} == {p.id for p in papers}
    assert all(j.outcome is Outcome.JUDGED and j.novelty is None for j in result.judgements)
    assert all(1 <= (j.relevance or 0) <= 10 for j in result.judgements)
    assert result.judgements[0].model == "local-tfidf-v0"
    assert any("no labelled history" in n for n in result.notes)
    passing = sum((j.relevance or 0) >= 8 for j in result.judgements) / len(papers)
    assert 0.04 <= passing <= 0.12
    scores = {j.paper_id: float(j.detail.split()[-1]) for j in result.judgements}
    metrics = day_metrics(scores, [p.id for p in papers], _picks(date))
    assert (metrics["auc"] or 0) > 0.75
    # One sentence a researcher would write, no debug text.
    assert all(j.comment.endswith(".") and j.comment.count(". ") == 0 and "Local ranker" not in j.comment
               and "(0." not in j.comment for j in result.judgements)


def test_comment_names_the_terms_that_drove_the_score(store: Store) -> None:
    paper = Paper("2501.00001", "Quantization of Mixture-of-Experts language models",
                  "We study low-rank quantization for sparse MoE models.", ("A B",), ("cs.LG",))
    judgement = LocalJudge(load_profile(), store).judge([paper]).judgements[0]
    assert judgement.comment.startswith('Matches your topic "Model Compression" ("quantization"')


def test_comment_names_the_nearest_topic_when_no_key_phrase_matched(store: Store) -> None:
    # No topic keyword appears, but the text is about how networks encode information.
    paper = Paper("2501.00002", "What do hidden units of deep networks encode?",
                  "We probe what the hidden units of deep networks encode about their inputs,"
                  " and how these encodings change as the networks learn.", ("A B",), ("cs.LG",))
    comment = LocalJudge(load_profile(), store).judge([paper]).judgements[0].comment
    assert comment == ('Close in meaning to your topic "Representation Learning", without its key'
                       ' phrases.')


def test_learning_from_past_llm_days_improves_and_is_versioned(days: list, store: Store) -> None:
    profile = load_profile()
    for date, papers in days[:4]:
        record_llm_day(store, date, papers, _picks(date))
    report = retrain(store, profile)
    assert report.version == 1 and report.changed
    assert report.days == 4 and report.positives == sum(len(_picks(d) & {p.id for p in ps})
                                                         for d, ps in days[:4])
    assert retrain(store, profile).changed is False
    stored = load_model(store, "default")
    assert stored is not None and stored.model is not None and stored.version == 1
    date, papers = days[5]
    judge = LocalJudge(profile, store)
    result = judge.judge(papers)
    assert judge.model == "local-tfidf-v1"
    scores = {j.paper_id: float(j.detail.split()[-1]) for j in result.judgements}
    learned = day_metrics(scores, [p.id for p in papers], _picks(date))
    assert (learned["auc"] or 0) > 0.85
    assert any("what you and the LLM picked before" in j.comment for j in result.judgements)


def test_feedback_likes_train_and_name_the_closest_liked_paper(days: list, store: Store) -> None:
    from papersieve.feedback import record_feedback

    profile = load_profile()
    date, papers = days[1]
    upsert_papers(store, papers)
    liked = sorted(_picks(date))[:5]
    result = record_feedback(store, liked, 1, "cli", profile)
    assert result.train is not None and result.train.feedback_labels == 5
    same = [p for p in papers if p.id == liked[0]]
    twin = Paper("2512.90001", same[0].title, same[0].abstract, same[0].authors, same[0].categories)
    # Likes alone fit a model against the newest stored papers as weak negatives (as
    # arxiv-sanity does for a tag): they move scores, so the closest liked paper is named.
    assert f'"{same[0].title}", a paper you liked' in \
        LocalJudge(profile, store).judge([twin]).judgements[0].comment
    disliked = sorted({p.id for p in papers} - _picks(date))[:5]
    record_feedback(store, disliked, -1, "cli", profile)
    comment = LocalJudge(profile, store).judge(same).judgements[0].comment
    assert "you liked" not in comment  # a paper is not its own neighbour
    comment = LocalJudge(profile, store).judge([twin]).judgements[0].comment
    assert f'"{same[0].title}", a paper you liked' in comment


def test_models_are_plain_arrays_in_the_store(days: list, store: Store) -> None:
    date, papers = days[2]
    record_llm_day(store, date, papers, _picks(date))
    retrain(store, load_profile())
    row = store.conn.execute("SELECT method, version, meta, blob FROM local_models").fetchone()
    assert row["method"] == "tfidf" and row["version"] == 1
    meta = json.loads(row["meta"])
    assert meta["days"] == [date.isoformat()] and 0 < meta["pick_rate"] < 0.3
    assert bytes(row["blob"])[:2] == b"PK"  # an npz (zip) archive, never a pickle


def test_profile_without_structure_still_ranks(store: Store, tmp_path: Path) -> None:
    from papersieve.profile.loader import init_profile

    folder = init_profile(tmp_path / "p")
    (folder / "topics.txt").write_text("Graph neural networks and message passing.\n")
    profile: Profile = load_profile(folder)
    hit = Paper("2501.1", "Message passing graph neural networks", "A new GNN.", ("A",), ("cs.LG",))
    miss = Paper("2501.2", "Crop yield forecasting", "We forecast crops.", ("B",), ("cs.LG",))
    result = LocalJudge(profile, store).judge([hit, miss])
    by_id = {j.paper_id: j.relevance or 0 for j in result.judgements}
    assert by_id["2501.1"] > by_id["2501.2"]
