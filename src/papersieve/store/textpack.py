"""Abstracts stored compressed: raw deflate with a preset dictionary of machine-learning prose.

A year of cs.LG + cs.AI holds ~90,000 abstracts of ~1.3 KB; each one compressed alone takes 51%
of its bytes with plain deflate and ~35% with the dictionary (bench/RESULTS.md, issue 16). The
stored value is a tag byte naming the dictionary, then the deflate stream; a TEXT value is an
abstract stored before compression and is read as it is.

SQLite sees the functions of `register`: the `papers` view decompresses with
`papersieve_unpack`, and writes compress with `papersieve_pack` inside the statement, so that
the text still passes through the redacting connection's parameters as text. Since migration 18
an old paper's title, authors and comment may be packed the same way (store/retention.py), and
an old LLM call's list of paper ids.
"""

from __future__ import annotations

import sqlite3
import zlib
from functools import cache
from importlib import resources

from papersieve.errors import StoreError

TAG_V1 = 1
"""`abstracts-v1.zdict` (bench/build_abstract_dictionary.py). Never change a released one."""
DICTIONARIES = {TAG_V1: "abstracts-v1.zdict"}
LEVEL = 9


@cache
def _zdict(tag: int) -> bytes:
    return resources.files("papersieve").joinpath(f"data/{DICTIONARIES[tag]}").read_bytes()


def pack_text(text: str | None) -> bytes | None:
    """`text` compressed with the newest dictionary, tagged; None stays None."""
    if text is None:
        return None
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, _zdict(TAG_V1))
    return bytes([TAG_V1]) + packer.compress(text.encode("utf-8")) + packer.flush()


def pack_smaller(value: bytes | str | None) -> bytes | str | None:
    """`pack_text(value)` where that is shorter than the text's UTF-8 bytes, else the text itself
    (a short title, author list or comment may not shrink); a value packed already, or None, as
    it is. `unpack_text` reads every form."""
    if not isinstance(value, str):
        return value
    packed = pack_text(value)
    return packed if packed is not None and len(packed) < len(value.encode("utf-8")) else value


def unpack_text(value: bytes | str | None) -> str | None:
    """The text of a stored value: packed bytes decompressed, a TEXT value as it is."""
    if value is None or isinstance(value, str):
        return value
    tag = value[0] if value else -1
    if tag not in DICTIONARIES:
        raise StoreError(f"a stored abstract is damaged: unknown packing tag {tag}")
    try:
        unpacker = zlib.decompressobj(-15, _zdict(tag))
        return (unpacker.decompress(value[1:]) + unpacker.flush()).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as err:
        raise StoreError(f"a stored abstract is damaged: {err}") from err


def register(conn: sqlite3.Connection) -> None:
    """Make `papersieve_pack`, `papersieve_pack_smaller` and `papersieve_unpack` known to this
    connection."""
    conn.create_function("papersieve_pack", 1, pack_text, deterministic=True)
    conn.create_function("papersieve_pack_smaller", 1, pack_smaller, deterministic=True)
    conn.create_function("papersieve_unpack", 1, unpack_text, deterministic=True)
