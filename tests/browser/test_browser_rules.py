"""The rule for a missing browser: skip on a developer's machine, fail in CI."""

from __future__ import annotations

import pytest

from tests.browser.conftest import _missing


def test_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        _missing("Debian's chromium is not installed")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _missing("Debian's chromium is not installed")
