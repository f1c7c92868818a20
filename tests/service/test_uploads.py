"""Upload by hash on in-memory ports: what is missing is per user, and only owned blobs can be named."""

from __future__ import annotations

import io

import pytest

from core.errors import BlobNotFound
from service.model import Upload
from service.ports import Ports
from service.uploads import missing_blobs, store_upload, uploads_by_hash
from tests.conftest import wav_bytes


def stored(ports: Ports, owner: str, data: bytes) -> str:
    return store_upload(ports, owner=owner, stream=io.BytesIO(data), name="x.wav", max_bytes=1 << 24)


def test_missing_is_per_user_deduplicated_and_in_the_order_asked(ports: Ports) -> None:
    mine = stored(ports, "alice", wav_bytes(seconds=0.2, seed=1))
    theirs = stored(ports, "bob", wav_bytes(seconds=0.2, seed=2))
    unknown = "f" * 64
    asked = [unknown, mine, theirs, unknown, mine]
    # bob's blob is stored, but alice never uploaded it: she must send it (and so learns nothing)
    assert missing_blobs(ports, owner="alice", hashes=asked) == [unknown, theirs]
    assert missing_blobs(ports, owner="bob", hashes=asked) == [unknown, mine]
    assert missing_blobs(ports, owner="alice", hashes=[]) == []


def test_only_owned_blobs_can_be_named(ports: Ports) -> None:
    mine = stored(ports, "alice", wav_bytes(seconds=0.2, seed=4))
    theirs = stored(ports, "bob", wav_bytes(seconds=0.2, seed=5))
    tracks = [Upload("a.wav", mine, "kick"), Upload("b.wav", theirs)]
    assert uploads_by_hash(ports, owner="alice", tracks=tracks[:1]) == tracks[:1]
    with pytest.raises(BlobNotFound, match=r"\$\.tracks\[1\]\.sha256") as refused:
        uploads_by_hash(ports, owner="alice", tracks=tracks)
    assert refused.value.http_status == 404 and refused.value.code == "blob_not_found"
