"""Reading a BibTeX / Zotero export for `import-likes`: bibtexparser 2 splits the file, this module
expands the field values (`@string` macros, `#` concatenation) within a size budget.

Why bibtexparser 2 and not 1.x: 1.x (pyparsing) took 131 s for 10k entries, recursed once per
nested brace (3000 braces in a title: RecursionError) and expanded chained `@string` doublings
(`s1 = s0 # s0`, 40 levels) until the kernel killed it at 17.5 GB. Version 2's splitter walks the
text in one loop; it leaves values raw, and `expand` below resolves them, refusing a value that
grows past `MAX_VALUE` characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from papersieve import localfiles
from papersieve.errors import ConfigError

MAX_VALUE = 100_000
"""Characters one field or `@string` may expand to; a real title or abstract is a few thousand."""

MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May",
    "jun": "June", "jul": "July", "aug": "August", "sep": "September", "oct": "October",
    "nov": "November", "dec": "December",
}
"""The macros every BibTeX style defines (bibtexparser 1.x's `common_strings`)."""


class BibtexValueError(ConfigError):
    """A field value cannot be expanded (an undefined macro, or past the size budget)."""


def read_bibtex(path: Path) -> list[dict[str, Any]]:
    """The entries of a BibTeX file as dicts: field names lower-cased, values expanded, plus
    `id` (the citation key) and `entrytype`.

    A malformed file is an error, not a partial import: any block bibtexparser could not parse
    is reported with its line, and nothing is returned.
    """
    from bibtexparser import model
    from bibtexparser.entrypoint import parse_string

    try:
        text = localfiles.read_text(path, errors="replace")
    except OSError as err:
        raise ConfigError(f"cannot read ({err.strerror})", path=str(path)) from err
    library = parse_string(text, parse_stack=[])
    entries: list[model.Entry] = []
    failed: list[model.Block] = []
    strings: dict[str, str] = dict(MONTHS)
    for found in library.blocks:
        block: model.Block | None = found
        if isinstance(found, (model.DuplicateBlockKeyBlock, model.DuplicateFieldKeyBlock)):
            block = found.ignore_error_block  # a repeated key is still a readable entry
        if block is None or isinstance(block, model.ParsingFailedBlock):
            failed.append(found)
        elif isinstance(block, model.String):
            strings[block.key.lower()] = _expand(block.value, strings, path, f"@string {block.key}")
        elif isinstance(block, model.Entry):
            entries.append(block)
    if failed:
        line = (failed[0].start_line or 0) + 1
        total = len(entries) + len(failed)
        raise ConfigError(f"{len(failed)} of {total} entries could not be read (the first at line"
                          f" {line}): fix or remove them; nothing was imported", path=str(path))
    if not entries:
        raise ConfigError("no BibTeX entry in it (export the library or collection as BibTeX:"
                          " @article{...} records)", path=str(path))
    return [_entry(entry, strings, path) for entry in entries]


def _entry(entry: Any, strings: dict[str, str], path: Path) -> dict[str, Any]:
    values: dict[str, Any] = {"id": entry.key, "entrytype": entry.entry_type}
    for field in entry.fields:
        where = f"entry {entry.key}, field {field.key}"
        values[str(field.key).lower()] = _expand(str(field.value), strings, path, where)
    return values


def _expand(raw: str, strings: dict[str, str], path: Path, where: str) -> str:
    """A raw value (`{text}`, `"text"`, a number, a macro, or pieces joined by `#`) as text."""
    out: list[str] = []
    size = 0
    for piece in split_concatenation(raw):
        if len(piece) >= 2 and piece[0] + piece[-1] in ("{}", '""'):
            text = piece[1:-1]
        elif piece.isdigit():
            text = piece
        elif piece.lower() in strings:
            text = strings[piece.lower()]
        else:
            raise BibtexValueError(f"{where}: undefined @string macro {piece.lower()!r} (a value"
                                   " needs braces or quotes): nothing was imported", path=str(path))
        size += len(text)
        if size > MAX_VALUE:
            raise BibtexValueError(f"{where}: the value grows past {MAX_VALUE:,} characters"
                                   " (chained @string macros?): nothing was imported", path=str(path))
        out.append(text)
    return "".join(out)


def split_concatenation(raw: str) -> list[str]:
    """The pieces of a value joined by `#` outside braces and quotes, each stripped."""
    if "#" not in raw:
        return [raw.strip()] if raw.strip() else []
    pieces: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, char in enumerate(raw):
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            pieces.append(raw[start:i].strip())
            start = i + 1
    pieces.append(raw[start:].strip())
    return [piece for piece in pieces if piece]
