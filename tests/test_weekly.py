"""The weekly digest: `[schedule] frequency = "weekly"` and `papersieve digest --week`, over real
labelled days (data/candidates) judged by the local judge, delivered to the loopback Slack and
SMTP server on the chosen weekday only."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.judges.local.text.topics import parse_topics
from papersieve.models import Judgement, Outcome, Paper, Pick
from papersieve.profile import init_profile, load_profile
from papersieve.weekly import OTHER, assign_topic, topic_named_in
from tests.conftest import DATA
from tests.servers.slack_server import FakeSlack
from tests.servers.smtp_server import SmtpServer

DAYS = ("2025-05-27", "2025-05-28", "2025-05-29", "2025-05-30")  # Tuesday to Friday


def run(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


WEEKLY = """
[schedule]
frequency = "weekly"
weekday = "friday"

[deliver.slack]
enabled = true

[deliver.email]
enabled = true
host = "127.0.0.1"
port = {port}
security = "none"
sender = "p@example.org"
to = ["me@example.org"]
"""


@pytest.fixture
def weekly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, FakeSlack, SmtpServer]]:
    """A local-judge profile named "weekly", delivered on Fridays to the loopback Slack and SMTP."""
    folder = tmp_path / "profile"
    folder.mkdir()
    init_profile(folder, force=True)
    with FakeSlack() as slack, SmtpServer() as smtp:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        text = (folder / "profile.toml").read_text("utf-8")
        text = text.replace('name = "default"', 'name = "weekly"').replace('kind = "llm"', 'kind = "local"')
        text = without_tables(text, ("[deliver", "[schedule]")) + WEEKLY.format(port=smtp.port)
        (folder / "profile.toml").write_text(text, "utf-8")
        yield folder, slack, smtp


def without_tables(text: str, prefix: tuple[str, ...]) -> str:
    """The TOML text without the tables whose header starts with one of `prefix`."""
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.startswith(prefix)
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def test_daily_runs_deliver_nothing_and_friday_sends_the_week_by_topic(
        weekly: tuple[Path, FakeSlack, SmtpServer], tmp_path: Path) -> None:
    folder, slack, smtp = weekly
    out = tmp_path / "out"
    for day in DAYS[:-1]:
        result = run("run", "--profile", str(folder), "--offline", str(DATA / "candidates"),
                     "--date", day, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert "Delivery slack" not in result.stdout and "Delivery weekly" not in result.stdout
    assert slack.received == [] and smtp.handler.messages == []
    friday = run("run", "--profile", str(folder), "--offline", str(DATA / "candidates"),
                 "--date", DAYS[-1], "--out", str(out))
    assert friday.exit_code == 0, friday.output
    assert "Delivery weekly slack: ok" in friday.stdout and "Delivery weekly email: ok" in friday.stdout
    week = json.loads((out / "weekly" / "2025-05-30.json").read_text("utf-8"))
    assert week["days"] == list(DAYS) and week["start"] == "2025-05-24"
    topics = [t.name for t in parse_topics(load_profile(folder).prompts.topics).topics]
    headings = [s["topic"] for s in week["sections"]]
    assert headings == [t for t in [*topics, OTHER] if t in headings]  # the profile's own order
    ids = [p["id"] for s in week["sections"] for p in s["papers"]]
    daily = set()
    for day in DAYS:
        daily |= set(json.loads((out / day[:7] / f"{day}.json").read_text("utf-8"))["picks"])
    assert sorted(ids) == sorted(daily)  # every pick of the week, each once
    [message] = smtp.handler.messages
    assert message["Subject"] == "Weekly digest weekly, 2025-05-24 to 2025-05-30"
    body = message.get_content()
    for heading in headings:
        assert f"\n## {heading} (" in body
    assert slack.received[0].body["text"].startswith("*Weekly digest weekly, 2025-05-24 to 2025-05-30*")


def test_digest_week_from_the_command_line(weekly: tuple[Path, FakeSlack, SmtpServer],
                                           tmp_path: Path) -> None:
    folder, slack, _ = weekly
    for day in DAYS[:2]:
        assert run("run", "--profile", str(folder), "--offline", str(DATA / "candidates"),
                   "--date", day, "--out", str(tmp_path / "o")).exit_code == 0
    result = run("digest", "--week", "--end", "2025-05-29", "--profile", str(folder),
                 "--out", str(tmp_path / "w"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Week 2025-05-23 to 2025-05-29 · profile weekly · ")
    markdown = (tmp_path / "w" / "weekly" / "2025-05-29.md").read_text("utf-8")
    assert markdown.startswith("# Weekly digest weekly, 2025-05-23 to 2025-05-29\n")
    assert slack.received == []  # written, not sent, without --send
    assert run("digest", "--profile", str(folder)).exit_code == 2


def test_the_week_shows_each_picks_tldr(weekly: tuple[Path, FakeSlack, SmtpServer], tmp_path: Path) -> None:
    folder, _, _ = weekly
    toml = folder / "profile.toml"
    toml.write_text(toml.read_text("utf-8").replace("[outputs]\n", "[outputs]\ntldr = true\n"), "utf-8")
    assert load_profile(folder).settings.outputs.tldr
    for day in DAYS[:2]:
        assert run("run", "--profile", str(folder), "--offline", str(DATA / "candidates"),
                   "--date", day, "--out", str(tmp_path / "o")).exit_code == 0
    assert run("digest", "--week", "--end", "2025-05-29", "--profile", str(folder),
               "--out", str(tmp_path / "w")).exit_code == 0
    week = json.loads((tmp_path / "w" / "weekly" / "2025-05-29.json").read_text("utf-8"))
    papers = [p for s in week["sections"] for p in s["papers"]]
    daily = {}
    for day in DAYS[:2]:
        candidates = json.loads((tmp_path / "o" / day[:7] / f"{day}.json").read_text("utf-8"))["candidates"]
        daily.update((c["id"], c) for c in candidates)
    assert papers and all(p["tldr"] == daily[p["id"]]["tldr"] and p["tldr_kind"] == "extractive"
                          for p in papers)
    markdown = (tmp_path / "w" / "weekly" / "2025-05-29.md").read_text("utf-8")
    for p in papers:  # the email's text too
        assert f"\n  TL;DR (extractive): {p['tldr']}\n" in markdown + "\n"


def pick(comment: str, title: str = "A paper", abstract: str = "") -> Pick:
    return Pick(Paper("2505.00001", title, abstract, ("A. B.",)),
                Judgement("2505.00001", Outcome.JUDGED, "llm", relevance=9, novelty=8, comment=comment))


def test_a_paper_goes_under_the_topic_its_comment_names_first() -> None:
    topics = parse_topics(load_profile().prompts.topics).topics
    names = [t.name for t in topics]
    assert topic_named_in("Relevant to model compression via quantization.", topics) == "Model Compression"
    assert topic_named_in("New insight into LLMs and their representation learning.", topics) == \
        next(n for n in names if n.startswith("Large Language Models"))
    assert topic_named_in("Matches criterion 2 (architectures).", topics) == names[1]
    assert topic_named_in("Nothing in particular.", topics) is None


def test_without_a_named_topic_the_words_decide_else_other() -> None:
    topics = parse_topics(load_profile().prompts.topics).topics
    pruning = pick("", "Structured pruning and quantization of transformers",
                   "We study sparsity, pruning and low-rank quantization for efficiency.")
    assert assign_topic(pruning, topics, [pruning]) == ("Model Compression", "text")
    cooking = pick("", "Recipes", "Bread dough rises.")
    assert assign_topic(cooking, topics, [cooking]) == (OTHER, "none")
    named = dataclasses.replace(pruning, judgement=dataclasses.replace(
        pruning.judgement, comment="An AI for Science paper."))
    assert assign_topic(named, topics, [named]) == ("AI for Science", "comment")


def test_the_local_judges_nearest_topic_wins_over_the_first_named() -> None:
    topics = parse_topics(load_profile().prompts.topics).topics
    comment = ("Local ranker (no novelty score): matched keywords (low-rank, efficiency); Representation"
               " Learning (sparse); nearest topic in meaning: Model Compression (0.31); profile text only.")
    assert topic_named_in(comment, topics) == "Model Compression"


def test_slack_messages_of_a_big_week_stay_within_a_sections_limit() -> None:
    import datetime as dt

    from papersieve.deliver.weekly import MAX_SECTION, slack_texts
    from papersieve.weekly import WeeklyDigest, WeeklyPick

    day = dt.date(2025, 5, 30)
    many = tuple(WeeklyPick(day, pick("", f"Paper {i} " + "long title " * 20), "Model Compression", "text")
                 for i in range(200))
    week = WeeklyDigest("me", day - dt.timedelta(days=6), day, (day,), (("Model Compression", many),))
    texts = slack_texts(week)
    assert len(texts) > 3 and all(len(t) <= MAX_SECTION for t in texts)
    assert sum(t.count("• <https://arxiv.org/abs/2505.00001|") for t in texts) == 200
