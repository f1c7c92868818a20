"""An upload written once: the multipart parser streams a file part into the blob store's own
directory, hashing and counting as it writes, and the store then commits it by renaming.

Werkzeug's default parser spools every file part to a temporary file, which the blob store then
reads back, hashes and copies: two extra passes over every byte. A ``StagedUpload`` is the file the
parser writes into (``Request._get_file_stream``), so ``put`` of it only checks, syncs and renames
(LocalBlobStore) or sends it as it is (ObjectBlobStore). Closing an uncommitted one deletes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

from core.errors import BlobTooLarge

__all__ = ["StagedUpload"]


class StagedUpload:
    """A writable, readable, seekable temporary file in ``directory`` that hashes what is written.

    Raises BlobTooLarge as soon as more than ``max_bytes`` are written. ``commit_to(path)`` renames
    it into place (same filesystem); ``close`` removes it unless it was committed.
    """

    def __init__(self, directory: Path | None, *, max_bytes: int, name: str = "file") -> None:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=directory, prefix=".upload-")
        self.path = Path(path)
        #: The directory asked for (None: the system's temporary directory).
        self.directory = directory
        self.name = name
        self.max_bytes = max_bytes
        self.size = 0
        self._file = os.fdopen(fd, "w+b")
        self._digest = hashlib.sha256()
        self._committed = False

    # --- what the parser and readers call -------------------------------------------------------

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.max_bytes:
            self.close()  # the parser drops the part on this error: nothing half-written stays
            raise BlobTooLarge(f"file {self.name!r} is larger than the limit of {self.max_bytes} bytes")
        self._digest.update(data)
        return self._file.write(data)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._file.readline(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return not self._committed

    def seekable(self) -> bool:
        return True

    @property
    def file(self) -> IO[bytes]:
        """The underlying file (a real one, for clients that want a file object)."""
        return self._file

    @property
    def closed(self) -> bool:
        return self._file.closed

    # --- what the blob store calls --------------------------------------------------------------

    def copy_from(self, stream: IO[bytes], *, chunk_bytes: int = 1 << 20) -> None:
        """Write all of ``stream`` in (BlobTooLarge past ``max_bytes``), then rewind."""
        for chunk in iter(lambda: stream.read(chunk_bytes), b""):
            self.write(chunk)
        self._file.flush()
        self._file.seek(0)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    @property
    def digest(self) -> bytes:
        return self._digest.digest()

    def sync(self) -> None:
        """Flush and fsync: the bytes are on disk before the rename makes them a blob."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def commit_to(self, final: Path, *, mode: int) -> None:
        """Rename into ``final`` (the caller checked it is absent); reading the handle still works."""
        os.chmod(self.path, mode)
        os.replace(self.path, final)
        self._committed = True

    def discard(self) -> None:
        """Delete the file now (its bytes were already stored); the handle stays readable."""
        self._committed = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def close(self) -> None:
        self._file.close()
        if not self._committed:
            self.discard()

    def __del__(self) -> None:
        # a backstop: whoever dropped it without closing it, an unstored upload does not stay on disk
        with contextlib.suppress(Exception):
            self.close()

    def __enter__(self) -> StagedUpload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
