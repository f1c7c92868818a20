"""Uploads written once (store/staging.py): the parser's file becomes the blob by a rename."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from pathlib import Path

import pytest

from core.errors import BlobTooLarge
from store.blobs import LocalBlobStore
from store.staging import StagedUpload


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(".upload-*"))


def _staged(blobs: LocalBlobStore, data: bytes, *, max_bytes: int | None = None) -> StagedUpload:
    staged = blobs.stage(max_bytes=len(data) if max_bytes is None else max_bytes, name="take.wav")
    for i in range(0, len(data), 65536):  # as the multipart parser writes: in pieces
        staged.write(data[i : i + 65536])
    staged.seek(0)
    return staged


def test_a_staged_upload_becomes_the_blob_by_rename_not_copy(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    data = secrets.token_bytes(300_001)
    staged = _staged(blobs, data)
    inode = os.stat(staged.path).st_ino
    assert staged.read(5) == data[:5]  # readable as the parser leaves it
    sha256, size = blobs.put(staged, max_bytes=len(data))  # type: ignore[arg-type]
    staged.close()
    assert sha256 == hashlib.sha256(data).hexdigest() and size == len(data)
    path = blobs.open_path(sha256)
    assert path.read_bytes() == data and os.stat(path).st_ino == inode
    assert _leftovers(blobs.root) == []


def test_the_same_bytes_staged_again_are_stored_once(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    data = secrets.token_bytes(70_000)
    first = blobs.put_bytes(data)
    inode = os.stat(blobs.path(first)).st_ino
    staged = _staged(blobs, data)
    assert blobs.put(staged, max_bytes=len(data)) == (first, len(data))  # type: ignore[arg-type]
    staged.close()
    assert os.stat(blobs.path(first)).st_ino == inode and _leftovers(blobs.root) == []


def test_past_the_limit_the_write_fails_and_nothing_stays(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(BlobTooLarge, match=r"take\.wav"):
        _staged(blobs, b"x" * 200_000, max_bytes=100_000)
    assert _leftovers(blobs.root) == []
    staged = _staged(blobs, b"y" * 1000)
    with pytest.raises(BlobTooLarge):  # a smaller limit at put time holds too
        blobs.put(staged, max_bytes=999)  # type: ignore[arg-type]
    staged.close()
    assert _leftovers(blobs.root) == [] and list(blobs.blob_hashes()) == []


def test_an_upload_never_stored_is_deleted_on_close(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    staged = _staged(blobs, b"z" * 5000)
    assert _leftovers(blobs.root) == [staged.path.name]
    staged.close()
    assert _leftovers(blobs.root) == []


def test_a_file_staged_elsewhere_is_copied(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    data = secrets.token_bytes(10_000)
    other = StagedUpload(tmp_path / "elsewhere", max_bytes=len(data))
    other.write(data)
    other.seek(0)
    sha256, _ = blobs.put(other, max_bytes=len(data))  # type: ignore[arg-type]
    other.close()
    assert blobs.open_path(sha256).read_bytes() == data
    assert _leftovers(tmp_path) == []
    assert blobs.put(io.BytesIO(data), max_bytes=len(data))[0] == sha256
