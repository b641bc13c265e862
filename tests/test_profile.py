"""Profiles: defaults, precedence (flag > environment > file > defaults) and one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from papersieve.endpoints import Endpoints
from papersieve.errors import ConfigError
from papersieve.profile import PROMPT_FILES, init_profile, load_profile
from papersieve.profile.loader import builtin_profile_dir


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return init_profile(tmp_path / "profile")


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "profile.toml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_default_profile_is_the_seed_system() -> None:
    profile = load_profile()
    settings = profile.settings
    assert settings.categories == ("cs.LG", "cs.AI")
    assert settings.announce_types == ("new", "cross") and settings.primary_only is False
    assert (settings.cutoffs.relevance, settings.cutoffs.novelty) == (8, 7)
    assert settings.judge.model == ""  # gpt-4o on OpenAI's API, a local server's own model elsewhere
    assert profile.folder is None and profile.name == "default"
    assert profile.endpoints.rss_url("cs.LG") == "https://rss.arxiv.org/rss/cs.LG"


def test_init_writes_an_editable_copy(folder: Path) -> None:
    names = {p.name for p in folder.iterdir()}
    assert {"profile.toml", "authors.txt", *PROMPT_FILES} <= names
    edit(folder, 'categories = ["cs.LG", "cs.AI"]', 'categories = ["cs.CL"]')
    (folder / "topics.txt").write_text("My topics\n", "utf-8")
    profile = load_profile(folder)
    assert profile.settings.categories == ("cs.CL",)
    assert profile.prompts.topics == "My topics" and profile.folder == folder
    assert profile.prompts.digest() != load_profile().prompts.digest()


def test_init_refuses_to_overwrite(folder: Path) -> None:
    with pytest.raises(ConfigError, match=r"already exists.*--force"):
        init_profile(folder)
    assert init_profile(folder, force=True) == folder


def test_home_profile_is_the_default_when_present(papersieve_home: Path) -> None:
    init_profile()
    edit(papersieve_home / "profile", 'name = "default"', 'name = "mine"')
    assert load_profile().name == "mine"


def test_precedence_flag_over_environment_over_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(folder, 'model = ""', 'model = "from-file"')
    assert load_profile(folder).settings.judge.model == "from-file"
    monkeypatch.setenv("PAPERSIEVE_MODEL", "from-env")
    monkeypatch.setenv("PAPERSIEVE_CATEGORIES", "stat.ML,cs.LG")
    profile = load_profile(folder)
    assert profile.settings.judge.model == "from-env"
    assert profile.settings.categories == ("stat.ML", "cs.LG")
    flagged = load_profile(folder, {"judge.model": "from-flag", "categories": ["cs.AI"]})
    assert flagged.settings.judge.model == "from-flag"
    assert flagged.settings.categories == ("cs.AI",)


def test_endpoints_environment_over_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (folder / "profile.toml").write_text(
        (folder / "profile.toml").read_text("utf-8")
        + '\n[endpoints]\narxiv_rss = "http://mirror.example/rss/{category}"\n', "utf-8")
    assert load_profile(folder).endpoints.rss_url("cs.AI") == "http://mirror.example/rss/cs.AI"
    monkeypatch.setenv("PAPERSIEVE_ARXIV_RSS_URL", "http://127.0.0.1:9/feed/{category}.xml")
    assert load_profile(folder).endpoints.rss_url("cs.AI") == "http://127.0.0.1:9/feed/cs.AI.xml"
    assert Endpoints.resolve().rss_url("cs.AI") == "http://127.0.0.1:9/feed/cs.AI.xml"


def empty(path: Path) -> None:
    path.write_text("\n\n", "utf-8")


BAD: list[tuple[str, Callable[[Path], None], str, str | None]] = [
    ("unknown category",
     lambda f: edit(f, 'categories = ["cs.LG", "cs.AI"]', 'categories = ["cs.LG", "cs.XX"]'),
     "profile.toml: categories: unknown arXiv category 'cs.XX'", "categories"),
    ("no category", lambda f: edit(f, 'categories = ["cs.LG", "cs.AI"]', "categories = []"),
     "profile.toml: categories: at least one category is needed", "categories"),
    ("cutoff above 10", lambda f: edit(f, "relevance = 8", "relevance = 11"),
     "profile.toml: cutoffs.relevance: Input should be less than or equal to 10",
     "cutoffs.relevance"),
    ("cutoff not a number", lambda f: edit(f, "novelty = 7", 'novelty = "high"'),
     "profile.toml: cutoffs.novelty: Input should be a valid number", "cutoffs.novelty"),
    ("unknown key", lambda f: edit(f, "primary_only = false", "primary_only = false\ncolour = 1"),
     "profile.toml: colour: unknown key", "colour"),
    ("unknown nested key", lambda f: edit(f, "[cutoffs]", "[cutoffs]\nsurprise = 3"),
     "profile.toml: cutoffs.surprise: unknown key", "cutoffs.surprise"),
    ("bad announce type", lambda f: edit(f, 'announce_types = ["new", "cross"]',
                                         'announce_types = ["new", "old"]'),
     "profile.toml: announce_types: Input should be 'new', 'cross', 'replace' or 'replace-cross'",
     "announce_types"),
    ("malformed TOML", lambda f: edit(f, "[cutoffs]", "[cutoffs"),
     "profile.toml: not valid TOML (Expected ']' at the end of a table declaration", None),
    ("missing prompt file", lambda f: (f / "topics.txt").unlink(),
     "topics.txt: missing prompt file", None),
    ("empty prompt file", lambda f: empty(f / "criteria.txt"),
     "criteria.txt: prompt file is empty", None),
]


@pytest.mark.parametrize("case, change, message, key", BAD, ids=[b[0] for b in BAD])
def test_config_errors_are_one_line_naming_file_and_key(
    folder: Path, case: str, change: Callable[[Path], None], message: str, key: str | None
) -> None:
    change(folder)
    with pytest.raises(ConfigError) as info:
        load_profile(folder)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(str(folder) + "/") and message in text
    assert info.value.key == key
    assert info.value.path is not None and Path(info.value.path).parent == folder


def test_missing_folder_and_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="profile folder does not exist"):
        load_profile(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"no profile\.toml in this folder"):
        load_profile(tmp_path / "empty")


def test_builtin_default_files_are_complete() -> None:
    folder = builtin_profile_dir()
    for name in PROMPT_FILES:
        assert (folder / name).read_text("utf-8").strip(), name


def test_a_pinned_author_without_a_name_is_a_one_line_error(tmp_path: Path) -> None:
    folder = init_profile(tmp_path / "p")
    (folder / "authors.txt").write_text("Ada Lovelace\n, 12345\n", "utf-8")
    with pytest.raises(ConfigError, match=r"authors.txt: line 2: a pinned author needs a name"):
        load_profile(folder)
