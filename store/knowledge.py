"""Ask's files: the knowledge base (data/knowledge) and the embeddings kept between processes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core.ask import KnowledgeBase, parse_knowledge

#: data/knowledge in the repository.
KNOWLEDGE_DIR = Path(__file__).resolve().parents[1] / "data" / "knowledge"


def read_knowledge(directory: Path | str | None = None) -> KnowledgeBase:
    """Every ``*.jsonl`` of ``directory`` (default data/knowledge) with its sources.json, validated."""
    root = Path(directory) if directory is not None else KNOWLEDGE_DIR
    files = [(path.name, path.read_bytes()) for path in root.glob("*.jsonl")]
    return parse_knowledge((root / "sources.json").read_bytes(), files)


class FileVectorCache:
    """Embeddings as ``<directory>/<name>.npy`` (never pickled), written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def get(self, name: str) -> np.ndarray | None:
        path = self.directory / f"{name}.npy"
        if not path.exists():
            return None
        try:
            return np.asarray(np.load(path, allow_pickle=False))
        except (OSError, ValueError):
            return None  # a damaged file is computed again and replaced

    def put(self, name: str, vectors: np.ndarray) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.npy"
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors, allow_pickle=False)
        os.replace(tmp, path)  # concurrent processes never read half a file
