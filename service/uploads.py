"""Uploads into the blob store, recorded as the uploader's (sessions may only name their own blobs).

Blobs are stored once, whoever sent them, but a user may only *name* a blob they uploaded
themselves: asking "which of these hashes do you lack?" answers per user, so nobody learns from it
what anyone else analysed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from core.errors import BlobNotFound
from service.model import Upload
from service.ports import Ports


def store_upload(ports: Ports, *, owner: str, stream: IO[bytes], name: str, max_bytes: int) -> str:
    """Copy one upload into the blob store and record ``owner`` as its uploader; return its sha256."""
    sha256, _ = ports.blobs.put(stream, max_bytes=max_bytes, name=name)
    ports.jobs.add_blob(owner, sha256)
    return sha256


def has_blob(ports: Ports, owner: str, sha256: str) -> bool:
    """True when ``owner`` uploaded ``sha256`` and its bytes are still stored."""
    return ports.jobs.owns_blob(owner, sha256) and ports.blobs.exists(sha256)


def missing_blobs(ports: Ports, *, owner: str, hashes: Sequence[str]) -> list[str]:
    """The hashes ``owner`` still has to upload, once each, in the order asked."""
    unique = list(dict.fromkeys(hashes))
    return [sha256 for sha256 in unique if not has_blob(ports, owner, sha256)]


def uploads_by_hash(ports: Ports, *, owner: str, tracks: Sequence[Upload]) -> list[Upload]:
    """``tracks`` when every hash names a blob ``owner`` uploaded; NotFound naming the first that does not."""
    for i, track in enumerate(tracks):
        if not has_blob(ports, owner, track.sha256):
            raise BlobNotFound(
                f"$.tracks[{i}].sha256: no blob {track.sha256} uploaded by you; "
                "upload it first (POST /api/v1/blobs)"
            )
    return list(tracks)
