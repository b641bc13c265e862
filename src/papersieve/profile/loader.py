"""Load, validate and create profile folders.

Precedence: command-line overrides > environment > profile.toml > built-in defaults.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from papersieve import localfiles
from papersieve.authors import normalise_name
from papersieve.endpoints import Endpoints
from papersieve.errors import ConfigError
from papersieve.home import default_profile_dir, outputs_dir
from papersieve.profile.fields import FieldTemplate, field_template
from papersieve.profile.settings import ProfileSettings, StoreSettings

PROMPT_FILES = (
    "system.txt",
    "topics.txt",
    "criteria.txt",
    "instructions_title.txt",
    "instructions_abstract.txt",
)
PROFILE_FILE = "profile.toml"
AUTHORS_FILE = "authors.txt"
PROFILE_FILE_NAMES = (PROFILE_FILE, *PROMPT_FILES, AUTHORS_FILE)
PROFILE_FILE_MAX = 1024 * 1024
"""Largest profile file read (a topics prompt is a few KB; the whole prompt goes to the LLM)."""
"""The files of a profile, in a folder or in the store."""

# Environment variables that override one profile key each.
ENV_OVERRIDES = {
    "PAPERSIEVE_JUDGE": "judge.kind",
    "PAPERSIEVE_MODEL": "judge.model",
    "PAPERSIEVE_CATEGORIES": "categories",
    "PAPERSIEVE_OUT": "outputs.dir",
    "PAPERSIEVE_LLM_TIMEOUT": "judge.timeout",
    "PAPERSIEVE_KEEP_TEXT_DAYS": "store.keep_text_days",
    "PAPERSIEVE_COMPACT_AFTER_DAYS": "store.compact_after_days",
    "PAPERSIEVE_CACHE_FEATURES": "store.cache_features",
    "PAPERSIEVE_SEARCH_INDEX": "store.search_index",
    "PAPERSIEVE_VACUUM_AFTER_RUN": "store.vacuum_after_run",
    "PAPERSIEVE_FOLD_LABEL_WINDOW": "store.fold_label_window",
}


@dataclass(frozen=True)
class PromptFiles:
    """The prompt texts of a profile, each without its trailing newline."""

    system: str
    topics: str
    criteria: str
    instructions_title: str
    instructions_abstract: str

    def digest(self) -> str:
        """A short hash of all prompt texts (recorded with every judgement)."""
        joined = "\x00".join(
            [self.system, self.topics, self.criteria, self.instructions_title,
             self.instructions_abstract]
        )
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PinnedAuthor:
    """One line of authors.txt."""

    name: str
    s2_id: str | None = None

    @property
    def key(self) -> str:
        """Normalised name used for matching."""
        return normalise_name(self.name)


@dataclass(frozen=True)
class Profile:
    """A loaded, validated profile."""

    settings: ProfileSettings
    prompts: PromptFiles
    pinned_authors: tuple[PinnedAuthor, ...]
    folder: Path | None
    endpoints: Endpoints

    @property
    def name(self) -> str:
        """The profile's name."""
        return self.settings.name

    @property
    def output_dir(self) -> Path:
        """Where this profile's outputs go."""
        configured = self.settings.outputs.dir
        if configured:
            path = Path(configured).expanduser()
            if not path.is_absolute() and self.folder is not None:
                path = self.folder / path
            return path
        return outputs_dir(self.name)


def builtin_profile_dir() -> Path:
    """The packaged default profile (read-only)."""
    return Path(str(resources.files("papersieve").joinpath("defaults/profile")))


def load_profile(folder: Path | str | None = None, overrides: dict[str, Any] | None = None) -> Profile:
    """Load a profile folder; None means `$PAPERSIEVE_HOME/profile` if it exists, else the default."""
    path = _choose_folder(folder)
    if folder is not None and not (path / PROFILE_FILE).exists():
        raise ConfigError("no profile.toml in this folder (create one with `papersieve init`)",
                          path=str(path))
    files = read_profile_folder(path)
    is_builtin = path == builtin_profile_dir()
    return _profile(files, lambda name: str(path / name), None if is_builtin else path, overrides)


def store_url_setting(ref: Path | str | None) -> str:
    """The `[store] url` of the profile folder `ref` names (None: `$PAPERSIEVE_HOME/profile`),
    '' when it sets none or `ref` is no folder (a stored profile's lives in the store already).
    Only `[store]` is read: the rest of the file is the command's to check."""
    folder = Path(ref).expanduser() if ref is not None else default_profile_dir()
    path = folder / PROFILE_FILE
    if not path.is_file():
        return ""
    store = _parse_toml(_read_text(path), str(path)).get("store", {})
    if not isinstance(store, dict) or not store.get("url"):
        return ""
    try:
        return StoreSettings.model_validate({"url": store["url"]}).url
    except ValidationError as err:
        raise ConfigError(_message(err.errors()[0]), path=str(path), key="store.url") from err


def profile_from_files(files: Mapping[str, str], name: str,
                       overrides: dict[str, Any] | None = None) -> Profile:
    """A stored profile's files (`store.profiles`) as a Profile named `name`; errors name the
    stored profile and the file, as a folder's name the path."""
    return _profile(files, lambda file: f"stored profile {name}: {file}", None,
                    {**(overrides or {}), "name": name})


def read_profile_folder(folder: Path) -> dict[str, str]:
    """A folder's profile files that exist ({file name: text}), read as UTF-8."""
    return {name: _read_text(folder / name) for name in PROFILE_FILE_NAMES
            if (folder / name).is_file()}


def write_profile_folder(files: Mapping[str, str], folder: Path) -> list[Path]:
    """Write a stored profile's files into `folder` (created); returns the paths written."""
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in PROFILE_FILE_NAMES:
            if name in files:
                (folder / name).write_text(files[name], "utf-8")
                written.append(folder / name)
    except OSError as err:
        raise ConfigError(f"cannot write the profile ({err.strerror or err})",
                          path=str(err.filename or folder)) from err
    return written


def _profile(files: Mapping[str, str], where: Callable[[str], str], folder: Path | None,
             overrides: dict[str, Any] | None) -> Profile:
    raw = _parse_toml(files[PROFILE_FILE], where(PROFILE_FILE)) if PROFILE_FILE in files else {}
    for env_name, dotted in ENV_OVERRIDES.items():
        value = os.environ.get(env_name)
        if value:
            _set_dotted(raw, dotted, value.split(",") if dotted == "categories" else value)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(raw, dotted, value)
    settings = _validate(raw, where(PROFILE_FILE))
    prompts = _read_prompts(files, where)
    authors = _read_authors(files.get(AUTHORS_FILE, ""), where(AUTHORS_FILE))
    endpoints = Endpoints.resolve(settings.endpoints.model_dump())
    return Profile(settings, prompts, authors, folder, endpoints)


def init_profile(folder: Path | str | None = None, *, force: bool = False,
                 field: str | None = None) -> Path:
    """Write an editable copy of the default profile; refuse to overwrite unless `force`. With
    `field` (an arXiv archive or category) the topics and categories are that field's template."""
    template = field_template(field) if field is not None else None
    target = Path(folder).expanduser() if folder is not None else default_profile_dir()
    if (target / PROFILE_FILE).exists() and not force:
        raise ConfigError("a profile already exists here (use --force to overwrite)",
                          path=str(target / PROFILE_FILE))
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source in builtin_profile_dir().iterdir():
            if source.is_file():
                shutil.copyfile(source, target / source.name)
        if template is not None:
            _apply_template(target, template)
        write_workflow(target, force=force)
    except OSError as err:  # a read-only folder or disk, no permission, a file in the way
        where = err.filename or target
        raise ConfigError(f"cannot write the profile ({err.strerror or err})", path=str(where)) from err
    return target


def _apply_template(folder: Path, template: FieldTemplate) -> None:
    """Write a field's topics.txt and set its categories in profile.toml (comments kept)."""
    (folder / "topics.txt").write_text(template.topics, "utf-8")
    settings = folder / PROFILE_FILE
    listed = ", ".join(f'"{c}"' for c in template.categories)
    text = re.sub(r"^categories = \[[^\]]*\]", f"categories = [{listed}]",
                  settings.read_text("utf-8"), count=1, flags=re.M)
    settings.write_text(text, "utf-8")


WORKFLOW_PATH = Path(".github") / "workflows" / "papersieve.yml"


def write_workflow(folder: Path, *, force: bool = False) -> Path:
    """Write the GitHub Actions workflow into `folder/.github/workflows/` (kept if it exists)."""
    target = folder / WORKFLOW_PATH
    if target.exists() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    source = resources.files("papersieve").joinpath("defaults/workflow/papersieve.yml")
    target.write_text(source.read_text("utf-8"), "utf-8")
    return target


def _choose_folder(folder: Path | str | None) -> Path:
    if folder is not None:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise ConfigError("profile folder does not exist", path=str(path))
        return path
    home_profile = default_profile_dir()
    if (home_profile / PROFILE_FILE).exists():
        return home_profile
    return builtin_profile_dir()


def _parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML ({err})", path=where) from err
    except RecursionError as err:  # `a = [[[[...` 1,000 deep
        raise ConfigError("not usable TOML (nested too deeply)", path=where) from err


def _read_text(path: Path) -> str:
    """A profile text file; bytes that are not UTF-8 are a ConfigError naming the file (found by
    tests/test_fuzz_profile.py: they were a UnicodeDecodeError traceback)."""
    try:
        return localfiles.read_text(path, PROFILE_FILE_MAX)
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 text ({err.reason} at byte {err.start})", path=str(path)) from err
    except OSError as err:
        raise ConfigError(f"cannot read ({err.strerror})", path=str(path)) from err


def _set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _validate(raw: dict[str, Any], where: str) -> ProfileSettings:
    try:
        return ProfileSettings.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"] if not isinstance(p, int)) or None
        raise ConfigError(_message(first), path=where, key=key) from err


def _message(error: Any) -> str:
    """A pydantic error's text for a ConfigError (never the value given)."""
    if error["type"] == "extra_forbidden":
        return "unknown key"
    message = str(error["msg"])
    return message[len("Value error, "):] if message.startswith("Value error, ") else message


def _read_prompts(files: Mapping[str, str], where: Callable[[str], str]) -> PromptFiles:
    texts: dict[str, str] = {}
    for name in PROMPT_FILES:
        if name not in files:
            raise ConfigError("missing prompt file", path=where(name))
        text = files[name].rstrip("\n")
        if not text.strip():
            raise ConfigError("prompt file is empty", path=where(name))
        texts[name.removesuffix(".txt")] = text
    return PromptFiles(**texts)


def _read_authors(text: str, where: str) -> tuple[PinnedAuthor, ...]:
    authors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, s2_id = line.partition(",")
        if not name.strip():
            raise ConfigError(f"line {number}: a pinned author needs a name", path=where)
        authors.append(PinnedAuthor(name.strip(), s2_id.strip() or None))
    return tuple(authors)
