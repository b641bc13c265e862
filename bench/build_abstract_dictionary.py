"""Build the preset dictionary that the store compresses abstracts with
(`src/papersieve/data/abstracts-v1.zdict`, used by `store/textpack.py`).

Source: the abstracts of the unlabelled candidate files of the listing days after 2025-07-03 in
`shared/data/realworld/daizedong-gpt4o-period/candidates/` (cs.LG and cs.AI, new and
cross-listed, ~11,700 papers; arXiv metadata, CC0). The 25 days of `data/candidates`, which
`bench/store_size.py` measures with, are left out, so that the bench's ratio is one of unseen text.

The dictionary is the words and word pairs that cover most bytes (count x length, at least 5
occurrences), the most valuable last (deflate reaches the end of its 32 KB window at the shortest
distances). A released dictionary never changes: rows compressed with it name it by a tag byte,
and a new one gets a new file and a new tag.

    .venv/bin/python bench/build_abstract_dictionary.py [--corpus DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import zlib
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "realworld" / "daizedong-gpt4o-period" / "candidates"
DEFAULT_OUT = REPO / "src" / "papersieve" / "data" / "abstracts-v1.zdict"
FIRST_DAY = "2025-07-04"
"""Candidate files of this listing day and later are read (the bench's days are earlier)."""
SIZE = 32 * 1024
"""Deflate's window: a longer dictionary is cut to its last 32 KB."""


def abstracts(corpus: Path) -> list[str]:
    """Every distinct paper's abstract of the corpus days, in file order."""
    seen: dict[str, str] = {}
    for path in sorted(corpus.glob("arxiv-*.jsonl")):
        if path.name[6:16] < FIRST_DAY:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            seen.setdefault(record["id"], record["abstract"])
    return list(seen.values())


def dictionary(texts: list[str], size: int = SIZE) -> bytes:
    """The words and word pairs worth most bytes, least valuable first, at most `size` bytes."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = text.split()
        counts.update(words)
        counts.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    ranked = sorted(((n * (len(k) + 1), k) for k, n in counts.items() if n >= 5), reverse=True)
    chosen: list[bytes] = []
    used = 0
    for _, key in ranked:
        piece = f"{key} ".encode()
        if used + len(piece) <= size:
            chosen.append(piece)
            used += len(piece)
    return b"".join(reversed(chosen))


def ratio(texts: list[str], zdict: bytes) -> float:
    """Compressed bytes / UTF-8 bytes of `texts`, each compressed alone (level 9, raw deflate)."""
    raw = packed = 0
    for text in texts:
        data = text.encode()
        packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
        raw += len(data)
        packed += len(packer.compress(data) + packer.flush())
    return packed / raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    texts = abstracts(args.corpus)
    zdict = dictionary(texts)
    args.out.write_bytes(zdict)
    print(f"{len(texts)} abstracts -> {len(zdict)} bytes in {args.out}")
    print(f"on themselves: {ratio(texts, b''):.3f} without, {ratio(texts, zdict):.3f} with it")


if __name__ == "__main__":
    main()
