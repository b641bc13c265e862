"""The hybrid judge: sends everything without history, then only the ranker's share plus pins."""

from __future__ import annotations

from pathlib import Path

from papersieve.eval.labels import LabelBook, load_days
from papersieve.eval.replay import LabelLLM, _record_day, label_judgement
from papersieve.judges.exploration import EXPLORE_FAR, EXPLORE_NEAR, explore_rate, explored
from papersieve.judges.hybrid import MIN_SHARE, HybridJudge, share_to_send
from papersieve.judges.local import retrain
from papersieve.models import Outcome
from papersieve.profile.loader import init_profile, load_profile
from papersieve.store import open_store
from papersieve.store.papers import upsert_papers
from tests.conftest import DATA
from tests.pgschemas import store_at

LABELS = DATA / "labels" / "gpt4o-picks-dev.jsonl"


def test_share_from_recent_agreement() -> None:
    assert share_to_send({"2025-06-01": [0.1]}, 0.95) is None
    history = {f"2025-06-0{i}": [0.05 * k for k in range(1, 5)] for i in range(1, 5)}
    share = share_to_send(history, 0.95)
    # Every pick lay in the top 20%: sending through the last one reaches recall 1.
    assert share is not None and abs(share - 0.20) < 1e-6
    low = share_to_send({f"d{i}": [0.95] for i in range(5)}, 0.95)
    assert low is not None and 0.95 < low < 0.951


def test_share_bound_is_conservative_and_explored_picks_weigh_more() -> None:
    # 100 picks spread evenly over the top 30%: the plain 95% quantile is 0.285, the 90% lower
    # bound on recall asks for more of them.
    even = {f"d{i}": [0.003 * (10 * i + k) for k in range(10)] for i in range(10)}
    share = share_to_send(even, 0.95)
    assert share is not None and 0.285 < share <= 0.3
    # The same days with one pick found by exploration far down the ranking (weight 8): the
    # estimated recall above 0.7 drops below 95%, so the share covers it.
    explored_day = {**even, "d9": [*even["d9"], [0.7, 8.0]]}
    wider = share_to_send(explored_day, 0.95)
    assert wider is not None and abs(wider - 0.7) < 1e-6
    assert share_to_send({f"d{i}": [0.01] for i in range(5)}, 0.95) == MIN_SHARE


def test_exploration_is_a_fixed_share_of_ids_independent_of_rank() -> None:
    ids = [f"2506.{n:05d}" for n in range(20_000)]
    near = sum(explored(i, explore_rate(0.41, 0.4)) for i in ids) / len(ids)
    far = sum(explored(i, explore_rate(0.8, 0.4)) for i in ids) / len(ids)
    assert abs(near - EXPLORE_NEAR) < 0.01 and abs(far - EXPLORE_FAR) < 0.005
    assert [explored(i, 0.25) for i in ids[:50]] == [explored(i, 0.25) for i in ids[:50]]


def test_hybrid_holds_back_clear_rejects_once_it_has_history(tmp_path: Path) -> None:
    folder = init_profile(tmp_path / "profile")
    days = load_days(DATA / "candidates")[:6]
    target = days[5][1]
    pinned_paper = target[-1]
    (folder / "authors.txt").write_text(pinned_paper.authors[0] + "\n")
    profile = load_profile(folder)
    store = open_store(store_at(tmp_path / "h.db"))
    book = LabelBook(LABELS)
    first = HybridJudge(profile, store, LabelLLM(book.reveal(days[0][0])))
    result = first.judge(days[0][1])
    assert all(j.outcome is Outcome.JUDGED for j in result.judgements)
    assert any("every candidate was sent" in n for n in result.notes)
    for date, papers in days[:5]:
        labels = book.reveal(date)
        upsert_papers(store, papers, listed_on=date.isoformat())
        _record_day(store, profile, date, papers, [label_judgement(p.id, labels.get(p.id)) for p in papers])
        retrain(store, profile)
    llm = LabelLLM(book.reveal(days[5][0]))
    upsert_papers(store, target)
    # The profile promises that a paper matching an include keyword is always sent to the judge:
    # take one the ranker would hold back and name it in include_keywords.
    included_paper = HybridJudge(profile, store, llm).plan(target)[1][0]
    profile = load_profile(folder, {"filters.include_keywords": [included_paper.title]})
    result = HybridJudge(profile, store, llm).judge(target)
    assert len(result.judgements) == len(target)
    assert {j.paper_id for j in result.judgements} == {p.id for p in target}
    skipped = [j for j in result.judgements if j.outcome is Outcome.SKIPPED_LOCAL]
    assert 0 < len(skipped) < len(target)
    assert set(llm.seen).isdisjoint(j.paper_id for j in skipped)
    assert pinned_paper.id in llm.seen
    assert included_paper.id in llm.seen
    assert all(j.detail.startswith("local score") and j.relevance is not None for j in skipped)
    assert any(n.startswith("hybrid: sent") for n in result.notes)
    picks = set(llm.labels) & {p.id for p in target}
    assert len(picks & set(llm.seen)) / len(picks) >= 0.8

