"""The slow list names real tests, and the markers `make test-fast` leaves out are registered."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO
from tests.slow_tests import SLOW


def test_every_slow_test_named_exists() -> None:
    for name in sorted(SLOW):
        path, function = name.split("::")
        assert f"def {function}(" in (REPO / path).read_text("utf-8"), name


def test_the_fast_subsets_markers_are_registered() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    markers = {m.split(":")[0] for m in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert markers >= {"browser", "real_llm", "slow"}
    makefile = (REPO / "Makefile").read_text("utf-8")
    assert 'FAST := not browser and not real_llm and not slow' in makefile
