"""Fuzz the profile loader with hypothesis: random TOML documents (known keys with wild values,
unknown keys, wrong types, broken syntax), wild authors.txt and environment overrides. It either
loads a profile or raises ConfigError with one line that names the file; nothing else escapes."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from papersieve.cli.main import main
from papersieve.errors import ConfigError
from papersieve.profile import init_profile, load_profile
from papersieve.profile.loader import Profile

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
KNOWN = {
    "": ["name", "categories", "announce_types", "primary_only", "show_seen"],
    "judge": ["kind", "model", "base_url", "title_stage", "title_batch", "abstract_batch",
              "max_retries", "calls_per_minute", "concurrency", "cost_cap", "temperature", "seed",
              "target_recall", "local_method"],
    "cutoffs": ["relevance", "novelty"],
    "filters": ["include_keywords", "exclude_keywords", "h_index_floor"],
    "outputs": ["dir", "formats", "site_url"],
    "deliver.slack": ["enabled", "channel"],
    "deliver.email": ["enabled", "host", "port", "security", "sender", "to"],
    "endpoints": ["arxiv_rss", "arxiv_atom", "arxiv_api", "oai_pmh", "semantic_scholar"],
}
SCALARS = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["llm", "local", "hybrid", "cs.AI", "cs.LG", "math.XX", "new", "cross",
                     "markdown", "html", "none", "ssl", "../../etc", "\x00", "me", "-bad name"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4))
ROOT = Path(tempfile.mkdtemp(prefix="fuzz-profile-template-"))


def toml_value(value: Any) -> str:
    """A TOML literal (the standard library reads TOML but does not write it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are TOML basic-string escapes
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A TOML document: some known keys per table, maybe unknown ones, with wild values."""
    lines: list[str] = []
    for table, keys in KNOWN.items():
        chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=3))
        extra = draw(st.lists(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), max_size=1))
        if not chosen and not extra:
            continue
        if table:
            lines.append(f"[{table}]")
        lines += [f"{key} = {toml_value(draw(VALUES))}" for key in chosen + extra]
    return "\n".join(lines) + "\n"


def _bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")


@contextmanager
def profile_folder(toml: str | bytes, authors: str | bytes | None = None,
                   topics: bytes | None = None) -> Iterator[Path]:
    """A copy of the default profile folder with this profile.toml (and authors, topics)."""
    if not (ROOT / "profile.toml").exists():
        init_profile(ROOT, force=True)
    folder = Path(tempfile.mkdtemp(prefix="fuzz-profile-"))
    try:
        shutil.copytree(ROOT, folder, dirs_exist_ok=True)
        (folder / "profile.toml").write_bytes(_bytes(toml))
        if authors is not None:
            (folder / "authors.txt").write_bytes(_bytes(authors))
        if topics is not None:
            (folder / "topics.txt").write_bytes(topics)
        yield folder
    finally:
        shutil.rmtree(folder)


def load_or_clear_error(folder: Path) -> Profile | None:
    try:
        return load_profile(folder)
    except ConfigError as err:
        message = str(err)
        assert message and "\n" not in message, repr(message)
        assert str(folder) in message
        return None


@FUZZ
@given(st.one_of(documents(), st.text(max_size=300), st.binary(max_size=300)))
# 1,000-deep nesting was a RecursionError traceback (issue 17).
@example("categories = " + "[" * 1000 + "]" * 1000)
@example("[cutoffs]\nrelevance = " + "{a = " * 1000 + "1" + "}" * 1000)
@example("[" + ".".join(["a"] * 1000) + "]\nb = 1")
def test_random_profiles_load_or_fail_in_one_line(toml: str) -> None:
    with profile_folder(toml) as folder:
        profile = load_or_clear_error(folder)
    if profile is not None:  # what loads is within the schema's bounds
        s = profile.settings
        assert 0 <= s.cutoffs.relevance <= 10 and 0 <= s.cutoffs.novelty <= 10
        assert 1 <= s.judge.concurrency <= 64 and s.judge.kind in ("llm", "local", "hybrid")
        assert s.categories and all(isinstance(c, str) for c in s.categories)


@FUZZ
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400)),
       st.one_of(st.none(), st.binary(max_size=100)))
# Lines the random draws did not reach: an author line with no name before its Semantic
# Scholar id (its bare ValueError went unnoticed), an empty prompt file, one not UTF-8.
@example(",12345", None)
@example("  , s2", None)
@example("A. Author", b"")
@example("A. Author", b"\xff\xfe")
def test_random_authors_and_prompt_files_load_or_fail_in_one_line(
    authors: str | bytes, topics: bytes | None
) -> None:
    with profile_folder('name = "me"\n', authors, topics) as folder:
        profile = load_or_clear_error(folder)
    if profile is not None:
        # A line such as "," gives an empty name, whose empty key the pin rules skip.
        assert all(isinstance(a.name, str) and isinstance(a.key, str) for a in profile.pinned_authors)


@FUZZ
@given(st.sampled_from(["PAPERSIEVE_JUDGE", "PAPERSIEVE_MODEL", "PAPERSIEVE_CATEGORIES",
                        "PAPERSIEVE_OUT"]),
       st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
               max_size=40))
def test_random_environment_overrides_load_or_fail_in_one_line(name: str, value: str) -> None:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        with profile_folder('name = "me"\n') as folder:
            load_or_clear_error(folder)
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def test_a_deeply_nested_profile_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with profile_folder("categories = " + "[" * 1000 + "]" * 1000) as folder:
        with pytest.raises(SystemExit) as stop:
            main(["fetch", "--profile", str(folder), "--offline", str(folder), "--date", "2025-07-03"])
        assert stop.value.code == 2
        assert capsys.readouterr().err == (
            f"error: {folder / 'profile.toml'}: not usable TOML (nested too deeply)\n")
