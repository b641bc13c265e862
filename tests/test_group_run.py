"""`papersieve run --all` (issue 19): every stored profile's day from one fetch, one SMTP
connection for the group's emails, one member's failure never the others'.

The feeds are the loopback arXiv of tests/servers, the emails go to a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from papersieve.cli.main import main
from papersieve.deliver.slack import API_URL_ENV
from papersieve.errors import ConfigError
from papersieve.group import MemberOutcome, restrict, run_all, stored_members, worst
from papersieve.ingest import DayFetch
from papersieve.models import Listing, ListingEntry, ListingStatus
from papersieve.profile import Profile, init_profile
from papersieve.store import Store, open_store
from papersieve.store.profiles import save_profile
from papersieve.store.runs import finish_run, start_run
from tests.digestfixtures import sample_digest
from tests.servers.feed_server import FeedServer
from tests.servers.slack_server import TOKEN as SLACK_TOKEN
from tests.servers.slack_server import FakeSlack
from tests.servers.smtp_server import SmtpServer, free_port

DAY = dt.date(2025, 7, 3)


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    with FeedServer(DAY) as running:
        monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", running.rss_template)
        monkeypatch.setenv("PAPERSIEVE_ARXIV_API_URL", running.url + "/api/query")
        monkeypatch.setenv("PAPERSIEVE_HTTP_INTERVAL", "0")
        monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
        yield running


def email_toml(port: int, to: str) -> str:
    return ("[deliver.email]\nenabled = true\nhost = \"127.0.0.1\"\n"
            f"port = {port}\nsecurity = \"none\"\nsender = \"papersieve@example.org\"\n"
            f"to = [\"{to}\"]\n")


def add_profile(tmp_path: Path, name: str, categories: list[str], topics: str,
                extra: str = "") -> None:
    folder = init_profile(tmp_path / name, force=True)
    cats = ", ".join(f'"{c}"' for c in categories)
    (folder / "profile.toml").write_text(f"categories = [{cats}]\n{extra}", "utf-8")
    (folder / "topics.txt").write_text(topics, "utf-8")
    assert run_cli("profile", "add", name, str(folder)).exit_code == 0


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(click.Command("papersieve", callback=lambda: main(list(args))), [])


def group_of_three(tmp_path: Path, extra: dict[str, str] | None = None) -> None:
    more = extra or {}
    add_profile(tmp_path, "alice", ["cs.LG", "cs.AI"], "1. Large language model agents\n",
                more.get("alice", ""))
    add_profile(tmp_path, "bob", ["cs.LG"], "1. Reinforcement learning for robots\n",
                more.get("bob", ""))
    add_profile(tmp_path, "carol", ["cs.AI"], "1. Planning and reasoning\n", more.get("carol", ""))


def test_the_day_is_fetched_once_per_category_for_the_whole_group(
        tmp_path: Path, feeds: FeedServer) -> None:
    group_of_three(tmp_path)
    result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert Counter(feeds.paths()) == {"/rss/cs.LG": 1, "/rss/cs.AI": 1}
    for name in ("alice", "bob", "carol"):
        assert (tmp_path / "out" / name / "2025-07" / f"{DAY}.md").is_file()
    tail = result.stdout.split("Group: ", 1)[1]
    assert tail.startswith(f"3 profiles, day {DAY}\n  alice: done, ")
    assert "\n  bob: done, " in tail and "\n  carol: done, " in tail
    with open_store() as store:
        rows = store.conn.execute("SELECT profile, status FROM runs ORDER BY profile").fetchall()
        scanned = {r["profile"]: r["scanned"] for r in store.conn.execute(
            "SELECT profile, scanned FROM runs")}
    assert [tuple(r) for r in rows] == [("alice", "done"), ("bob", "done"), ("carol", "done")]
    # Each profile saw its own categories only: alice's day is bob's and carol's together.
    assert scanned["alice"] == scanned["bob"] + scanned["carol"] and scanned["bob"] > 0


def test_the_group_site_has_a_root_page_linking_each_members_site(
        tmp_path: Path, feeds: FeedServer) -> None:
    """The workflow publishes `--out state/site` as the Pages site: its root must not be a 404."""
    group_of_three(tmp_path)
    (tmp_path / "out" / "stray").mkdir(parents=True)  # not a member's site: no link to it
    result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "index.html").read_text("utf-8")
    links = re.findall(r'href="([^"]+)"', page)
    assert [link for link in links if link.endswith("/index.html")] == [
        "alice/index.html", "bob/index.html", "carol/index.html"]
    for name in ("alice", "bob", "carol"):
        latest = json.loads((tmp_path / "out" / name / "latest.json").read_text("utf-8"))
        day_link = f"{name}/{DAY:%Y-%m}/{DAY}.html"
        assert day_link in links and (tmp_path / "out" / day_link).is_file()
        assert f'{len(latest["picks"])} picks</a> of {len(latest["candidates"])}' in page
    assert "stray" not in page


def test_a_members_smtp_failure_leaves_the_others_delivered_and_exits_4(
        tmp_path: Path, feeds: FeedServer) -> None:
    with SmtpServer() as smtp:
        group_of_three(tmp_path, {"alice": email_toml(free_port(), "alice@example.org"),
                                  "bob": email_toml(smtp.port, "bob@example.org"),
                                  "carol": email_toml(smtp.port, "carol@example.org")})
        result = run_cli("run", "--all", "--out", str(tmp_path / "out"))
    assert result.exit_code == 4, result.output
    assert sorted(m["To"] for m in smtp.handler.messages) == ["bob@example.org", "carol@example.org"]
    assert smtp.handler.connections == 1  # bob's and carol's emails shared one connection
    lines = result.stdout.split("Group: ", 1)[1].splitlines()
    assert lines[1].startswith("  alice: done, ") and lines[1].endswith("; delivery failed: email")
    assert lines[2].startswith("  bob: done, ") and lines[2].endswith("; delivered: email")
    assert lines[3].startswith("  carol: done, ") and lines[3].endswith("; delivered: email")


def test_a_refused_recipient_does_not_break_the_shared_connection(
        tmp_path: Path, feeds: FeedServer) -> None:
    with SmtpServer() as smtp:
        smtp.handler.refused.add("alice@example.org")
        group_of_three(tmp_path, {name: email_toml(smtp.port, f"{name}@example.org")
                                  for name in ("alice", "bob", "carol")})
        result = run_cli("run", "--all", "--out", str(tmp_path / "out"))
    assert result.exit_code == 4, result.output
    assert sorted(m["To"] for m in smtp.handler.messages) == ["bob@example.org", "carol@example.org"]
    assert smtp.handler.connections == 1
    assert "alice@example.org" in result.stdout and "550" in result.stdout


def test_a_broken_stored_profile_is_its_own_failure(tmp_path: Path, feeds: FeedServer) -> None:
    group_of_three(tmp_path)
    with open_store() as store, store.transaction() as conn:
        conn.execute("UPDATE profiles SET files = '{not json' WHERE name = 'bob'")
    result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    lines = result.stdout.split("Group: ", 1)[1].splitlines()
    assert lines[0] == f"3 profiles, day {DAY}"
    assert lines[2] == ("  bob: failed: cannot load the stored profile: the stored profile 'bob'"
                        " is damaged (its files are not a JSON object of texts)")
    assert lines[1].startswith("  alice: done, ") and lines[3].startswith("  carol: done, ")


def test_a_judge_that_cannot_be_made_stops_only_its_profile(tmp_path: Path, feeds: FeedServer,
                                                            store: Store) -> None:
    group_of_three(tmp_path)
    profiles, broken = stored_members(store)
    assert broken == []

    def judge_for(profile: Profile) -> None:
        if profile.name == "bob":
            raise ConfigError("the judge server refused the key", key="judge.kind")

    report = run_all(store, profiles, deliver=False, judge_for=judge_for, out_dir=tmp_path / "out")
    outcomes = {m.name: (m.exit_code, m.error) for m in report.members}
    assert outcomes == {"alice": (0, ""), "carol": (0, ""),
                        "bob": (2, "judge.kind: the judge server refused the key")}
    assert report.exit_code == 2


def test_run_all_with_no_stored_profile_says_how_to_add_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", "--all", "--no-deliver"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "error: the store holds no profile: add one with `papersieve profile add NAME DIR`, or run"
        " one profile with --profile\n")


def test_a_rerun_of_the_group_neither_fetches_nor_delivers_again(
        tmp_path: Path, feeds: FeedServer) -> None:
    """What a run killed mid-group resumes through: the day is read back from the store, and a
    member whose email went out is not sent it twice."""
    with SmtpServer() as smtp:
        group_of_three(tmp_path, {name: email_toml(smtp.port, f"{name}@example.org")
                                  for name in ("alice", "bob", "carol")})
        first = run_cli("run", "--all", "--date", str(DAY), "--out", str(tmp_path / "out"))
        again = run_cli("run", "--all", "--date", str(DAY), "--out", str(tmp_path / "out"))
    assert first.exit_code == 0 and again.exit_code == 0, again.output
    assert len(smtp.handler.messages) == 3
    assert Counter(feeds.paths()) == {"/rss/cs.LG": 1, "/rss/cs.AI": 1}
    assert again.stdout.count("Delivery email: skipped (already delivered by run ") == 3


def test_another_categorys_stale_feed_is_not_her_stale_day() -> None:
    papers = [pick.paper for pick in sample_digest().picks][:2]
    entries = tuple(ListingEntry(p, "cs.LG", "new", i) for i, p in enumerate(papers))
    ok = Listing("cs.LG", DAY, entries, "rss")
    stale = Listing("cs.AI", DAY, (), "rss", ListingStatus.STALE, note="stale feed: cs.AI")
    day = DayFetch(DAY, (ok, stale), ListingStatus.STALE, "stale feed: cs.AI")
    assert restrict(day, ["cs.LG"]) == DayFetch(DAY, (ok,), ListingStatus.OK, f"2 entries for {DAY}")
    assert restrict(day, ["cs.AI"]) == DayFetch(DAY, (stale,), ListingStatus.STALE, "stale feed: cs.AI")


def test_the_worst_exit_code_wins() -> None:
    assert worst([]) == 0
    assert worst([0, 3, 4]) == 4 and worst([4, 5, 3]) == 5 and worst([5, 2, 0]) == 2
    assert MemberOutcome("x", error="boom").exit_code == 2


def test_a_stored_profile_written_over_keeps_running(tmp_path: Path, feeds: FeedServer,
                                                     store: Store) -> None:
    group_of_three(tmp_path)
    save_profile(store, "bob", {"profile.toml": "categories = [\"cs.LG\"]\n"}, replace=True)
    _profiles, broken = stored_members(store)
    assert [b.name for b in broken] == ["bob"] and "missing prompt file" in broken[0].error


def test_each_stored_profile_delivers_to_its_own_address_and_channel(
        tmp_path: Path, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpServer() as smtp, FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
        monkeypatch.setenv(API_URL_ENV, slack.api_url)
        group_of_three(tmp_path, {
            name: email_toml(smtp.port, f"{name}@example.org")
            + f"[deliver.slack]\nenabled = true\nchannel = \"#{name}\"\n"
            for name in ("alice", "bob", "carol")})
        result = run_cli("run", "--all", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    subjects = {str(m["To"]): str(m["Subject"]) for m in smtp.handler.messages}
    assert sorted(subjects) == ["alice@example.org", "bob@example.org", "carol@example.org"]
    lines = result.stdout.split("Group: ")[1].splitlines()[1:]
    summary = {line.split(":")[0].strip(): line for line in lines}
    for name in ("alice", "bob", "carol"):
        count = summary[name].split(", ")[1].split(" picks")[0]
        assert subjects[f"{name}@example.org"] == f"papersieve: {count} papers for {DAY}"
        assert summary[name].endswith("; delivered: slack, email")
    channels = Counter(str(r.body["channel"]) for r in slack.received)
    assert set(channels) == {"#alice", "#bob", "#carol"}


def test_a_day_the_group_missed_is_fetched_once_for_every_category(
        tmp_path: Path, feeds: FeedServer, store: Store) -> None:
    add_profile(tmp_path, "alice", ["cs.LG"], "1. Large language model agents\n")
    add_profile(tmp_path, "bob", ["cs.AI"], "1. Planning and reasoning\n")
    add_profile(tmp_path, "carol", ["cs.LG", "cs.AI"], "1. Reinforcement learning\n")
    for name in ("alice", "bob", "carol"):
        finish_run(store, start_run(store, name, dt.date(2026, 4, 28), "local"), "done")
    feeds.day = dt.date(2026, 4, 30)  # today's feeds; 04-29 was missed
    result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    api = [path for path in feeds.paths() if path.startswith("/api/")]
    assert len(api) == 1 and "cs.LG" in api[0] and "cs.AI" in api[0]
    assert Counter(p for p in feeds.paths() if p.startswith("/rss/")) == {"/rss/cs.LG": 1,
                                                                         "/rss/cs.AI": 1}
    days = store.conn.execute("SELECT profile, status FROM runs WHERE date = '2026-04-29'"
                              " ORDER BY profile").fetchall()
    assert [tuple(d) for d in days] == [("alice", "done"), ("bob", "done"), ("carol", "done")]
    assert "1 missed day(s) caught up" in result.stdout.split("Group: ")[1]


def test_the_group_judges_its_local_profiles_as_one_crowd_with_their_own_digests(
        tmp_path: Path, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run --all` scores the local profiles through one LocalCrowd (the paper side once), and
    each digest is the one the profile's own run makes."""
    from papersieve.judges.local import crowd

    made: list[int] = []
    original = crowd.LocalCrowd.__init__

    def counting(self: crowd.LocalCrowd, *args: object, **kwargs: object) -> None:
        made.append(1)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(crowd.LocalCrowd, "__init__", counting)
    group_of_three(tmp_path)
    result = run_cli("run", "--all", "--no-deliver", "--out", str(tmp_path / "group"))
    assert result.exit_code == 0, result.output
    assert made == [1]
    monkeypatch.setenv("PAPERSIEVE_HOME", str(tmp_path / "another-home"))  # judged afresh
    for name in ("alice", "bob", "carol"):
        alone = run_cli("run", "--profile", str(tmp_path / name), "--no-deliver", "--date",
                        DAY.isoformat(),
                        "--out", str(tmp_path / "alone" / name))
        assert alone.exit_code == 0, alone.output
        [grouped] = (tmp_path / "group" / name).rglob(f"{DAY}.md")
        [single] = (tmp_path / "alone" / name).rglob(f"{DAY}.md")
        assert grouped.read_text("utf-8") == single.read_text("utf-8")


def test_a_member_whose_categories_have_no_offline_file_fails_and_is_not_told_no_announcement(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bob reads cs.RO only, and the offline folder has no cs.RO file: that is missing data, as
    in a single run, not a day without an announcement (the group reported 'no_announcement')."""
    from tests.conftest import DATA

    monkeypatch.setenv("PAPERSIEVE_JUDGE", "local")
    add_profile(tmp_path, "alice", ["cs.LG", "cs.AI"], "1. Large language model agents\n")
    add_profile(tmp_path, "bob", ["cs.RO"], "1. Robot manipulation\n")
    result = run_cli("run", "--all", "--offline", str(DATA / "candidates"), "--date",
                     DAY.isoformat(), "--no-deliver", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "alice: done" in result.output
    assert f"bob: failed: no data for cs.RO on {DAY}" in result.output
    with open_store() as store:
        assert [r[0] for r in store.conn.execute("SELECT DISTINCT profile FROM runs")] == ["alice"]


def test_run_all_prunes_with_the_members_compact_and_feature_cache_settings(
        tmp_path: Path, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow's `run --all` (PAPERSIEVE_COMPACT_AFTER_DAYS=90, PAPERSIEVE_CACHE_FEATURES=false)
    must prune the shared store as a single profile's run does: a day 90+ days old has its listing
    entries folded, and the feature cache is emptied after the run."""
    monkeypatch.setenv("PAPERSIEVE_COMPACT_AFTER_DAYS", "90")
    monkeypatch.setenv("PAPERSIEVE_CACHE_FEATURES", "false")
    group_of_three(tmp_path)
    first = run_cli("run", "--all", "--no-deliver", "--date", str(DAY), "--out", str(tmp_path / "out"))
    assert first.exit_code == 0, first.output
    with open_store() as store:
        paper = store.conn.execute("SELECT id FROM papers LIMIT 1").fetchone()[0]
        with store.transaction() as conn:
            # listed today: the cache would keep it (`prune_feature_cache`) were it kept at all
            conn.execute("UPDATE papers_data SET first_listed = ? WHERE id = ?",
                         (dt.date.today().isoformat(), paper))
            conn.execute("INSERT OR REPLACE INTO local_features (paper_id, kind, content_hash, data)"
                         " VALUES (?, 'test', 'x', ?)", (paper, b"\x00"))
    again = run_cli("run", "--all", "--no-deliver", "--date", str(DAY), "--out", str(tmp_path / "out"))
    assert again.exit_code == 0, again.output
    with open_store() as store:
        assert store.conn.execute("SELECT COUNT(*) FROM local_features").fetchone()[0] == 0
        assert store.conn.execute("SELECT COUNT(*) FROM listing_entries").fetchone()[0] == 0
        assert store.conn.execute("SELECT COUNT(*) FROM folded_listings").fetchone()[0] >= 2
