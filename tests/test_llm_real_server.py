"""The `llm` judge end to end against a real OpenAI-compatible server: llama-cpp-python's server
with SmolLM2-135M-Instruct on CPU (../shared/tools/llama-server/serve, beside the repository).

The server is the one at PAPERSIEVE_TEST_LLM_URL (.ci/run starts one), else one these tests start
with the script on PAPERSIEVE_TEST_LLM_PORT (default 18093) and stop afterwards; where the script
is absent (a user's clone) the tests skip. No model name is set: the run must find the server's
own, claim no dollars, judge every paper, and make no call on a rerun. 8 papers keep them to a
couple of minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.store import open_store
from tests.conftest import REPO

# One worker runs them all (make test's --dist loadgroup): they share the server and its port.
pytestmark = [pytest.mark.real_llm, pytest.mark.xdist_group("real_llm_server")]

SERVE = REPO.parent / "shared" / "tools" / "llama-server" / "serve"
DAY = "2025-07-02"
PAPERS = 8


@pytest.fixture(scope="module")
def real_llm_url() -> Iterator[str]:
    given = os.environ.get("PAPERSIEVE_TEST_LLM_URL")
    if given:
        yield given
        return
    if not SERVE.is_file():
        pytest.skip(f"no real LLM server here: {SERVE} is absent")
    port = os.environ.get("PAPERSIEVE_TEST_LLM_PORT", "18093")
    subprocess.run([str(SERVE), "--port", port], check=True, capture_output=True, timeout=900)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        subprocess.run([str(SERVE), "--stop", "--port", port], check=False, timeout=60)


@pytest.fixture
def day_dir(tmp_path: Path) -> Path:
    """The first 8 candidates of 2025-07-02 (data/candidates) as an offline day."""
    folder = tmp_path / "day"
    folder.mkdir()
    source = REPO / "data" / "candidates" / f"arxiv-{DAY}-cs.LG+cs.AI.jsonl"
    lines = source.read_text("utf-8").splitlines()[:PAPERS]
    (folder / source.name).write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def calls(home: Path) -> int:
    # The default store of the test (its SQLite file under `home`, or its PostgreSQL schema
    # under PAPERSIEVE_TEST_DB).
    with open_store() as store:
        return int(store.conn.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0])


def judge_day(url: str, day_dir: Path, out: Path, home: Path, monkeypatch: pytest.MonkeyPatch,
              *flags: str) -> dict[str, object]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    args = ("run", "--offline", str(day_dir), "--date", DAY, "--no-deliver", "--out", str(out), *flags)
    first = run(*args)
    assert first.exit_code == 0, first.output
    made = calls(home)
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert calls(home) == made > 0  # the rerun made no call
    data: dict[str, object] = json.loads((out / "2025-07" / f"{DAY}.json").read_text("utf-8"))
    assert data["model"] == "smollm2-135m"
    usage = data["usage"]
    assert isinstance(usage, dict) and usage["prompt_tokens"] > 0 and usage.get("cost") is None
    assert "$" not in first.stdout.split("cost ", 1)[1].split(";", 1)[0]
    return data


@pytest.mark.timeout(900)
def test_eight_papers_without_the_title_stage_are_all_judged(
        real_llm_url: str, day_dir: Path, tmp_path: Path, papersieve_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = judge_day(real_llm_url, day_dir, tmp_path / "out", papersieve_home, monkeypatch,
                     "--no-title-stage")
    candidates = data["candidates"]
    assert isinstance(candidates, list) and len(candidates) == PAPERS
    assert {c["outcome"] for c in candidates} == {"judged"}


@pytest.mark.timeout(900)
def test_eight_papers_with_the_title_stage_all_get_a_verdict(
        real_llm_url: str, day_dir: Path, tmp_path: Path, papersieve_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = judge_day(real_llm_url, day_dir, tmp_path / "out", papersieve_home, monkeypatch)
    candidates = data["candidates"]
    assert isinstance(candidates, list) and len(candidates) == PAPERS
    assert {c["outcome"] for c in candidates} <= {"judged", "filtered_by_title"}


@pytest.mark.timeout(900)
def test_chinese_comments_and_tldrs_from_the_real_model_leave_every_output_valid(
        real_llm_url: str, day_dir: Path, tmp_path: Path, papersieve_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever SmolLM2-135M writes (it knows little Chinese): every paper judged, every output
    # parses, the comments carry lang="zh", TL;DRs are at most 30 words.
    from papersieve.deliver.email import build_message
    from papersieve.deliver.slack import header_message, thread_messages
    from papersieve.digests import load_digest
    from papersieve.profile import init_profile
    from papersieve.profile.settings import EmailSettings
    from papersieve.store import open_store
    from papersieve.tldr import MAX_WORDS, cut_words
    from tests.language_outputs import check_atom, html_lang_elements

    profile = tmp_path / "profile"
    init_profile(profile, force=True)
    (profile / "profile.toml").write_text(
        '[judge]\ntitle_stage = false\n[outputs]\ntldr = true\nlanguage = "zh"\n', "utf-8")
    out = tmp_path / "out"
    data = judge_day(real_llm_url, day_dir, out, papersieve_home, monkeypatch,
                     "--profile", str(profile))
    candidates = data["candidates"]
    assert isinstance(candidates, list) and {c["outcome"] for c in candidates} == {"judged"}
    assert {c.get("language") for c in candidates} == {"zh"}
    for c in candidates:
        assert cut_words(c.get("tldr", ""), MAX_WORDS) == c.get("tldr", "")
    markdown = (out / "2025-07" / f"{DAY}.md").read_text("utf-8")
    assert markdown.startswith(f"# Personalized Daily ArXiv Papers {DAY}\n") and "TL;DR" not in markdown
    html = (out / "2025-07" / f"{DAY}.html").read_text("utf-8")
    langs = html_lang_elements(html)
    picked = [c for c in candidates if c["picked"]]
    assert sum(1 for _, attrs, _ in langs if attrs["lang"] == "zh") == (
        sum(1 for c in picked if c["comment"]) + sum(1 for c in picked if c.get("tldr")))
    check_atom(out / "feed.atom", "zh", [])
    with open_store() as store:
        run_id = store.conn.execute("SELECT MAX(id) FROM runs").fetchone()[0]
        digest = load_digest(store, run_id)
    mail = build_message(digest, EmailSettings(sender="p@example.org", to=("me@example.org",)))
    mail.as_bytes().split(b"\n\n", 1)[0].decode("ascii")
    for message in [header_message(digest), *thread_messages(digest)]:
        json.loads(json.dumps(message.payload(), ensure_ascii=False))


@pytest.mark.timeout(1200)
def test_a_group_of_two_llm_profiles_on_the_real_server_judges_each_paper_once_per_profile(
        real_llm_url: str, day_dir: Path, tmp_path: Path, papersieve_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`run --all` through the LLM crowd (one share of the server for both profiles) against the
    real server: every paper judged for each profile, each profile's prompt its own, and a rerun
    of the day makes no call."""
    from tests.test_group_run import add_profile

    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    monkeypatch.delenv("PAPERSIEVE_JUDGE", raising=False)
    judge = (f'[judge]\nkind = "llm"\nbase_url = "{real_llm_url}"\nmodel = "smollm2-135m"\n'
             "title_stage = false\ncost_cap = 0\n")
    topics = {"ann": "1. Large language model agents\n", "ben": "1. Reinforcement learning theory\n"}
    for name, text in topics.items():
        add_profile(tmp_path, name, ["cs.LG", "cs.AI"], text, judge)
    args = ("run", "--all", "--offline", str(day_dir), "--date", DAY, "--no-deliver",
            "--out", str(tmp_path / "out"))
    first = run(*args)
    assert first.exit_code == 0, first.output
    made = calls(papersieve_home)
    assert made > 0
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert calls(papersieve_home) == made  # the rerun made no call
    with open_store() as store:
        answered = store.conn.execute("SELECT r.profile, c.paper_ids FROM llm_calls c"
                                      " JOIN runs r ON r.id = c.run_id WHERE c.status = 'ok'").fetchall()
    for name in topics:
        data = json.loads((tmp_path / "out" / name / "2025-07" / f"{DAY}.json").read_text("utf-8"))
        assert data["model"] == "smollm2-135m"
        assert [c["outcome"] for c in data["candidates"]] == ["judged"] * PAPERS, name
        sent = [paper for row in answered if row["profile"] == name
                for paper in json.loads(row["paper_ids"])]
        assert sorted(set(sent)) == sorted(c["id"] for c in data["candidates"]), name
