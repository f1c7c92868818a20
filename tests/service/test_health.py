"""GET /health's body from the service's ports: degraded while the blob store cannot be used."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import StorageUnavailable
from service.health import health
from service.ports import Ports
from store.blobs import LocalBlobStore
from tests.fakes import MemoryBlobStore


def test_an_unusable_blob_store_makes_health_degraded_and_says_what_it_answered(ports: Ports) -> None:
    ports.health.beat("w1@host")
    body = health(ports, ask_ready=True, ask_retrieval="bm25")
    assert body["status"] == "ok" and body["blobs"] == "ok"
    assert isinstance(ports.blobs, MemoryBlobStore)
    ports.blobs.unavailable = "bucket 'stems' at http://objects:8333: the object store answered AccessDenied"
    body = health(ports, ask_ready=True, ask_retrieval="bm25")
    assert body["status"] == "degraded"
    assert body["blobs"] == f"unavailable: {ports.blobs.unavailable}"


def test_a_local_blob_directory_is_usable_until_it_cannot_be_written(tmp_path: Path) -> None:
    LocalBlobStore(tmp_path / "not" / "made" / "yet").check()  # the first upload creates it
    (tmp_path / "a-file").write_bytes(b"")
    with pytest.raises(StorageUnavailable, match="a-file"):
        LocalBlobStore(tmp_path / "a-file").check()
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(StorageUnavailable, match="not writable"):
            LocalBlobStore(locked).check()
