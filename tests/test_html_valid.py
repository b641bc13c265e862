"""Every kind of page the web app serves, and the static site's pages, pass the Nu HTML checker
(vnu.jar from the `vnu-jar` npm package, run by Java) with no error.

.ci/run installs both and sets PAPERSIEVE_VNU_JAR; elsewhere the test skips without them (and fails
in CI, where they must be there)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from papersieve.store import open_store
from papersieve.web.app import create_app
from papersieve.web.collections import file_paper
from tests.conftest import REPO
from tests.webdata import DAYS, HOSTILE_IDS, build_store

pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1:8000"


def vnu_command() -> list[str]:
    jar = os.environ.get("PAPERSIEVE_VNU_JAR", "")
    java = shutil.which("java")
    if not jar or not Path(jar).is_file() or java is None:
        reason = "the Nu HTML checker is not here (PAPERSIEVE_VNU_JAR and java)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run it (.ci/run installs it)")
        pytest.skip(reason)
    return [java, "-Xss4m", "-jar", jar, "--errors-only", "--format", "json"]


def web_pages(store_path: Path) -> dict[str, str]:
    data = build_store(store_path)
    first = DAYS[0].isoformat()
    paths = {
        "today": "/", "run-all": f"/run/{data.runs[first]}?all=1", "runs": "/runs",
        "archive": "/archive", "search-empty": "/search", "search": "/search?q=learning+OR+alert",
        "search-error": "/search?q=%22", "paper": f"/paper/{data.picks[first][0]}",
        "hostile": f"/paper/{HOSTILE_IDS[1]}", "not-found": "/paper/9999.99999",
        "similar": f"/similar/{data.picks[first][0]}", "collections": "/collections",
        "collection": "/collection/Reading%20group",
    }
    # data.path: the store build_store made (this SQLite file, or a schema under PAPERSIEVE_TEST_DB).
    with open_store(data.path) as store:
        for paper_id in (data.picks[first][0], HOSTILE_IDS[0]):
            file_paper(store, "Reading group", paper_id, "default")
    with TestClient(create_app(data.path, token=""), base_url=BASE) as client:
        return {name: client.get(path).text for name, path in paths.items()}


def static_pages() -> dict[str, str]:
    golden = REPO / "tests" / "golden"
    return {f"site-{p.stem}": p.read_text("utf-8") for p in sorted(golden.glob("*.html"))}


def test_every_page_is_valid_html(tmp_path: Path) -> None:
    command = vnu_command()
    pages = {**web_pages(tmp_path / "store.db"), **static_pages()}
    files = []
    for name, html in pages.items():
        target = tmp_path / f"{name}.html"
        target.write_text(html, "utf-8")
        files.append(str(target))
    done = subprocess.run([*command, *files], capture_output=True, text=True, timeout=600, check=False)
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    errors = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
              if m.get("type") == "error" or m.get("subType") == "fatal"]
    assert errors == [], "\n".join(errors[:40])
    assert len(files) == len(pages) >= 17
