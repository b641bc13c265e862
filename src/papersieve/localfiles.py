"""The one bounded reader of files a user names (exports, candidate and feed files, labels,
profile files, a published site's JSON).

`Path.read_bytes()` and a file iterated by lines read whatever the path gives: `import-likes
/dev/zero` filled the memory until the kernel killed the process (no message, exit 137), and a
one-line candidate file of gigabytes did the same. Here a read stops one byte past its limit and
says so as an `OSError` whose `strerror` is "larger than N MB", so every caller's existing
"cannot read (...)" message names the cause in one line.
"""

from __future__ import annotations

import errno
from pathlib import Path

MB = 1024 * 1024
MAX_BYTES = 200 * MB
"""Largest input file by default (a library of 100,000 entries with abstracts is ~150 MB; a
day's candidate file ~2 MB)."""


class FileTooLarge(OSError):
    """A file longer than its reader's limit."""

    def __init__(self, limit: int) -> None:
        shown = f"{limit // MB} MB" if limit % MB == 0 else f"{limit} bytes"
        super().__init__(errno.EFBIG, f"larger than {shown}")
        self.limit = limit


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, or FileTooLarge once it passes `limit` (a device or a pipe included)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(limit)
    return data


def read_text(path: Path, limit: int = MAX_BYTES, *, errors: str = "strict") -> str:
    """The file as UTF-8 text with its line ends read as `open()` reads them ("\\r\\n" and "\\r"
    become "\\n"); a UnicodeDecodeError when it is not UTF-8 and `errors` is "strict"."""
    text = read_bytes(path, limit).decode("utf-8", errors)
    return text.replace("\r\n", "\n").replace("\r", "\n")
