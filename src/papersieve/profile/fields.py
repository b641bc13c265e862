"""A topics template per arXiv field, for `papersieve init --field` (any archive or category).

The descriptions are papersieve's own words for arXiv's archives and categories
(`data/field-descriptions.toml`). An archive with subcategories (astro-ph, cond-mat, math...)
gets one numbered topic per subcategory; a category gets one topic with a placeholder Irrelevant
line. Either way the file follows the default topics.txt's layout
(numbered topics with Relevant / Irrelevant lines, then a Keywords block), with a neutral header:
what counts as irrelevant is for the researcher to edit, not a machine-learning assumption.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from papersieve.errors import ConfigError

HEADER = ("## Relevant Topics\n\nUse the following relevance criteria. Keep **relevant** papers and"
          " filter out **irrelevant** ones.\n")
IRRELEVANT = "Papers that only mention these subjects in passing (replace with what you do not want)"
"""Long enough (more than four words) that the local judge reads no key phrase from it."""
CATCH_ALL = "outside the other subcategories"
"""Words of the descriptions of catch-all categories (cs.OH, math.GM...), left out of archive topics."""


@dataclass(frozen=True)
class FieldTemplate:
    """What `init --field` writes: the profile's categories and its topics.txt."""

    categories: tuple[str, ...]
    topics: str


@lru_cache(maxsize=1)
def descriptions() -> dict[str, tuple[str, str]]:
    """Archive or category -> (name, subjects)."""
    text = resources.files("papersieve").joinpath("data/field-descriptions.toml").read_text("utf-8")
    return {key: (str(v["name"]), str(v["subjects"])) for key, v in tomllib.loads(text).items()}


def _children(archive: str) -> list[str]:
    return [c for c in descriptions() if c.startswith(archive + ".")]


def _subjects(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _topic(number: int, name: str, relevant: str, irrelevant: str) -> str:
    lines = [f"{number}. {name}", f"   - Relevant: {relevant}."]
    if irrelevant:
        lines.append(f"   - Irrelevant: {irrelevant}.")
    return "\n".join(lines)


def _keywords(relevant: list[str], irrelevant: list[str]) -> str:
    lines = ["**Keywords:**", "", f"- Relevant: {', '.join(relevant)}, etc."]
    if irrelevant:
        lines.append(f"- Irrelevant: {', '.join(irrelevant)}, etc.")
    return "\n".join(lines)


def field_template(field: str) -> FieldTemplate:
    """The template for an arXiv archive or category; ConfigError for an unknown one."""
    table = descriptions()
    if field not in table:
        raise ConfigError(f"unknown arXiv field {field!r} (an archive such as astro-ph or a category"
                          " such as astro-ph.HE; see https://arxiv.org/category_taxonomy)")
    children = [c for c in _children(field) if CATCH_ALL not in table[c][1]]
    if "." not in field and children:
        topics = [_topic(i, table[c][0], table[c][1], "") for i, c in enumerate(children, 1)]
        keywords = _keywords([table[c][0] for c in children], [])
    else:
        # Naming the neighbouring categories as irrelevant was tried and cost a lot: their names
        # share words with the field's own papers ("stellar", "superconductivity"), see
        # bench/RESULTS.md. The Irrelevant line is a sentence for the researcher to replace.
        name, subjects = table[field]
        topics = [_topic(1, name, subjects, IRRELEVANT)]
        keywords = _keywords([name, *_subjects(subjects)], [])
    return FieldTemplate((field,), "\n".join([HEADER, "\n\n".join(topics), "", keywords, ""]))
