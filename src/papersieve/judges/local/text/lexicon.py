"""What "application-driven" and "foundational" mean, for the fields that have a word list for it.

General code assumes no field: a profile that asks for foundational work over applications
(`wants_foundational`) says what it does not want in its own Irrelevant and Application lines,
which the key phrases and the semantic score already read. A field may add word lists in
`data/lexicons/<field>.toml` (today: machine learning, the seed system's field); they apply only
to a profile whose categories include one of that file's categories (`lexicon_for`).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from papersieve.errors import JudgeError

LEXICONS = Path(__file__).resolve().parents[3] / "data" / "lexicons"
FOUNDATIONAL_WORDS = ("foundational", "application-driven", "theoretical")


@dataclass(frozen=True)
class PriorSettings:
    """How the cold prior combines the profile's parts (`model.scoring.profile_prior`)."""

    semantic_weight: float = 0.75
    """Weight of the standardised semantic score next to the standardised key-phrase score
    (was 0.5; crossfield-dev with the other three settings: 0.9219 at 0.5, 0.9239 at 0.75)."""
    listed_weight: float = 0.2
    """Weight of the standardised "primary category is one of the profile's" indicator
    (`features.listing`). Chosen on the labelled ML days, whose labels are the LLM's picks, not a
    category rule (cold AUC 0.8651-0.8665 at 0.1-0.3 against 0.8633 without); constant, so
    without effect, on a day with no cross-list."""
    phrase_idf: bool = True
    """Key phrases weighed by how rare they are among the day's papers
    (`features.paper.batch_cold_scores`)."""
    semantic_centre: bool = True
    """The semantic score measured against the centre of the profile's relevant lines, else
    against the best single line (`features.dense._similarities`)."""
    pool_days: int = 0
    """Self-train on the unlabelled papers of this many earlier listing days the store holds
    besides the batch's own, and on the profile's likes and dislikes
    (`model.scoring.pooled_prior`); 0: the batch alone."""
    self_train_mix: float = 0.5
    """Weight of each self-trained part (sparse, dense) next to the first guess."""
    against_weight: float = 1.0
    """Weight of the profile's key phrases that count against a paper (its Irrelevant and
    Application lines) next to those that count for it, in the key-phrase score; 0: they do not
    count (nor does a comment name them)."""


GENERAL_PRIOR = PriorSettings()
"""The prior of every profile whose field file does not set its own (issue 25, measured on
crossfield-dev and the ML days: bench/RESULTS.md)."""


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
    prior: PriorSettings = GENERAL_PRIOR
    """How this field's profiles combine their parts (blended with the learned model)."""
    cold_prior: PriorSettings | None = None
    """The prior of this field's profiles while the LLM has judged none of their days (no
    history, or the user's own answers only); None: `prior`."""


def _read(path: Path) -> FieldLexicon:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        lists = {key: tuple(str(w) for w in raw[key]) for key in (
            "categories", "application_words", "theory_words", "theory_categories",
            "application_prefixes")}
        cold = raw.get("cold_prior")
        return FieldLexicon(field=str(raw["field"]), semantic_space=str(raw["semantic_space"]),
                            prior=_prior(raw.get("prior", {})),
                            cold_prior=None if cold is None else _prior(cold), **lists)
    except (OSError, KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as err:
        raise JudgeError(f"cannot read the word lists {path} ({err})") from err


def _prior(raw: dict[str, object]) -> PriorSettings:
    """A field file's `prior` table over the general prior (unknown keys are an error)."""
    unknown = set(raw) - set(PriorSettings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown prior settings {sorted(unknown)}")
    return dataclasses.replace(GENERAL_PRIOR, **raw)  # type: ignore[arg-type]


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
