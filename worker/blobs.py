"""Content-addressed blob store: uploads are written once, named by their sha256.

Every worker reads the same directory (a shared volume in docker-compose), so jobs carry hashes,
never paths. A write goes to a temporary file in the store's own directory and is renamed into place
with ``os.replace``: readers never see a partial blob and identical uploads are stored once.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import IO

from core.errors import CodetteError, InvalidParameter, NotFound

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


class BlobTooLarge(CodetteError):
    code = "file_too_large"
    http_status = 413


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits; raise InvalidParameter naming it otherwise."""
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise InvalidParameter(f"sha256 {sha256!r} is not 64 lowercase hex digits")
    return sha256


class BlobStore:
    """Files under ``root/ab/abcdef...``; safe for many writers and readers on one filesystem."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open_path(self, sha256: str) -> Path:
        """The path of an existing blob; NotFound when it is missing."""
        path = self.path(sha256)
        if not path.is_file():
            raise NotFound(f"blob {sha256} is not in the store")
        return path

    def put(self, stream: IO[bytes], *, max_bytes: int, name: str = "file") -> tuple[str, int]:
        """Copy ``stream`` into the store; return ``(sha256, size)``. Raises BlobTooLarge past max_bytes."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLarge(f"file {name!r} is larger than the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            sha256 = digest.hexdigest()
            final = self.path(sha256)
            if final.is_file():
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(exist_ok=True)
                os.chmod(tmp_name, 0o644)
                os.replace(tmp_name, final)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return sha256, size

    def put_bytes(self, data: bytes, *, name: str = "file") -> str:
        """Store bytes (tests, the command line); return the sha256."""
        sha256, _ = self.put(io.BytesIO(data), max_bytes=len(data), name=name)
        return sha256
