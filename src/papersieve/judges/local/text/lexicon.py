"""What "application-driven" and "foundational" mean, for the fields that have a word list for it.

General code assumes no field: a profile that asks for foundational work over applications
(`wants_foundational`) says what it does not want in its own Irrelevant and Application lines,
which the key phrases and the semantic score already read. A field may add word lists in
`data/lexicons/<field>.toml` (today: machine learning, the seed system's field); they apply only
to a profile whose categories include one of that file's categories (`lexicon_for`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from papersieve.errors import JudgeError

LEXICONS = Path(__file__).resolve().parents[3] / "data" / "lexicons"
FOUNDATIONAL_WORDS = ("foundational", "application-driven", "theoretical")


@dataclass(frozen=True)
class FieldLexicon:
    """One field's word lists (see data/lexicons/)."""

    field: str
    categories: tuple[str, ...]
    """A profile with one of these categories is in the field."""
    application_words: tuple[str, ...]
    theory_words: tuple[str, ...]
    theory_categories: tuple[str, ...]
    application_prefixes: tuple[str, ...]
    semantic_space: str
    """The shipped semantic space this field's profiles use."""


def _read(path: Path) -> FieldLexicon:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        lists = {key: tuple(str(w) for w in raw[key]) for key in (
            "categories", "application_words", "theory_words", "theory_categories",
            "application_prefixes")}
        return FieldLexicon(field=str(raw["field"]), semantic_space=str(raw["semantic_space"]),
                            **lists)
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as err:
        raise JudgeError(f"cannot read the word lists {path} ({err})") from err


@lru_cache(maxsize=1)
def field_lexicons() -> tuple[FieldLexicon, ...]:
    """Every shipped field's word lists, in file name order."""
    return tuple(_read(p) for p in sorted(LEXICONS.glob("*.toml")))


def lexicon_for(categories: Sequence[str]) -> FieldLexicon | None:
    """The word lists of the first field the profile's categories belong to, or None."""
    chosen = set(categories)
    return next((lex for lex in field_lexicons() if chosen.intersection(lex.categories)), None)


def wants_foundational(topics_text: str) -> bool:
    """True when the topics text asks for foundational work or to avoid application-driven work."""
    lowered = topics_text.lower()
    return any(word in lowered for word in FOUNDATIONAL_WORDS)
