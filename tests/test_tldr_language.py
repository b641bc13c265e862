"""`[outputs] tldr` and `language` end to end: a scripted model answers in Chinese, Japanese and
Arabic with a TLDR per paper; every output (Markdown, HTML, email, Slack, Atom, JSON, web app)
carries the text whole, in its language, right to left where the script is."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from papersieve.cli.main import main
from papersieve.store import open_store
from papersieve.web.app import create_app
from tests.conftest import REPO
from tests.language_outputs import check_atom, check_email, check_html, check_slack
from tests.servers.llm_server import CallInfo, FakeLLM
from tests.servers.slack_server import FakeSlack
from tests.servers.smtp_server import SmtpServer

DAY = "2025-07-02"
PAPERS = 6
ANSWERS = {
    "zh": ("该论文提出一种新的训练方法，与标准二密切相关。",
           "提出一种高效的训练方法，并在图像生成上取得更好的效果。"),
    "ja": ("この論文は基準二に関連する新しい手法を提案している。",
           "拡散モデルの効率的な学習法を提案し、画像生成の品質を向上させた。"),
    "ar": ("تقترح الورقة طريقة جديدة للتدريب وترتبط بالمعيار الثاني.",
           "تقترح طريقة فعالة لتدريب النماذج وتحسن جودة توليد الصور."),
}


@dataclass
class Day:
    out: Path
    profile: Path
    llm: FakeLLM
    slack: FakeSlack
    smtp: SmtpServer


def write_profile(folder: Path, smtp_port: int, outputs: str) -> Path:
    from papersieve.profile import init_profile

    folder.mkdir()
    init_profile(folder, force=True)
    (folder / "profile.toml").write_text(f"""
name = "me"
[judge]
concurrency = 2
calls_per_minute = 10000
title_stage = false
[outputs]
{outputs}
[deliver.slack]
enabled = true
[deliver.email]
enabled = true
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "papersieve@example.org"
to = ["me@example.org"]
""", "utf-8")
    return folder


def offline_day(tmp_path: Path) -> Path:
    folder = tmp_path / "day"
    folder.mkdir()
    source = REPO / "data" / "candidates" / f"arxiv-{DAY}-cs.LG+cs.AI.jsonl"
    lines = source.read_text("utf-8").splitlines()[:PAPERS]
    (folder / source.name).write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def answering(language: str, tldr: bool = True) -> object:
    comment, summary = ANSWERS.get(language, ("Matches criterion 2.", "Proposes a method."))

    def script(info: CallInfo) -> str:
        rows = [{"ARXIVID": i, "COMMENT": comment, **({"TLDR": summary} if tldr else {}),
                 "RELEVANCE": 9, "NOVELTY": 8} for i in info.ids]
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    return script


def run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeSlack, SmtpServer]]:
    with FakeSlack() as slack, SmtpServer() as smtp:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback")
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        yield slack, smtp


def run_day(tmp_path: Path, servers: tuple[FakeSlack, SmtpServer], monkeypatch: pytest.MonkeyPatch,
            outputs: str, language: str, tldr: bool = True) -> Day:
    slack, smtp = servers
    profile = write_profile(tmp_path / "profile", smtp.port, outputs)
    out = tmp_path / "out"
    with FakeLLM(script=answering(language, tldr), models=("gpt-4o",)) as llm:  # type: ignore[arg-type]
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
        result = run("run", "--profile", str(profile), "--offline", str(offline_day(tmp_path)),
                     "--date", DAY, "--out", str(out))
    assert result.exit_code == 0, result.output
    return Day(out, profile, llm, slack, smtp)


def day_json(day: Day) -> dict[str, object]:
    data: dict[str, object] = json.loads((day.out / "2025-07" / f"{DAY}.json").read_text("utf-8"))
    return data


@pytest.mark.parametrize("language", ["zh", "ja", "ar"])
def test_comments_and_tldrs_in_the_language_reach_every_output(
        tmp_path: Path, servers: tuple[FakeSlack, SmtpServer], monkeypatch: pytest.MonkeyPatch,
        language: str) -> None:
    comment, tldr = ANSWERS[language]
    day = run_day(tmp_path, servers, monkeypatch, f'tldr = true\nlanguage = "{language}"', language)
    user = day.llm.log[0].user
    assert "- TLDR: at most 30 words saying what the paper does and what it finds" in user
    name = {"zh": "Chinese", "ja": "Japanese", "ar": "Arabic"}[language]
    assert f"- Write COMMENT and TLDR in {name} (BCP 47 language tag {language})." in user
    schema = day.llm.bodies[0]["response_format"]["json_schema"]["schema"]
    verdict = next(iter(schema["properties"].values()))
    assert verdict["required"] == ["COMMENT", "TLDR", "RELEVANCE", "NOVELTY"]

    data = day_json(day)
    picks = [c for c in data["candidates"] if c["picked"]]  # type: ignore[union-attr]
    assert len(picks) == PAPERS
    assert all((c["comment"], c["tldr"], c["tldr_kind"], c["language"])
               == (comment, tldr, "llm", language) for c in picks)
    markdown = (day.out / "2025-07" / f"{DAY}.md").read_text("utf-8")
    assert f"**Comment:** {comment}\n" in markdown and "TL;DR" not in markdown
    assert "# Personalized Daily ArXiv Papers 2025-07-02\n" in markdown
    html = (day.out / "2025-07" / f"{DAY}.html").read_text("utf-8")
    check_html(html, language, [comment, tldr])
    assert html.count(f'lang="{language}"') == 2 * PAPERS
    check_atom(day.out / "feed.atom", language, [comment, tldr])
    [mail] = day.smtp.handler.messages
    check_email(mail, [comment, tldr], language)
    assert mail["Subject"] == f"papersieve: {PAPERS} papers for {DAY}"
    check_slack([r.body for r in day.slack.received], [comment, tldr])
    with TestClient(create_app(None, token=""), base_url="http://127.0.0.1:8000") as client:
        page = client.get("/").text
    check_html(page, language, [comment, tldr])


def test_the_arabic_comment_and_tldr_are_right_to_left_in_the_html(
        tmp_path: Path, servers: tuple[FakeSlack, SmtpServer], monkeypatch: pytest.MonkeyPatch) -> None:
    comment, tldr = ANSWERS["ar"]
    day = run_day(tmp_path, servers, monkeypatch, 'tldr = true\nlanguage = "ar"', "ar")
    html = (day.out / "2025-07" / f"{DAY}.html").read_text("utf-8")
    assert f'<p lang="ar" dir="rtl">{comment}</p>' in html
    assert f'<b>TL;DR:</b> <span lang="ar" dir="rtl">{tldr}</span>' in html


def test_tldr_in_markdown_adds_one_line_per_paper_and_nothing_else(
        tmp_path: Path, servers: tuple[FakeSlack, SmtpServer], monkeypatch: pytest.MonkeyPatch) -> None:
    day = run_day(tmp_path, servers, monkeypatch, 'tldr = true\ntldr_in_markdown = true', "en")
    markdown = (day.out / "2025-07" / f"{DAY}.md").read_text("utf-8")
    lines = [line for line in markdown.splitlines() if "TL;DR" in line]
    assert lines == ["**TL;DR:** Proposes a method."] * PAPERS
    without = re.sub(r"\*\*TL;DR:\*\* Proposes a method\.\n\n", "", markdown)
    assert "**Abstract:**" in without and without.count("**Comment:** Matches criterion 2.") == PAPERS


def test_a_reply_without_tldrs_is_no_failure(
        tmp_path: Path, servers: tuple[FakeSlack, SmtpServer], monkeypatch: pytest.MonkeyPatch) -> None:
    day = run_day(tmp_path, servers, monkeypatch, "tldr = true", "en", tldr=False)
    data = day_json(day)
    candidates = data["candidates"]
    assert isinstance(candidates, list)
    assert {c["outcome"] for c in candidates} == {"judged"} and day.llm.calls == PAPERS // 4 + 1
    assert all("tldr" not in c for c in candidates)
    html = (day.out / "2025-07" / f"{DAY}.html").read_text("utf-8")
    assert "TL;DR" not in html


def test_a_rerun_with_tldr_turned_on_asks_again_but_not_the_title_stage(
        tmp_path: Path, servers: tuple[FakeSlack, SmtpServer], monkeypatch: pytest.MonkeyPatch) -> None:
    from papersieve.judges.llm.judge import LLMJudge
    from papersieve.profile import load_profile

    with open_store() as store:
        plain = LLMJudge(load_profile(None, {"judge.model": "m"}), store, api_key="k")
        asked = LLMJudge(load_profile(None, {"judge.model": "m", "outputs.tldr": True,
                                             "outputs.language": "zh"}), store, api_key="k")
        assert plain.prompts == load_profile(None).prompts  # off: the profile's prompt, unchanged
        assert plain.stage_hash("abstract") != asked.stage_hash("abstract")
        assert plain.stage_hash("title") == asked.stage_hash("title")
