"""Known fake secrets never appear in anything papersieve writes or prints.

Every secret the project reads (OPENAI_API_KEY, SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL, SMTP_PASSWORD,
S2_API_KEY, PAPERSIEVE_WEB_TOKEN) is set to a recognisable value, and real `papersieve run`
processes run with every delivery on against loopback servers, most of them failing (LLM faults
and refusals, Slack 500 and invalid_auth, SMTP authentication refused, Semantic Scholar errors),
so that error messages are written. Then everything under PAPERSIEVE_HOME and the output folder
(the SQLite file, WAL and shm as raw bytes, and every table's text), the children's stdout and
stderr, and the web app's replies are searched for each secret, plain and base64-encoded.
"""

from __future__ import annotations

import base64
import datetime as dt
import sqlite3
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from papersieve.errors import ConfigError
from papersieve.profile import init_profile
from papersieve.redact import Redactor, check_secrets
from papersieve.store.textpack import register
from papersieve.web.app import create_app
from tests.faultkit import child_env as child_env_on
from tests.faultkit import run_args, run_child
from tests.servers.feed_server import FeedServer
from tests.servers.llm_server import FakeLLM
from tests.servers.s2_server import FakeS2
from tests.servers.slack_server import FakeSlack
from tests.servers.smtp_server import USER, SmtpServer


def child_env(*args: Any, **kwargs: Any) -> dict[str, str]:
    """faultkit.child_env with the child's store the SQLite file in its home even under make
    test-postgres: this module reads that file itself (sqlite3), not yet the store under test."""
    return child_env_on(*args, sqlite_file=True, **kwargs)

WEBHOOK_SECRET = "SECRETwebhook9c1dT0k3n"
SECRETS = {
    "OPENAI_API_KEY": "sk-proj-SECRETopenai4f9a2c7e1b",
    "SLACK_BOT_TOKEN": "xoxb-SECRETslackbot-77aa01",
    "SMTP_PASSWORD": "SECRETsmtp-pass-3e5f",
    "S2_API_KEY": "SECRETs2key-88b1aa",
    "PAPERSIEVE_WEB_TOKEN": "SECRETwebtoken-0c2e99",
}


def profile_with_everything(folder: Path, smtp_port: int) -> Path:
    init_profile(folder, force=True)
    (folder / "profile.toml").write_text(f"""
name = "me"
categories = ["cs.AI"]
[judge]
concurrency = 4
calls_per_minute = 10000
max_retries = 1
[filters]
h_index_floor = 5
[deliver.slack]
enabled = true
channel = "#papers"
[deliver.email]
enabled = true
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "papersieve@example.org"
to = ["me@example.org"]
""", "utf-8")
    return folder


def needles(webhook_url: str) -> dict[str, bytes]:
    """Every secret, and its base64 form, as bytes to look for."""
    values = {**SECRETS, "SLACK_WEBHOOK_URL": webhook_url, "webhook token": WEBHOOK_SECRET}
    found = {}
    for name, value in values.items():
        found[name] = value.encode()
        found[name + " (base64)"] = base64.b64encode(value.encode())
    found["SMTP AUTH PLAIN"] = base64.b64encode(f"\0{USER}\0{SECRETS['SMTP_PASSWORD']}".encode())
    return found


def table_text(db: Path) -> str:
    """Every row of every table, as SQL text, and the abstracts as text (stored compressed)."""
    conn = sqlite3.connect(db)
    register(conn)
    try:
        abstracts = [str(r[0]) for r in conn.execute("SELECT abstract FROM papers")]
        return "\n".join([*conn.iterdump(), *abstracts])
    finally:
        conn.close()


def test_no_secret_is_written_printed_or_served(tmp_path: Path) -> None:
    home, out = tmp_path / "home", tmp_path / "site"
    printed: list[str] = []
    day = dt.date(2025, 7, 3)
    with FeedServer(day) as feeds, FakeLLM(fault_rate=0.5, retry_after="0") as llm, \
            FakeSlack() as slack, SmtpServer() as smtp, \
            FakeS2({}, {}, statuses=[403, 500, 500, 500, 500, 500]) as s2:
        webhook = f"{slack.url}/services/T0SECRET/B0SECRET/{WEBHOOK_SECRET}"
        profile = profile_with_everything(tmp_path / "profile", smtp.port)
        env = child_env(home, feeds.rss_template, llm.url, {
            **SECRETS, "SLACK_WEBHOOK_URL": webhook, "SMTP_USER": USER,
            "PAPERSIEVE_S2_URL": s2.url, "PAPERSIEVE_SLACK_API_URL": slack.api_url,
            "PAPERSIEVE_LOG_LEVEL": "DEBUG",
        })

        def run(day_: str, env_: dict[str, str]) -> subprocess.CompletedProcess[str]:
            args = [a for a in run_args(profile, out, day_) if a != "--no-deliver"]
            result = run_child(args, env_)
            printed.extend([result.stdout, result.stderr])
            return result

        # 1. LLM faults, Slack webhook 500s, an SMTP server without AUTH (the password is read
        # and refused before it is sent), Semantic Scholar errors.
        # send_slack prefers SLACK_BOT_TOKEN when both are set: without this the webhook was
        # never used, and a webhook URL in an error message went unnoticed.
        webhook_only = {k: v for k, v in env.items() if k != "SLACK_BOT_TOKEN"}
        slack.fail_next.extend([500] * 3)
        first = run("2025-07-03", webhook_only)
        assert first.returncode in (2, 4), first.stdout + first.stderr
        assert "Delivery email: failed" in first.stdout
        assert "Delivery slack: failed (slack webhook: HTTP 500" in first.stdout, first.stdout
        # 2. The bot token (wrong: invalid_auth) instead of the webhook, on a rerun.
        slack.fail_next.clear()
        no_webhook = {k: v for k, v in env.items() if k != "SLACK_WEBHOOK_URL"}
        second = run("2025-07-03", no_webhook)
        assert "slack" in second.stdout and "invalid_auth" in second.stdout, second.stdout
        # 3. The webhook's host refuses connections: the transport error is reported.
        closed = {**webhook_only,
                  "SLACK_WEBHOOK_URL": f"http://127.0.0.1:9/services/T0/B0/{WEBHOOK_SECRET}"}
        unreachable = run("2025-07-03", closed)
        assert "Delivery slack: failed (slack: cannot reach 127.0.0.1: " in unreachable.stdout, \
            unreachable.stdout
        # 4. The LLM server refuses every call (401): the run fails with an error message.
        feeds.day = dt.date(2025, 7, 2)
        llm.always_status = 401
        third = run("2025-07-02", env)
        assert third.returncode == 2, third.stderr
        assert third.stderr.strip().splitlines()[-1].startswith(
            f"error: the LLM server at {llm.url} refused every call")
        assert llm.calls > 0 and slack.received and smtp.handler.messages == []

    db = home / "papersieve.db"
    errors = table_text(db)
    assert "fake server error" in errors and "invalid_auth" in errors  # errors were recorded
    with TestClient(create_app(db, token=SECRETS["PAPERSIEVE_WEB_TOKEN"]),
                    base_url="http://127.0.0.1:8000") as client:
        refused = client.get("/", headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401
        pages = [client.get(url, headers={"Authorization": f"Bearer {SECRETS['PAPERSIEVE_WEB_TOKEN']}"})
                 for url in ("/", "/runs", "/run/1", "/run/3", "/archive", "/search?q=learning")]
        assert all(p.status_code == 200 for p in pages)
        served = [refused.text, *(p.text for p in pages),
                  *(f"{k}: {v}" for p in pages for k, v in p.headers.items()
                    if k.lower() != "set-cookie")]

    places: dict[str, bytes] = {str(p): p.read_bytes() for root in (home, out)
                                for p in root.rglob("*") if p.is_file()}
    assert any(name.endswith(".db") for name in places) and any(name.endswith(".md") for name in places)
    places["every table of the store"] = errors.encode()
    places["stdout and stderr"] = "\n".join(printed).encode()
    places["web app replies"] = "\n".join(served).encode()
    leaks = [(name, where) for name, needle in needles(webhook).items()
             for where, data in places.items() if needle in data]
    assert leaks == []


def test_a_failing_run_prints_its_error_without_a_secret(tmp_path: Path) -> None:
    """A broken feed ends the run with an error line; no secret is in what it printed."""
    with FeedServer(dt.date(2025, 7, 3)) as feeds:
        feeds.misbehave("cs.AI", "html")
        env = child_env(tmp_path / "home", feeds.rss_template, "http://127.0.0.1:9/v1", {
            **SECRETS, "SLACK_WEBHOOK_URL": f"http://127.0.0.1:9/{WEBHOOK_SECRET}"})
        result = run_child(run_args(profile_with_everything(tmp_path / "profile", 9),
                                    tmp_path / "out"), env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: "), result.stderr
    for value in (*SECRETS.values(), WEBHOOK_SECRET):
        assert value not in result.stdout + result.stderr


def test_a_mistyped_webhook_url_fails_the_delivery_without_showing_it(tmp_path: Path) -> None:
    """A webhook secret pasted without its scheme or without its host: the Slack delivery fails
    in one line that does not repeat the URL (it is the secret), and the run itself ends (it was
    a traceback, and the whole URL was printed and stored). With a space or a trailing newline
    it is a configuration error before anything is fetched or sent."""
    profile = init_profile(tmp_path / "profile", force=True)
    (profile / "profile.toml").write_text(
        'name = "me"\ncategories = ["cs.AI"]\n[judge]\nkind = "local"\n[deliver.slack]\nenabled = true\n',
        "utf-8")
    offline = Path(__file__).resolve().parent.parent / "data" / "realworld"
    for n, (webhook, code) in enumerate([
            (f"hooks.slack.com/services/T0/B0/{WEBHOOK_SECRET}", 4),
            (f" https://hooks.slack.com/services/T0/B0/{WEBHOOK_SECRET}", 2),
            (f"http:///services/T0/B0/{WEBHOOK_SECRET}", 4),
            (f"http://127.0.0.1:9/services/T0/B0/{WEBHOOK_SECRET}\n", 2)]):
        home = tmp_path / f"home{n}"
        env = child_env(home, "http://127.0.0.1:9/{category}", "http://127.0.0.1:9/v1",
                        {"SLACK_WEBHOOK_URL": webhook})
        args = [a for a in run_args(profile, tmp_path / "out") if a != "--no-deliver"]
        result = run_child([*args, "--offline", str(offline)], env)
        assert result.returncode == code, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        written = result.stdout + result.stderr
        if code == 4:
            assert "Delivery slack: failed (slack: cannot reach " in result.stdout, result.stdout
            written += table_text(home / "papersieve.db")
        else:
            assert result.stderr.startswith("error: SLACK_WEBHOOK_URL: the value "), result.stderr
            assert len(result.stderr.splitlines()) == 1 and not (home / "papersieve.db").exists()
        assert WEBHOOK_SECRET not in written, webhook


# --- one redactor, malformed secrets, servers that echo credentials --------------------------

ECHO_SECRETS = {
    "OPENAI_API_KEY": "sk-proj-ECHOopenai5d8e3a1f0c",
    "SLACK_BOT_TOKEN": "xoxb-ECHOslackbot-1b2c3d",
    "SMTP_PASSWORD": "ECHOsmtp+pass/9z=",
}


def forms_of(value: str, login: str = USER) -> dict[str, bytes]:
    """What a leak of `value` can look like: itself, URL-encoded, base64 (and SMTP AUTH's)."""
    forms = {"plain": value, "url-encoded": urllib.parse.quote(value, safe=""),
             "base64": base64.b64encode(value.encode()).decode(),
             "AUTH PLAIN": base64.b64encode(f"\0{login}\0{value}".encode()).decode()}
    return {name: text.encode() for name, text in forms.items()}


def find_leaks(places: dict[str, bytes], secrets: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(name, form, where) for name, value in secrets.items()
            for form, needle in forms_of(value).items()
            for where, data in places.items() if needle in data]


def test_the_redactor_replaces_every_form_of_a_secret() -> None:
    secret = "xoxb-123/abc+def=="
    redactor = Redactor({"SLACK_BOT_TOKEN": secret, "SMTP_PASSWORD": "pässword-9"}, login="me@x.org")
    inside_base64 = base64.b64encode(b'{"auth": "Bearer ' + secret.encode() + b'", "n": 1}').decode()
    texts = [f"Illegal header value b'Bearer {secret}\\n'", urllib.parse.quote(secret, safe=""),
             urllib.parse.quote_plus(secret), base64.b64encode(secret.encode()).decode(),
             inside_base64, base64.b64encode("\0me@x.org\0pässword-9".encode()).decode(),
             base64.b64encode("pässword-9".encode()).decode()]
    for text in texts:
        cleaned = redactor(text)
        assert "[redacted " in cleaned, text
        for leak in (secret, urllib.parse.quote(secret, safe=""), "pässword-9"):
            assert leak not in cleaned
    assert redactor("xoxb-123 is a prefix, nothing more") == "xoxb-123 is a prefix, nothing more"


def test_a_webhook_urls_path_and_last_segment_are_redacted_too() -> None:
    redactor = Redactor({"SLACK_WEBHOOK_URL": f"https://hooks.slack.com/services/T0/B0/{WEBHOOK_SECRET}"})
    assert redactor(f"POST /services/T0/B0/{WEBHOOK_SECRET} failed") == \
        "POST [redacted SLACK_WEBHOOK_URL] failed"
    assert WEBHOOK_SECRET not in redactor(f"token {WEBHOOK_SECRET}")


def test_malformed_secrets_are_a_one_line_config_error_without_the_value() -> None:
    for value, why in [("xoxb-abc\n", "ends with a newline"), ("xoxb abc", "whitespace"),
                       ("xoxb-äbc", "non-ASCII"), ("xoxb-\x07bc", "control character")]:
        with pytest.raises(ConfigError) as caught:
            check_secrets({"SLACK_BOT_TOKEN": value})
        message = str(caught.value)
        assert message.startswith("SLACK_BOT_TOKEN: ") and why in message and "\n" not in message
        assert "abc" not in message and "bc" not in message.split(": ", 1)[1]
    check_secrets({"SLACK_BOT_TOKEN": "xoxb-fine-123", "SMTP_USER": "me@example.org"})


def echo_profile(folder: Path, smtp_port: int) -> Path:
    profile = profile_with_everything(folder, smtp_port)
    text = (profile / "profile.toml").read_text("utf-8").replace("h_index_floor = 5", "h_index_floor = 0")
    (profile / "profile.toml").write_text(text, "utf-8")
    return profile


def scanned_places(home: Path, out: Path, printed: list[str]) -> dict[str, bytes]:
    places = {str(p): p.read_bytes() for root in (home, out) for p in root.rglob("*") if p.is_file()}
    places["every table of the store"] = table_text(home / "papersieve.db").encode()
    places["stdout and stderr"] = "\n".join(printed).encode()
    return places


def test_servers_that_echo_the_credentials_leave_no_secret_anywhere(tmp_path: Path) -> None:
    """The LLM server quotes the Authorization header in its 500 and 401 bodies, Slack in its
    500 and invalid_auth replies, the SMTP server the password it refused: each quote reaches an
    error text, and none of them reaches the store (every table), the outputs or the console."""
    home, out = tmp_path / "home", tmp_path / "site"
    printed: list[str] = []
    with FeedServer(dt.date(2025, 7, 3)) as feeds, \
            FakeLLM(fault_rate=0.5, fault_kinds=("500",)) as llm, FakeSlack() as slack, \
            SmtpServer(auth=True) as smtp:
        llm.echo_auth = slack.echo_auth = smtp.handler.echo_password = True
        profile = echo_profile(tmp_path / "profile", smtp.port)
        env = child_env(home, feeds.rss_template, llm.url, {
            **ECHO_SECRETS, "SMTP_USER": USER, "PAPERSIEVE_SLACK_API_URL": slack.api_url})

        def run(day: str) -> subprocess.CompletedProcess[str]:
            args = [a for a in run_args(profile, out, day) if a != "--no-deliver"]
            result = run_child(args, env)
            printed.extend([result.stdout, result.stderr])
            return result

        slack.fail_next.append(500)
        first = run("2025-07-03")  # LLM 500s (retried), Slack 500, SMTP 535
        assert first.returncode == 4, first.stdout + first.stderr
        assert "Delivery slack: failed (slack chat.postMessage" in first.stdout
        assert "Delivery email: failed" in first.stdout and "535" in first.stdout
        second = run("2025-07-03")  # the wrong token: invalid_auth quoting it
        assert "invalid_auth: Bearer [redacted SLACK_BOT_TOKEN]" in second.stdout, second.stdout
        feeds.day = dt.date(2025, 7, 2)
        llm.always_status = 401
        third = run("2025-07-02")  # every LLM call refused, the body quoting the key
        assert third.returncode == 2, third.stdout + third.stderr
    store = table_text(home / "papersieve.db")
    for name in ECHO_SECRETS:  # the echoes happened and were caught
        assert f"[redacted {name}]" in store, name
    assert find_leaks(scanned_places(home, out, printed), ECHO_SECRETS) == []


def test_a_token_with_a_trailing_newline_stops_the_run_before_anything_is_sent(tmp_path: Path) -> None:
    """The copy-paste of the issue: SLACK_BOT_TOKEN ending with a newline made httpx raise an
    error quoting the header (token included) that was stored, printed and pushed. A non-ASCII
    SMTP_PASSWORD crashed after Slack was sent but before it was recorded. Both are now one line
    naming the variable, before any request."""
    home, out = tmp_path / "home", tmp_path / "site"
    cases = {"SLACK_BOT_TOKEN": ECHO_SECRETS["SLACK_BOT_TOKEN"] + "\n",
             "SMTP_PASSWORD": "pässwörd-ECHO-42"}
    printed: list[str] = []
    with FeedServer(dt.date(2025, 7, 3)) as feeds, FakeLLM() as llm, FakeSlack() as slack, \
            SmtpServer(auth=True) as smtp:
        profile = echo_profile(tmp_path / "profile", smtp.port)
        for name, value in cases.items():
            env = child_env(home, feeds.rss_template, llm.url, {
                **ECHO_SECRETS, name: value, "SMTP_USER": USER,
                "PAPERSIEVE_SLACK_API_URL": slack.api_url})
            args = [a for a in run_args(profile, out) if a != "--no-deliver"]
            result = run_child(args, env)
            printed += [result.stdout, result.stderr]
            assert result.returncode == 2, result.stdout + result.stderr
            assert result.stderr.startswith(f"error: {name}: the value "), result.stderr
            assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
        assert llm.calls == 0 and slack.received == [] and smtp.handler.messages == []
    assert not out.exists()
    secrets = {**ECHO_SECRETS, **{f"{k} (as set)": v for k, v in cases.items()}}
    assert find_leaks({"stdout and stderr": "\n".join(printed).encode()}, secrets) == []
