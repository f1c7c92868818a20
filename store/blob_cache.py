"""A worker's verified local copies of object-store blobs, bounded in total size (LRU by mtime).

core.audio decodes files, so a worker copies a blob to its own disk first. A copy is written to a
temporary file, hashed on the way, and renamed into place only when its sha256 matches its name; the
least recently used copies are deleted once the directory passes ``max_bytes``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from core.errors import BlobHashMismatch
from store.blobs import check_sha256

_CHUNK = 1 << 20


class LocalCopies:
    """Files under ``root/ab/abcdef...``; safe for the processes of one worker sharing ``root``."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / check_sha256(sha256)

    def get(self, sha256: str, fetch: Callable[[], IO[bytes]]) -> tuple[Path, bool]:
        """The local copy of ``sha256`` and whether it was already here (a hit); ``fetch`` opens the bytes."""
        path = self.path(sha256)
        if path.is_file():
            os.utime(path)
            return path, True
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".download-")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as tmp, fetch() as body:
                for chunk in iter(lambda: body.read(_CHUNK), b""):
                    digest.update(chunk)
                    tmp.write(chunk)
            if digest.hexdigest() != sha256:
                raise BlobHashMismatch(f"blob {sha256} in the object store has sha256 {digest.hexdigest()}")
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self.trim(keep=path)
        return path, False

    def trim(self, *, keep: Path | None = None) -> None:
        """Delete the least recently used copies until the directory fits ``max_bytes``."""
        files = []
        for p in self.root.glob("??/*"):
            if p.name.startswith("."):
                continue
            try:
                files.append((p.stat().st_mtime, p.stat().st_size, p))
            except FileNotFoundError:  # another process of this worker trimmed it meanwhile
                continue
        total = sum(size for _, size, _ in files)
        for _, size, p in sorted(files):
            if total <= self.max_bytes:
                break
            if p != keep:
                total -= size
                p.unlink(missing_ok=True)

    def discard(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)
