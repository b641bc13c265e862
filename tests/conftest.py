"""Hermetic tests: every test gets its own PAPERSIEVE_HOME and no real secrets or endpoints."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersieve.store import Store, open_store
from tests.pgschemas import TEST_DB_ENV, drop_extra_stores, pg_server_for_session, schema_store
from tests.slow_tests import SLOW

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
FEEDS = DATA / "realworld" / "feeds"

_SCRUBBED = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", "SLACK_WEBHOOK_URL",
    "SLACK_BOT_TOKEN", "SMTP_USER", "SMTP_PASSWORD", "S2_API_KEY", "PAPERSIEVE_PROFILE",
    "PAPERSIEVE_DB", "PAPERSIEVE_JUDGE", "PAPERSIEVE_MODEL", "PAPERSIEVE_CATEGORIES",
    "PAPERSIEVE_OUT", "PAPERSIEVE_ARXIV_RSS_URL", "PAPERSIEVE_ARXIV_ATOM_URL",
    "PAPERSIEVE_ARXIV_API_URL", "PAPERSIEVE_OAI_PMH_URL", "PAPERSIEVE_S2_URL", "XDG_DATA_HOME",
    "PAPERSIEVE_LOCK_LEASE", "TELEGRAM_BOT_TOKEN", "PAPERSIEVE_BIORXIV_API_URL",
    "PAPERSIEVE_TELEGRAM_API_URL", "PAPERSIEVE_SLACK_API_URL",
    "ZOTERO_API_KEY", "ZOTERO_USER_ID", "PAPERSIEVE_ZOTERO_API_URL", "PGPASSWORD",
)


@pytest.fixture(autouse=True)
def papersieve_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    request: pytest.FixtureRequest) -> Iterator[Path]:
    """A fresh state folder per test; the user's real state and keys are never touched."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PAPERSIEVE_HOME", str(home))
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    # Slack's one-message-a-second pacing is tested with a fake clock (test_deliver_slack.py).
    monkeypatch.setenv("PAPERSIEVE_SLACK_INTERVAL", "0")
    # Telegram's likewise (test_deliver_telegram.py).
    monkeypatch.setenv("PAPERSIEVE_TELEGRAM_INTERVAL", "0")
    # A profile's `[store] url` that an earlier test's command chose (home.use_store_url).
    monkeypatch.setattr("papersieve.home._configured_store", "")
    server = os.environ.get(TEST_DB_ENV, "")
    if not server:
        yield home
        return
    # The whole suite on PostgreSQL: the test's default store is a schema of its own.
    with schema_store(server, request.node.nodeid) as url:
        monkeypatch.setenv("PAPERSIEVE_DB", url)
        yield home


@pytest.fixture
def store(papersieve_home: Path) -> Iterator[Store]:
    """The store of this test's PAPERSIEVE_HOME, closed afterwards."""
    with open_store() as opened:
        yield opened


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests listed in tests/slow_tests.py `slow` (left out of `make test-fast`); on
    PostgreSQL (PAPERSIEVE_TEST_DB), leave out the tests marked `sqlite_only`, each of which must
    say why."""
    on_postgres = bool(os.environ.get(TEST_DB_ENV, ""))
    kept, left_out = [], []
    for item in items:
        if item.nodeid.split("[", 1)[0] in SLOW:
            item.add_marker(pytest.mark.slow)
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None and not (marker.kwargs.get("reason") or marker.args):
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason (why SQLite only)")
        defect = item.get_closest_marker("pg_defect")
        if defect is not None and on_postgres:
            item.add_marker(pytest.mark.xfail(reason=f"PostgreSQL: {defect.kwargs['reason']}",
                                              strict=True))
        (left_out if marker is not None and on_postgres else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server's URL for the tests marked `postgres`: PAPERSIEVE_TEST_DB's, else a
    throwaway cluster started for this session (tests/pgcluster.py) and stopped after it."""
    yield from pg_server_for_session()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A PostgreSQL store URL of this test's own (a schema dropped afterwards)."""
    with schema_store(pg_server) as url:
        yield url


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the PostgreSQL schemas of the tests' own stores (tests/pgschemas.store_at)."""
    drop_extra_stores()
