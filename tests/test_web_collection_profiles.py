"""Collections belong to one profile (issue 21), as likes do: filing from a digest files under
that digest's profile, two profiles may each have a collection of the same name, every page and
export takes `?profile=`; migration 15 keeps existing collections, each with the profile it was
filed from."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from papersieve.models import DayCounts, Outcome, Usage
from papersieve.store import open_store
from papersieve.store.db import _statements
from papersieve.store.migrations import MIGRATIONS
from papersieve.store.runs import finish_run, record_outcomes, start_run
from papersieve.store.textpack import register
from papersieve.web.app import create_app
from tests.test_web_collections import csrf
from tests.webdata import DAYS, WebData, build_store

BASE = "http://127.0.0.1:8000"
OTHER = "coral"


@pytest.fixture()
def data(tmp_path: Path) -> WebData:
    data = build_store(tmp_path / "store.db")
    with open_store(data.path) as store:  # a second profile with a finished run of the later day
        run_id = start_run(store, OTHER, DAYS[-1], "local")
        picks = data.picks[DAYS[-1].isoformat()][2:6]
        record_outcomes(store, run_id, [(p, Outcome.JUDGED, None, True, i) for i, p in enumerate(picks, 1)])
        finish_run(store, run_id, "done", DayCounts(4, 4, 4, 4), Usage(0, 0, 0, 0.0, 0.0))
    return data


@pytest.fixture()
def client(data: WebData) -> Iterator[TestClient]:
    with TestClient(create_app(data.path, token=""), base_url=BASE) as test_client:
        yield test_client


def file(client: TestClient, paper_id: str, name: str, profile: str = "") -> str:
    reply = client.post("/collections/file", data={"paper_id": paper_id, "collection": name,
                                                   "profile": profile},
                        headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"})
    assert reply.status_code == 200, reply.text
    return reply.text


def test_a_digest_files_under_its_profile_and_profiles_keep_their_own(client: TestClient,
                                                                       data: WebData) -> None:
    digest = client.get(f"/?profile={OTHER}").text
    forms = re.findall(r'<form class="file".*?</form>', digest, re.S)
    assert forms and all(f'name="profile" value="{OTHER}"' in f for f in forms)
    mine, theirs = data.picks[DAYS[0].isoformat()][:2], data.picks[DAYS[-1].isoformat()][2:5]
    assert [file(client, paper_id, "Reading").count(" paper") for paper_id in mine] == [1, 1]
    answers = [file(client, paper_id, "reading", OTHER) for paper_id in theirs]
    assert f'href="/collection/Reading?profile={OTHER}"' not in answers[-1]  # the name filed first
    assert f'href="/collection/reading?profile={OTHER}">reading</a> (3 papers)' in answers[-1]
    served = client.get("/collection/Reading").text
    assert sorted(re.findall(r'<article class="paper" id="p-([^"]+)"', served)) == sorted(mine)
    other = client.get(f"/collection/Reading?profile={OTHER}").text
    assert sorted(re.findall(r'<article class="paper" id="p-([^"]+)"', other)) == sorted(theirs)
    # A like, a filing or a take-out on the other profile's collection page stays on that profile.
    assert other.count(f'name="profile" value="{OTHER}"') == 3 * len(theirs)
    index = client.get("/collections").text
    assert 'href="/collection/Reading"' in index
    assert f'href="/collections?profile={OTHER}">{OTHER}</a> (1)' in index
    theirs_index = client.get(f"/collections?profile={OTHER}").text
    assert f'href="/collection/reading/csl-json?profile={OTHER}"' in theirs_index
    csl = json.loads(client.get(f"/collection/reading/csl-json?profile={OTHER}").text)
    assert sorted(r["id"] for r in csl) == sorted(theirs)
    csl = json.loads(client.get("/collection/Reading/csl-json").text)
    assert sorted(r["id"] for r in csl) == sorted(mine)


def test_an_unknown_profile_is_a_one_line_error(client: TestClient, data: WebData) -> None:
    paper_id = data.picks[DAYS[0].isoformat()][0]
    reply = client.post("/collections/file", data={"paper_id": paper_id, "collection": "x",
                                                   "profile": "nobody"},
                        headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"})
    assert reply.status_code == 400 and "no profile named &#39;nobody&#39; here" in reply.text
    assert client.get("/collections?profile=nobody").status_code == 400
    assert client.get("/likes/bibtex?profile=nobody").status_code == 400
    with open_store(data.path) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM collections").fetchone()[0] == 0


def _v11_store(path: Path) -> None:
    conn = sqlite3.connect(path)
    register(conn)  # the papersieve_pack() the papers view writes through (V8)
    conn.execute("PRAGMA foreign_keys=ON")
    for script in MIGRATIONS[:11]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 11")
    for pid in ("2507.00001", "2507.00002", "2507.00003"):
        conn.execute("INSERT INTO papers (id, title, abstract, authors, categories, content_hash,"
                     " updated_at) VALUES (?, 'T', 'A', '[]', '[]', 'h', 'x')", (pid,))
    conn.execute("INSERT INTO runs (id, profile, date, judge, status, started_at) VALUES"
                 " (1, 'demo', '2025-07-03', 'local', 'done', '2025-07-04T08:00:00Z'),"
                 " (2, 'late', '2025-07-04', 'local', 'done', '2025-07-05T08:00:00Z')")
    conn.execute("INSERT INTO run_candidates (run_id, paper_id, outcome) VALUES"
                 " (1, '2507.00001', 'judged'), (2, '2507.00001', 'judged'), (2, '2507.00002', 'judged')")
    conn.execute("INSERT INTO collections (id, name, created_at) VALUES"
                 " (1, 'Filed from demo', '2025-07-04T09:00:00Z'), (2, 'No run', '2025-07-04T09:00:00Z')")
    conn.execute("INSERT INTO collection_papers (collection_id, paper_id, added_at) VALUES"
                 " (1, '2507.00001', '2025-07-04T09:00:00Z'), (1, '2507.00002', '2025-07-06T09:00:00Z'),"
                 " (2, '2507.00003', '2025-07-04T09:00:00Z')")
    conn.commit()
    conn.close()


@pytest.mark.sqlite_only(reason="builds a version-11 SQLite file by hand to migrate it")
def test_migration_15_keeps_collections_with_the_profile_they_were_filed_from(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _v11_store(path)
    with open_store(path) as store:
        rows = [tuple(r) for r in store.conn.execute(
            "SELECT c.id, c.profile, c.name, p.paper_id FROM collections c"
            " JOIN collection_papers p ON p.collection_id = c.id ORDER BY c.id, p.paper_id")]
        # The first paper filed was a candidate of demo's run then (not of the later run); a
        # collection whose papers no run showed goes to `default`.
        assert rows == [(1, "demo", "Filed from demo", "2507.00001"),
                        (1, "demo", "Filed from demo", "2507.00002"),
                        (2, "default", "No run", "2507.00003")]
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        store.conn.execute("INSERT INTO collections (profile, name, created_at) VALUES ('late',"
                           " 'filed from DEMO', 'x')")  # the same name on another profile
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute("INSERT INTO collections (profile, name, created_at) VALUES ('demo',"
                               " 'filed from DEMO', 'x')")
        store.conn.execute("DELETE FROM collections WHERE id = 1")  # papers go with it
        assert store.conn.execute("SELECT COUNT(*) FROM collection_papers").fetchone()[0] == 1


def test_take_a_paper_out_from_the_collection_page(client: TestClient, data: WebData) -> None:
    theirs = data.picks[DAYS[-1].isoformat()][2:4]
    for paper_id in theirs:
        file(client, paper_id, "Short", OTHER)
        file(client, paper_id, "Short")  # the served profile's own collection of the same name
    page = client.get(f"/collection/Short?profile={OTHER}").text
    form = re.findall(r'<form class="take-out" method="post" action="/collections/file">(.*?)</form>',
                      page, re.S)[0]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert fields["profile"] == OTHER and fields["remove"] == "1"
    assert "Take out of Short" in form
    reply = client.post("/collections/file", data=fields, follow_redirects=False)  # no JavaScript
    assert reply.status_code == 303 and reply.headers["location"] == f"/collection/Short?profile={OTHER}"
    after = client.get(reply.headers["location"]).text
    assert re.findall(r'<article class="paper" id="p-([^"]+)"', after) == [p for p in theirs
                                                                          if p != fields["paper_id"]]
    assert len(re.findall(r'<article class="paper"', client.get("/collection/Short").text)) == 2


@pytest.mark.sqlite_only(reason="builds a version-11 SQLite file by hand to migrate it")
def test_migration_15_flags_the_stored_papers_that_name_their_code(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _v11_store(path)
    conn = sqlite3.connect(path)
    register(conn)
    conn.execute("UPDATE papers SET abstract = 'Code: https://github.com/owner/repo.'"
                 " WHERE id = '2507.00002'")
    conn.execute("UPDATE papers SET comment = 'see gitlab.com/group/project' WHERE id = '2507.00003'")
    conn.commit()
    conn.close()
    with open_store(path) as store:
        flags = dict(store.conn.execute("SELECT id, has_code FROM papers_data ORDER BY id").fetchall())
    assert flags == {"2507.00001": 0, "2507.00002": 1, "2507.00003": 1}
