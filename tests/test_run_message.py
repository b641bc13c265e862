"""The run's one-line message (runs page, the day's page note): "1 pick", not "1 picks"
(session 13's trial: a member with one pick read "1 picks of 4 candidates" at the top of her
day). The two papers are from data/candidates (the real cs.LG + cs.AI listing of 2025-07-03)."""

from __future__ import annotations

from pathlib import Path

from papersieve.cli.main import main
from papersieve.profile.loader import init_profile
from papersieve.store import open_store
from tests.conftest import DATA

DAY = "arxiv-2025-07-03-cs.LG+cs.AI.jsonl"
PAPERS = ('"2507.01027"', '"2507.01547"')  # a quantization paper and a remote-sensing review


def test_a_day_with_one_pick_says_one_pick(tmp_path: Path) -> None:
    offline = tmp_path / "candidates"
    offline.mkdir()
    lines = (DATA / "candidates" / DAY).read_text("utf-8").splitlines()
    (offline / DAY).write_text("".join(f"{line}\n" for line in lines
                                       if line.startswith(tuple(f'{{"id": {p}' for p in PAPERS))),
                               "utf-8")
    folder = init_profile(tmp_path / "profile")
    toml = (folder / "profile.toml").read_text("utf-8")
    (folder / "profile.toml").write_text(toml.replace('kind = "llm"', 'kind = "local"', 1), "utf-8")
    assert main(["run", "--profile", str(folder), "--offline", str(offline),
                 "--date", "2025-07-03"]) in (0, None)
    with open_store() as store:
        [message] = [r[0] for r in store.conn.execute("SELECT message FROM runs")]
    assert message == "1 pick of 2 candidates"
