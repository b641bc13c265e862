"""`papersieve demo`: a real bundled day, offline, with no key, and where the files are."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from papersieve.cli.main import main


def test_demo_writes_the_digest_of_a_real_day_offline(papersieve_home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the demo must not open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    result = CliRunner().invoke(click.Command("papersieve", callback=lambda: main(["demo"])), [])
    assert result.exit_code == 0, result.output
    out = papersieve_home / "out" / "demo"
    md = out / "2025-07" / "2025-07-03.md"
    assert f"Digest: {md}\n" in result.stdout
    assert f"Web page: {out / '2025-07' / '2025-07-03.html'}\n" in result.stdout
    assert "Papers: 272 listed, 272 scanned, 215 unique, 215 candidates\n" in result.stdout
    text = md.read_text("utf-8")
    assert text.startswith("# Personalized Daily ArXiv Papers 2025-07-03\n\n| *[local-tfidf-v")
    assert "**Novelty:** n/a (local judge)" in text
    data = json.loads((out / "latest.json").read_text("utf-8"))
    assert data["judge"] == "local" and len(data["candidates"]) == 215
    assert len(data["picks"]) == data["counts"]["relevant"] > 0
    assert (out / "index.html").is_file() and (out / "feed.atom").is_file()


def test_demo_twice_gives_the_same_digest(papersieve_home: Path) -> None:
    invoke = lambda: CliRunner().invoke(click.Command("p", callback=lambda: main(["demo"])), [])  # noqa: E731
    assert invoke().exit_code == 0
    md = papersieve_home / "out" / "demo" / "2025-07" / "2025-07-03.md"
    first = md.read_text("utf-8")
    assert invoke().exit_code == 0
    assert md.read_text("utf-8") == first
