"""Direct uploads: the client sends a blob's bytes straight to object storage by presigned URLs.

The API only learns the hash and the size: it starts a presigned multipart upload, can tell a client
that lost its connection which parts arrived (with fresh URLs for the rest), and on completion checks
that every byte is there and hashes to the announced sha256 before the blob is stored and recorded as
the user's (so they may name it in analyses and sessions). Only a store that supports it does
(service.ports.DirectUploads: the S3 backend); the local directory answers 409.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from core.errors import CodetteError, NotFound, shown
from service.ports import DirectUploads, MultipartUpload, Ports

#: Presigned URLs stay valid this long; a client past it asks for fresh ones (resume_direct_upload).
URL_EXPIRY_S = 3600


class DirectUploadsUnavailable(CodetteError):
    code = "direct_uploads_unavailable"
    http_status = 409


class UploadIncomplete(CodetteError):
    code = "upload_incomplete"
    http_status = 422


@dataclass(frozen=True)
class UploadProgress:
    """The parts a direct upload holds, and fresh URLs for the ones it still needs."""

    received_parts: tuple[int, ...]
    received_bytes: int
    part_urls: dict[int, str]


def _direct(ports: Ports) -> DirectUploads:
    if not isinstance(ports.blobs, DirectUploads):
        raise DirectUploadsUnavailable(
            "direct uploads need the object store (CODETTE_BLOB_BACKEND=s3); upload with POST /api/v1/blobs"
        )
    return ports.blobs


def _tag(owner: str) -> str:
    """The owner's mark in an upload's key: only they can resume or complete it."""
    return hashlib.sha256(owner.encode()).hexdigest()[:16] + "-"


def _own_upload(owner: str, sha256: str, key: str) -> None:
    if f"/incoming/{sha256}/{_tag(owner)}" not in f"/{key}":
        raise NotFound(f"no upload {shown(key)} of {sha256} is yours")


def start_direct_upload(ports: Ports, *, owner: str, sha256: str, size: int) -> MultipartUpload:
    """Begin a presigned multipart upload of ``size`` bytes announced as ``sha256`` (413 past the limit)."""
    return _direct(ports).start_upload(
        sha256, size=size, max_bytes=ports.settings.max_file_bytes, expires_s=URL_EXPIRY_S, tag=_tag(owner)
    )


def resume_direct_upload(
    ports: Ports, *, owner: str, sha256: str, size: int, part_bytes: int, key: str, upload_id: str
) -> UploadProgress:
    """What an interrupted upload holds, and fresh URLs for every part it still lacks."""
    store = _direct(ports)
    _own_upload(owner, sha256, key)
    parts = store.uploaded_parts(key, upload_id)
    held = tuple(sorted(int(p["PartNumber"]) for p in parts))
    wanted = [n for n in range(1, -(-size // part_bytes) + 1) if n not in held]
    urls = store.presign_parts(key, upload_id, wanted, expires_s=URL_EXPIRY_S)
    return UploadProgress(held, sum(int(p["Size"]) for p in parts), dict(zip(wanted, urls, strict=True)))


def complete_direct_upload(
    ports: Ports, *, owner: str, sha256: str, size: int, key: str, upload_id: str
) -> int:
    """Check every byte arrived and hashes to ``sha256``; store the blob as ``owner``'s; its size.

    422 ``upload_incomplete`` while parts are missing (resume, then complete again); 422
    ``hash_mismatch`` when the bytes are not the announced ones (nothing is stored; start over).
    """
    store = _direct(ports)
    _own_upload(owner, sha256, key)
    received = sum(int(p["Size"]) for p in store.uploaded_parts(key, upload_id))
    if received != size:
        raise UploadIncomplete(
            f"upload of {sha256}: {received} of {size} bytes received; send the missing parts, then complete"
        )
    stored = store.complete_upload(sha256, key=key, upload_id=upload_id, size=size)
    ports.jobs.add_blob(owner, sha256)
    return stored
