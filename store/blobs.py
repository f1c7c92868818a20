"""Content-addressed blob store: uploads are written once, named by their sha256.

Every worker reads the same directory (a shared volume in docker-compose), so jobs carry hashes,
never paths. A write goes to a temporary file in the store's own directory and is renamed into place
with ``os.replace``: readers never see a partial blob and identical uploads are stored once.
Retention (store/retention.py) marks unreferenced blobs with empty files
``root/.unreferenced/<sha256>.<epoch s>`` and deletes them a grace time later.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from core.errors import BlobTooLarge, InvalidParameter, NotFound, StorageUnavailable
from service.ports import SweepReport
from store.retention import mark_and_sweep
from store.staging import StagedUpload

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20
#: A stored blob is readable as the process's umask allows (0644 by default; 0600 under `make run`,
#: whose umask is 077): read once at import, since os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
BLOB_MODE = 0o644 & ~_UMASK

__all__ = ["BlobStore", "BlobTooLarge", "LocalBlobStore", "check_sha256"]


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits; raise InvalidParameter naming it otherwise."""
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise InvalidParameter(f"sha256 {sha256!r} is not 64 lowercase hex digits")
    return sha256


class LocalBlobStore:
    """service.ports.BlobStore on a local (or shared) directory: files under ``root/ab/abcdef...``.

    Safe for many writers and readers on one filesystem.
    """

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

    def check(self) -> None:
        """/health's probe: StorageUnavailable unless uploads can be written here (the directory, or
        the nearest existing folder above it, which the first upload creates it in, is writable)."""
        place = self.root
        while not place.exists() and place != place.parent:
            place = place.parent
        if not place.is_dir() or not os.access(place, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"blob directory {str(self.root)!r} is not writable by this process")

    def stage(self, *, max_bytes: int, name: str = "file") -> StagedUpload:
        """A file in the store's directory for the multipart parser to write an upload into."""
        return StagedUpload(self.root, max_bytes=max_bytes, name=name)

    def put(self, stream: IO[bytes], *, max_bytes: int, name: str = "file") -> tuple[str, int]:
        """Copy ``stream`` into the store; return ``(sha256, size)``. Raises BlobTooLarge past max_bytes.

        A StagedUpload of this store (``stage``) is not copied: it is synced and renamed into place.
        """
        if isinstance(stream, StagedUpload) and stream.directory == self.root and stream.writable():
            return self._commit(stream, max_bytes=max_bytes)
        with self.stage(max_bytes=max_bytes, name=name) as staged:
            staged.copy_from(stream, chunk_bytes=_CHUNK)
            return self._commit(staged, max_bytes=max_bytes)

    def _commit(self, staged: StagedUpload, *, max_bytes: int) -> tuple[str, int]:
        if staged.size > max_bytes:
            raise BlobTooLarge(f"file {staged.name!r} is larger than the limit of {max_bytes} bytes")
        sha256, final = staged.sha256, self.path(staged.sha256)
        if final.is_file():
            staged.discard()
            self.drop_marks(self._marks_of(sha256))  # wanted again: retention starts over
        else:
            staged.sync()
            final.parent.mkdir(exist_ok=True)
            staged.commit_to(final, mode=BLOB_MODE)
        return sha256, staged.size

    def put_bytes(self, data: bytes, *, name: str = "file") -> str:
        """Store bytes (tests, the command line); return the sha256."""
        sha256, _ = self.put(io.BytesIO(data), max_bytes=len(data), name=name)
        return sha256

    # --- retention (store/retention.py) ----------------------------------------------------------

    @property
    def _mark_dir(self) -> Path:
        return self.root / ".unreferenced"

    def sweep(self, referenced: Callable[[str], bool], *, grace_s: float, now_s: float) -> SweepReport:
        """Delete blobs unreferenced for ``grace_s`` seconds; remove temporary files older than that."""
        report = mark_and_sweep(self, referenced, grace_s=grace_s, now_s=now_s)
        stale = 0
        for tmp in self.root.glob(".upload-*") if self.root.is_dir() else ():
            try:
                if tmp.stat().st_mtime < now_s - grace_s:
                    tmp.unlink()
                    stale += 1
            except FileNotFoundError:
                continue
        return SweepReport(report.kept, report.marked, report.deleted, stale)

    def blob_hashes(self) -> Iterator[str]:
        for path in self.root.glob("??/*") if self.root.is_dir() else ():
            if _SHA256.match(path.name):
                yield path.name

    def marks(self) -> dict[str, tuple[str, float]]:
        found: dict[str, tuple[str, float]] = {}
        for path in self._mark_dir.glob("*.*") if self._mark_dir.is_dir() else ():
            sha256, _, since = path.name.partition(".")
            if _SHA256.match(sha256) and since.isdigit():
                found[sha256] = (path.name, float(since))
        return found

    def _marks_of(self, sha256: str) -> list[str]:
        if not self._mark_dir.is_dir():
            return []
        return [p.name for p in self._mark_dir.glob(f"{check_sha256(sha256)}.*")]

    def add_mark(self, sha256: str, now_s: float) -> None:
        self._mark_dir.mkdir(parents=True, exist_ok=True)
        (self._mark_dir / f"{check_sha256(sha256)}.{now_s:.0f}").touch()

    def has_mark(self, mark_id: str) -> bool:
        return (self._mark_dir / mark_id).is_file()

    def drop_marks(self, mark_ids: Iterable[str]) -> None:
        for mark_id in mark_ids:
            (self._mark_dir / mark_id).unlink(missing_ok=True)

    def delete_blob(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)
        self.drop_marks(self._marks_of(sha256))


#: The name this adapter had in worker/blobs.py.
BlobStore = LocalBlobStore
