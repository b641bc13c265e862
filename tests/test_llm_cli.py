"""`papersieve judge` end to end: a stored real day, a loopback model, the summary printed."""

from __future__ import annotations

import datetime as dt

import pytest

from papersieve.cli.main import main
from papersieve.sources.jsonl import listings_from_file
from papersieve.store import open_store
from papersieve.store.listings import save_listing
from tests.llm_helpers import DATA, priced_like_openai
from tests.servers.llm_server import FakeLLM

DAY = dt.date(2025, 7, 2)


@pytest.fixture
def stored_day() -> None:
    with open_store() as store:
        for category in ("LG", "AI"):
            for listing in listings_from_file(DATA / "realworld" / f"arxiv-2025-07-02-cs.{category}.jsonl"):
                save_listing(store, listing, DAY)


def test_judge_command_on_a_stored_day(
    stored_day: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    priced_like_openai()
    with FakeLLM() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        main(["judge", "--date", "2025-07-02", "--no-title-stage"])
        first = capsys.readouterr().out.splitlines()
        calls = server.calls
        main(["judge"])  # the newest stored day, from the cache
        second = capsys.readouterr().out.splitlines()
    assert first[0] == "2025-07-02: 244 candidates judged, 21 picked"
    assert first[1] == "Outcomes: judged 244"
    assert first[2].startswith(f"LLM calls: {calls}; tokens: ")
    assert {s.stage for s in server.log} == {"abstract"} and calls == 244 // 16 + 1
    assert first[3].startswith("  1. [R") and len(first) == 3 + 21
    assert second[0] == first[0] and second[3:] == first[3:]
    assert second[2] == "LLM calls: 0; tokens: 0 prompt (0 cached) + 0 completion; cost: $0.0000"
    with open_store() as store:
        runs = store.conn.execute("SELECT status, relevant, prompt_tokens FROM runs ORDER BY id").fetchall()
        assert [(r[0], r[1]) for r in runs] == [("judged", 21), ("judged", 21)]
        assert runs[0][2] > 0 and runs[1][2] == 0
        picked = store.conn.execute("SELECT COUNT(*) FROM run_candidates WHERE picked = 1").fetchone()[0]
        assert picked == 42


def test_judge_command_without_a_key_is_one_line(
    stored_day: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["judge", "--date", "2025-07-02"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: no API key: set OPENAI_API_KEY (any value for a local server)\n"


def test_judge_command_without_a_stored_day(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["judge", "--date", "2025-07-05"])
    assert capsys.readouterr().err == (
        "error: no stored listing for 2025-07-05: run `papersieve fetch --date 2025-07-05` first\n")
