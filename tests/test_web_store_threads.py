"""Each thread of the web app works on its own store connection (web/context.Stores).

An async handler passed `store_of(request)`, opened on the event loop's thread, to a worker
thread (`run_in_threadpool`) while the event loop kept using that connection for the next
request's member look-up: two threads in one SQLite connection. CI hung for good on it (the
browser test that previews topics: one thread held the connection's mutex waiting for the GIL,
the other held the GIL waiting for the mutex). Here every store-taking function those handlers
call in a worker checks that the store it is given is its own thread's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from papersieve.store import accounts as stored
from papersieve.web import accounts, collections
from papersieve.web.app import create_app
from papersieve.web.routes import accounts as account_routes
from tests.groupdata import SESSION_KEY, GroupData, build_group_store
from tests.test_web_accounts import BASE, csrf_of, invite_link, join, sign_in


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> GroupData:
    return build_group_store(tmp_path_factory.mktemp("group") / "store.db")


def test_a_worker_thread_is_given_its_own_store(group: GroupData,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(group.path, group=True, session_key=SESSION_KEY)
    foreign: list[str] = []

    def own_store(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def checked(store: Any, *args: Any, **kwargs: Any) -> Any:
            if store is not app.state.stores.get():
                foreign.append(f"{name} in {threading.current_thread().name}")
            return func(store, *args, **kwargs)
        return checked

    for module, name in ((accounts, "verify"), (accounts, "new_invite"),
                         (accounts, "accept_invite"), (stored, "end_sessions"),
                         (collections, "file_paper"), (account_routes, "preview"),
                         (account_routes, "save_profile")):
        monkeypatch.setattr(module, name, own_store(name, getattr(module, name)))
    with TestClient(app, base_url=BASE) as client:
        csrf = sign_in(client, "alice")
        topics = {"topics": "1. Quantization of large language models.\n", "csrf_token": csrf}
        assert client.post("/account/profile/alice/preview", data=topics).status_code == 200
        assert client.post("/account/profile/alice", data=topics).status_code == 200
        filed = client.post("/collections/file", data={
            "paper_id": group.picks["alice"][0], "collection": "mine", "profile": "alice",
            "csrf_token": csrf}, follow_redirects=False)
        assert filed.status_code in (200, 303)
        client.post("/logout", data={"csrf_token": csrf})
        sign_in(client, "ada")
        link = invite_link(client)
        client.post("/logout", data={"csrf_token": csrf_of(client.get("/account").text)})
        assert join(client, link, "carol", "carol-password-123") == 303
    assert foreign == []

