"""Safety of the web app: CSRF, access token, host check, escaping, headers, loopback binding."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from papersieve.errors import ConfigError
from papersieve.store import open_store
from papersieve.web.app import create_app
from papersieve.web.security import AUTH_COOKIE, FailureThrottle, check_bind, is_loopback
from tests.fakeclock import Clock
from tests.webdata import HOSTILE_IDS, IMG_TITLE, SCRIPT_TITLE, WebData, build_store

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return build_store(tmp_path_factory.mktemp("websec") / "store.db")


@pytest.fixture()
def client(data: WebData) -> Iterator[TestClient]:
    with TestClient(create_app(data.path, token=""), base_url=BASE) as test_client:
        yield test_client


def feedback_count(data: WebData) -> int:
    with open_store(data.path) as store:
        return int(store.conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_post_without_csrf_token_is_refused(client: TestClient, data: WebData) -> None:
    client.get("/")  # the session cookie exists, but the token is not sent
    before = feedback_count(data)
    reply = client.post("/feedback", data={"paper_id": HOSTILE_IDS[1], "label": "like"})
    assert reply.status_code == 403
    assert feedback_count(data) == before


def test_post_with_wrong_or_foreign_csrf_token_is_refused(client: TestClient, data: WebData) -> None:
    mine = csrf_of(client.get("/").text)
    before = feedback_count(data)
    wrong = client.post(
        "/feedback", data={"paper_id": HOSTILE_IDS[1], "label": "like", "csrf_token": mine[:-2] + "xx"}
    )
    assert wrong.status_code == 403
    header = client.post("/feedback", data={"paper_id": HOSTILE_IDS[1], "label": "like"},
                         headers={"X-CSRF-Token": "guess"})
    assert header.status_code == 403
    # A token from another session (another browser) is no good with this session's cookie.
    with TestClient(create_app(data.path, token=""), base_url=BASE) as other:
        theirs = csrf_of(other.get("/").text)
    assert client.post("/feedback", data={"paper_id": HOSTILE_IDS[1], "label": "like",
                                          "csrf_token": theirs}).status_code == 403
    assert feedback_count(data) == before


def test_post_from_another_origin_is_refused_even_with_the_token(client: TestClient, data: WebData) -> None:
    mine = csrf_of(client.get("/").text)
    reply = client.post(
        "/feedback", data={"paper_id": HOSTILE_IDS[1], "label": "like"},
        headers={"X-CSRF-Token": mine, "Origin": "http://evil.example"},
    )
    assert reply.status_code == 403
    same = client.post(
        "/feedback", data={"paper_id": HOSTILE_IDS[1], "label": "like"},
        headers={"X-CSRF-Token": mine, "Origin": BASE},
    )
    assert same.status_code == 200


def test_csrf_cookie_is_signed_and_http_only(client: TestClient) -> None:
    reply = client.get("/")
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("papersieve_csrf=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = csrf_of(reply.text)
    assert cookie.split("=", 1)[1].split(";")[0] != token  # the cookie carries a signature too
    forged = TestClient(client.app, base_url=BASE, cookies={"papersieve_csrf": token + ".forged"})
    page = forged.get("/")
    assert csrf_of(page.text) != token  # a bad signature starts a new session


def test_hostile_text_is_escaped_everywhere(client: TestClient) -> None:
    pages = [client.get("/").text, client.get("/search", params={"q": "alert"}).text,
             client.get(f"/paper/{HOSTILE_IDS[0]}").text, client.get(f"/paper/{HOSTILE_IDS[1]}").text,
             client.get("/run/2?all=1").text]
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "onerror=alert" not in page or "&lt;img src=x onerror=" in page
        assert "<b>Bold</b>" not in page
    home = pages[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hostile title" in home
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; Attribute breaker" in home
    assert SCRIPT_TITLE not in home and IMG_TITLE not in home
    # The only script elements are the pinned helper and KaTeX, loaded from this site.
    assert re.findall(r"<script[^>]*>", home) == [
        f'<script src="/static/{name}" defer>' for name in (
            "htmx-2.0.4.min.js", "katex/katex.min.js", "katex/contrib/auto-render.min.js",
            "katex/papersieve-tex.js", "papersieve-keys.js")]


def test_security_headers_on_pages_errors_and_static(client: TestClient) -> None:
    for path in ("/", "/nope", "/static/papersieve.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_foreign_host_header_is_refused_without_a_token(data: WebData) -> None:
    with TestClient(create_app(data.path, token=""), base_url="http://attacker.example") as c:
        assert c.get("/").status_code == 421
    with TestClient(create_app(data.path, token=""), base_url="http://localhost:8000") as c:
        assert c.get("/").status_code == 200


def test_token_is_required_on_every_request(data: WebData) -> None:
    app = create_app(data.path, token="s3cret-token")
    with TestClient(app, base_url="http://192.0.2.10:8000") as c:
        for path in ("/", "/search?q=x", "/static/htmx-2.0.4.min.js", "/paper/" + HOSTILE_IDS[0]):
            assert c.get(path).status_code == 401, path
        assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/?token=wrong").status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    raw = TestClient(app, base_url="http://192.0.2.10:8000", cookies={AUTH_COOKIE: "s3cret-token"})
    assert raw.get("/").status_code == 401  # the cookie holds a keyed hash, not the raw token


def test_token_in_query_sets_a_cookie_once_and_leaves_the_address(data: WebData) -> None:
    app = create_app(data.path, token="s3cret-token")
    with TestClient(app, base_url="http://192.0.2.10:8000") as c:
        first = c.get("/search?q=agents&token=s3cret-token", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/search?q=agents"
        assert "s3cret-token" not in first.headers["set-cookie"]
        assert c.get("/search?q=agents").status_code == 200  # the cookie is enough from now on
        token = csrf_of(c.get("/").text)
        liked = c.post("/feedback", data={"paper_id": HOSTILE_IDS[1], "label": "like"},
                       headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert liked.status_code == 200


def test_token_from_environment(data: WebData, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIEVE_WEB_TOKEN", "from-env")
    with TestClient(create_app(data.path), base_url=BASE) as c:
        assert c.get("/").status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_loopback_rules() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.53"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "192.168.1.2", "example.com", "::"):
        assert not is_loopback(host), host
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "kq3V8x-Zp1rT9mW4bL7nYc2HdF6sJ0aE")
    with pytest.raises(ConfigError, match="PAPERSIEVE_WEB_TOKEN"):
        check_bind("0.0.0.0", None)


def test_serve_refuses_a_public_host_without_a_token() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "papersieve", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: refusing to serve on non-loopback host '0.0.0.0' without an access token;"
        " set PAPERSIEVE_WEB_TOKEN or use --host 127.0.0.1"
    )


STRONG = "kq3V8x-Zp1rT9mW4bL7nYc2HdF6sJ0aE"


def test_a_valid_token_never_redirects_off_site(data: WebData) -> None:
    """`//evil.example/?token=<valid>` answered `Location: //evil.example/`: an open redirect."""
    app = create_app(data.path, token=STRONG)
    with TestClient(app, base_url="http://192.0.2.10:8000") as c:
        for path in ("//evil.example/", "///evil.example/x", "/\\evil.example/", "//evil.example"):
            answer = c.get(f"{path}?token={STRONG}&q=1", follow_redirects=False)
            assert answer.status_code == 303, path
            location = answer.headers["location"]
            assert location.startswith("/") and not location.startswith(("//", "/\\")), location
            assert location.endswith("?q=1")


def test_serve_needs_a_strong_token_beyond_loopback() -> None:
    for weak in ("1", "s3cret-token", "a" * 40, "abababababababababababab"):
        with pytest.raises(ConfigError, match="PAPERSIEVE_WEB_TOKEN is too weak"):
            check_bind("0.0.0.0", weak)
    check_bind("0.0.0.0", STRONG)
    check_bind("0.0.0.0", secrets.token_urlsafe(32))
    check_bind("127.0.0.1", "1")  # loopback needs no token at all


def test_serve_refuses_a_weak_token_from_the_environment() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "papersieve", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PAPERSIEVE_WEB_TOKEN": "1"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: refusing to serve on non-loopback host '0.0.0.0':"
                                    " PAPERSIEVE_WEB_TOKEN is too weak")
    assert result.stderr.count("\n") == 1


def test_wrong_token_guesses_are_throttled_per_client(data: WebData) -> None:
    """81 guesses a second were answered; now ten a minute, then 429 even for the right one."""
    app = create_app(data.path, token=STRONG)
    with TestClient(app, base_url="http://192.0.2.10:8000") as c:
        answers = [c.get(f"/?token=guess{n}", follow_redirects=False).status_code for n in range(30)]
        assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}
        blocked = c.get("/", headers={"Authorization": f"Bearer {STRONG}"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert blocked.headers["x-frame-options"] == "DENY"
        assert c.get("/").status_code == 429


def test_the_throttle_forgets_after_its_window_and_counts_each_client_alone() -> None:
    clock = Clock(1000.0)
    throttle = FailureThrottle(limit=3, window=60.0, clock=clock)
    for _ in range(3):
        assert throttle.wait("10.0.0.1") == 0.0
        throttle.failed("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 60.0 and throttle.wait("10.0.0.2") == 0.0
    clock.sleep(59.0)
    assert throttle.wait("10.0.0.1") == 1.0
    clock.sleep(1.0)
    assert throttle.wait("10.0.0.1") == 0.0
    small = FailureThrottle(limit=1, max_clients=2, clock=clock)
    for client in ("a", "b", "c"):
        small.failed(client)
    assert small.wait("a") == 0.0 and small.wait("c") > 0  # the oldest client is forgotten


@pytest.mark.parametrize("path, status", [
    ("/search?q=x&page=99999999999999999999", 400), ("/search?q=x&page=0", 400),
    ("/search?q=x&page=-3", 400), ("/search?q=x&page=" + "9" * 5000, 400),
    ("/run/99999999999999999999", 404), ("/run/" + "9" * 5000, 404), ("/run/abc", 404),
])
def test_huge_numbers_in_the_address_are_4xx_with_the_headers(
        client: TestClient, path: str, status: int) -> None:
    """Both were a bare 500 (OverflowError in SQLite) without the security headers."""
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in answer.headers


def test_an_unexpected_error_is_a_500_with_the_headers(data: WebData) -> None:
    app = create_app(data.path, token="")
    app.state.stores = None  # every page now fails inside its route
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as c:
        answer = c.get("/archive")
    assert answer.status_code == 500
    assert answer.headers["x-frame-options"] == "DENY"
    assert "Traceback" not in answer.text
