"""S3-compatible content-addressed blob storage (boto3): the object-storage BlobStore adapter.

Same contract as the local directory store: a blob is named by the sha256 of its bytes, written once,
never changed. Keys under the configured prefix::

    blobs/ab/abcdef...            the bytes (written with If-None-Match: *, so concurrent writers of
                                  one hash race safely: the first wins, the others find it there)
    owners/<sha256>/<owner>       empty: ``owner`` uploaded this blob (who may reference it)
    incoming/<sha256>/<token>     a presigned multipart upload, verified before it becomes a blob
    unreferenced/<sha256>/<t>     the retention sweep saw the blob unreferenced at epoch second t

Every upload is verified: ``put`` sends the sha256 as the object's checksum (the server refuses bytes
that do not match), and a completed multipart upload is read back and hashed before it is copied to its
blob key. The client, settings and error translation are in store/s3.py; the worker's local copies in
store/blob_cache.py; the retention algorithm in store/retention.py.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from core.errors import BlobHashMismatch, BlobTooLarge, InvalidParameter, NotFound, StorageUnavailable
from service.ports import MultipartUpload, SweepReport
from store.blob_cache import LocalCopies
from store.blobs import check_sha256
from store.retention import mark_and_sweep
from store.s3 import (
    MAX_PARTS,
    MIN_PART_BYTES,
    ObjectStoreSettings,
    lost_conditional_write,
    s3_client,
    storage_errors,
)
from store.staging import StagedUpload

__all__ = ["MIN_PART_BYTES", "MultipartUpload", "ObjectBlobStore", "ObjectStoreSettings", "upload_key_prefix"]

_CHUNK = 1 << 20
#: /health's bucket probe (``check``): its timeouts (s, connect and read, one attempt), and how long
#: its answer is kept (s). A frozen endpoint costs one probe that long per PROBE_TTL_S per process.
PROBE_TIMEOUT_S = 1.0
PROBE_TTL_S = 10.0


def upload_key_prefix(prefix: str, sha256: str, tag: str = "") -> str:
    """Where the direct uploads of ``sha256`` (started with ``tag``) are staged."""
    return f"{prefix}incoming/{check_sha256(sha256)}/{tag}"


class ObjectBlobStore:
    """Content-addressed blobs in one S3 bucket; safe for many API and worker processes on many hosts."""

    def __init__(self, settings: ObjectStoreSettings) -> None:
        if settings.prefix and not settings.prefix.endswith("/"):
            raise InvalidParameter(f"prefix {settings.prefix!r} must be empty or end with '/'")
        if settings.part_bytes < MIN_PART_BYTES:
            raise InvalidParameter(f"part_bytes={settings.part_bytes} is below S3's {MIN_PART_BYTES}")
        self.settings = settings
        self.bucket = settings.bucket
        self._s3 = s3_client(settings, settings.endpoint_url)
        self._probe_s3: Any = None
        self._probe: tuple[float, str | None] | None = None  # (monotonic s, failure message)
        self._probe_lock = threading.Lock()
        self._presigner = (
            s3_client(settings, settings.public_endpoint_url) if settings.public_endpoint_url else self._s3
        )
        cache_dir = settings.cache_dir or Path(tempfile.gettempdir()) / "codette-blob-cache"
        self.copies = LocalCopies(cache_dir, max_bytes=settings.cache_max_bytes)
        #: Called with True (a local copy was there) or False (fetched) by open_path: the metrics hook.
        self.on_local_copy: Callable[[bool], None] | None = None

    # --- keys ----------------------------------------------------------------------------------

    def key(self, sha256: str) -> str:
        check_sha256(sha256)
        return f"{self.settings.prefix}blobs/{sha256[:2]}/{sha256}"

    def _owner_key(self, sha256: str, owner: str) -> str:
        if not owner:
            raise InvalidParameter("owner must be a non-empty user id")
        return f"{self.settings.prefix}owners/{check_sha256(sha256)}/{quote(owner, safe='')}"

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        with storage_errors(f"listing {prefix}"):
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                yield from page.get("Contents", [])

    def _delete(self, keys: Iterable[str]) -> None:
        batch = [{"Key": k} for k in keys]
        for start in range(0, len(batch), 1000):
            with storage_errors("deleting"):
                self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch[start : start + 1000]})

    def _head(self, key: str) -> bool:
        try:
            with storage_errors(key):
                self._s3.head_object(Bucket=self.bucket, Key=key)
        except NotFound:
            return False
        return True

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (deployments usually create it beforehand)."""
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except ClientError:
            with storage_errors(f"bucket {self.bucket}"):
                self._s3.create_bucket(Bucket=self.bucket)

    def check_access(self) -> None:
        """List one key under the prefix (what retention does): StorageUnavailable when the endpoint is
        unreachable, the bucket missing or the credentials refused (a process's start-up check)."""
        self._list_one(self._s3)

    def _list_one(self, client: Any) -> None:
        with storage_errors(f"bucket {self.bucket!r} at {self.settings.endpoint_url or 'AWS'}"):
            client.list_objects_v2(Bucket=self.bucket, Prefix=self.settings.prefix, MaxKeys=1)

    def check(self) -> None:
        """/health's probe: ``check_access`` with one attempt and PROBE_TIMEOUT_S timeouts, its answer
        kept PROBE_TTL_S (load balancers poll /health; the bucket is listed at most that often)."""
        now = time.monotonic()
        with self._probe_lock:
            if self._probe is None or now - self._probe[0] >= PROBE_TTL_S:
                try:
                    self._list_one(self._probe_client())
                    self._probe = (now, None)
                except StorageUnavailable as exc:
                    self._probe = (now, exc.message)
            failure = self._probe[1]
        if failure is not None:
            raise StorageUnavailable(failure)

    def _probe_client(self) -> Any:
        if self._probe_s3 is None:
            t = PROBE_TIMEOUT_S
            quick = replace(self.settings, max_attempts=1, connect_timeout_s=t, read_timeout_s=t)
            self._probe_s3 = s3_client(quick, quick.endpoint_url)
        return self._probe_s3

    # --- the BlobStore contract ----------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        return self._head(self.key(sha256))

    def size(self, sha256: str) -> int:
        with storage_errors(f"blob {sha256}"):
            return int(self._s3.head_object(Bucket=self.bucket, Key=self.key(sha256))["ContentLength"])

    def put(
        self, stream: IO[bytes], *, max_bytes: int, name: str = "file", sha256: str | None = None
    ) -> tuple[str, int]:
        """Copy ``stream`` into the store; return ``(sha256, size)``.

        Spools to a temporary file while hashing (BlobTooLarge past ``max_bytes``; BlobHashMismatch
        when the caller announced another ``sha256``), then writes with If-None-Match: * and the
        SHA-256 checksum: a concurrent writer of the same bytes makes this a no-op, not an overwrite.
        Storing bytes that are already here drops their retention mark (they are wanted again).
        """
        if sha256 is not None:
            check_sha256(sha256)
        if isinstance(stream, StagedUpload) and stream.writable():
            return self._put_staged(stream, max_bytes=max_bytes, sha256=sha256)
        with self.stage(max_bytes=max_bytes, name=name) as staged:
            staged.copy_from(stream, chunk_bytes=_CHUNK)
            return self._put_staged(staged, max_bytes=max_bytes, sha256=sha256)

    def stage(self, *, max_bytes: int, name: str = "file") -> StagedUpload:
        """A local file an upload is written into, hashed as it is written (the multipart parser's,
        or put's spool for any other stream): ``put`` of it sends it as it is."""
        spool_dir = self.copies.root if self.copies.root.is_dir() else None
        return StagedUpload(spool_dir, max_bytes=max_bytes, name=name)

    def _put_staged(self, staged: StagedUpload, *, max_bytes: int, sha256: str | None) -> tuple[str, int]:
        if staged.size > max_bytes:
            raise BlobTooLarge(f"file {staged.name!r} is larger than the limit of {max_bytes} bytes")
        actual, size = staged.sha256, staged.size
        if sha256 is not None and actual != sha256:
            raise BlobHashMismatch(f"file {staged.name!r} has sha256 {actual}, not the announced {sha256}")
        if self.exists(actual):
            self._unmark(actual)
            return actual, size
        staged.flush()
        staged.seek(0)
        try:
            with storage_errors(f"writing blob {actual}"):
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=self.key(actual),
                    Body=staged.file,
                    ContentLength=size,
                    ChecksumSHA256=base64.b64encode(staged.digest).decode(),
                    IfNoneMatch="*",
                )
        except StorageUnavailable as exc:
            if not lost_conditional_write(exc):
                raise
        return actual, size

    def put_bytes(self, data: bytes, *, name: str = "file") -> str:
        """Store bytes (tests, the command line); return the sha256."""
        sha256, _ = self.put(io.BytesIO(data), max_bytes=len(data), name=name)
        return sha256

    def open(self, sha256: str) -> IO[bytes]:
        """A streaming body of the blob (read it in chunks; close it); NotFound when missing."""
        with storage_errors(f"blob {sha256}"):
            body: IO[bytes] = self._s3.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
            return body

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as body:
            return body.read()

    def open_path(self, sha256: str) -> Path:
        """A verified local copy for decoding (kept in the worker's bounded cache); NotFound if missing."""
        path, hit = self.copies.get(sha256, lambda: self.open(sha256))
        if self.on_local_copy is not None:
            self.on_local_copy(hit)
        return path

    def presigned_get(self, sha256: str, *, expires_s: int = 3600) -> str:
        """A URL that GETs the blob without credentials until it expires."""
        url: str = self._presigner.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.key(sha256)}, ExpiresIn=expires_s
        )
        return url

    # --- ownership -----------------------------------------------------------------------------

    def add_owner(self, owner: str, sha256: str) -> None:
        with storage_errors(f"owner record of {sha256}"):
            self._s3.put_object(Bucket=self.bucket, Key=self._owner_key(sha256, owner), Body=b"")

    def owns(self, owner: str, sha256: str) -> bool:
        return self._head(self._owner_key(sha256, owner))

    def missing(self, owner: str, hashes: Iterable[str]) -> list[str]:
        """The hashes ``owner`` still has to upload: not stored, or stored but not uploaded by them."""
        return [h for h in dict.fromkeys(hashes) if not (self.owns(owner, h) and self.exists(h))]

    # --- presigned multipart uploads ------------------------------------------------------------

    def start_upload(
        self, sha256: str, *, size: int, max_bytes: int, expires_s: int = 3600, tag: str = ""
    ) -> MultipartUpload:
        """Begin a direct upload of ``size`` bytes announced as ``sha256``; presign every part.

        ``tag`` starts the upload's key after ``incoming/<sha256>/`` (the API puts its user's there, so
        one user cannot complete another's upload).
        """
        check_sha256(sha256)
        if not 0 < size <= max_bytes:
            raise BlobTooLarge(f"a file of {size} bytes is outside the limit of 1 to {max_bytes} bytes")
        if not all(c.isalnum() or c == "-" for c in tag):
            raise InvalidParameter(f"upload tag {tag!r} may hold only letters, digits and '-'")
        part_bytes = max(self.settings.part_bytes, math.ceil(size / MAX_PARTS))
        key = upload_key_prefix(self.settings.prefix, sha256, tag) + secrets.token_hex(8)
        with storage_errors(f"starting the upload of {sha256}"):
            upload_id = self._s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        n_parts = math.ceil(size / part_bytes)
        return MultipartUpload(
            sha256,
            size,
            key,
            upload_id,
            part_bytes,
            self.presign_parts(key, upload_id, range(1, n_parts + 1), expires_s=expires_s),
        )

    def presign_parts(
        self, key: str, upload_id: str, numbers: Iterable[int], *, expires_s: int = 3600
    ) -> tuple[str, ...]:
        """Fresh part URLs (to resume an upload whose URLs expired)."""
        return tuple(
            self._presigner.generate_presigned_url(
                "upload_part",
                Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": n},
                ExpiresIn=expires_s,
            )
            for n in numbers
        )

    def uploaded_parts(self, key: str, upload_id: str) -> list[dict[str, Any]]:
        """The parts the server holds (``PartNumber``, ``ETag``, ``Size``): what a resuming client skips."""
        parts: list[dict[str, Any]] = []
        with storage_errors(f"upload {key}"):
            for page in self._s3.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            ):
                parts.extend(page.get("Parts", []))
        return sorted(parts, key=lambda p: p["PartNumber"])

    def complete_upload(self, sha256: str, *, key: str, upload_id: str, size: int) -> int:
        """Complete, verify size and sha256, then publish as the blob; return its size.

        A mismatch deletes the staged object and raises BlobHashMismatch; nothing reaches the blob key.
        """
        check_sha256(sha256)
        if not key.startswith(upload_key_prefix(self.settings.prefix, sha256)):
            raise InvalidParameter(f"upload key {key!r} does not belong to {sha256}")
        parts = self.uploaded_parts(key, upload_id)
        with storage_errors(f"completing the upload of {sha256}"):
            self._s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
                },
            )
        try:
            got, actual = self._hash_object(key)
            if got != size or actual != sha256:
                raise BlobHashMismatch(
                    f"upload announced as {sha256} ({size} bytes) has sha256 {actual} ({got} bytes)"
                )
            try:
                with storage_errors(f"publishing blob {sha256}"):
                    self._s3.copy_object(
                        Bucket=self.bucket,
                        Key=self.key(sha256),
                        CopySource={"Bucket": self.bucket, "Key": key},
                        IfNoneMatch="*",
                    )
            except StorageUnavailable as exc:
                if not lost_conditional_write(exc):
                    raise
                self._unmark(sha256)
        finally:
            self._delete([key])
        return got

    def _hash_object(self, key: str) -> tuple[int, str]:
        digest = hashlib.sha256()
        got = 0
        with storage_errors(f"verifying {key}"):
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            with body:
                for chunk in iter(lambda: body.read(_CHUNK), b""):
                    got += len(chunk)
                    digest.update(chunk)
        return got, digest.hexdigest()

    def abort_upload(self, *, key: str, upload_id: str) -> None:
        with storage_errors(f"aborting upload {key}"):
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    # --- retention (store/retention.py) ----------------------------------------------------------

    def sweep(self, referenced: Callable[[str], bool], *, grace_s: float, now_s: float) -> SweepReport:
        """Delete blobs unreferenced for ``grace_s`` seconds (and their owner records); abort
        multipart uploads started more than ``grace_s`` ago."""
        report = mark_and_sweep(self, referenced, grace_s=grace_s, now_s=now_s)
        return SweepReport(
            report.kept, report.marked, report.deleted, self._abort_stale_uploads(now_s - grace_s)
        )

    def blob_hashes(self) -> Iterator[str]:
        for obj in self._list(f"{self.settings.prefix}blobs/"):
            yield obj["Key"].rsplit("/", 1)[-1]

    def marks(self) -> dict[str, tuple[str, float]]:
        found = {}
        for obj in self._list(f"{self.settings.prefix}unreferenced/"):
            sha256, since = obj["Key"].rsplit("/", 2)[-2:]
            found[sha256] = (obj["Key"], float(since))
        return found

    def add_mark(self, sha256: str, now_s: float) -> None:
        with storage_errors(f"marking {sha256}"):
            key = f"{self.settings.prefix}unreferenced/{check_sha256(sha256)}/{now_s:.0f}"
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=b"")

    def has_mark(self, mark_id: str) -> bool:
        return self._head(mark_id)

    def drop_marks(self, mark_ids: Iterable[str]) -> None:
        self._delete(mark_ids)

    def _unmark(self, sha256: str) -> None:
        self._delete(o["Key"] for o in self._list(f"{self.settings.prefix}unreferenced/{sha256}/"))

    def delete_blob(self, sha256: str) -> None:
        prefix = self.settings.prefix
        owners = [o["Key"] for o in self._list(f"{prefix}owners/{sha256}/")]
        marks = [o["Key"] for o in self._list(f"{prefix}unreferenced/{sha256}/")]
        self._delete([self.key(sha256), *marks, *owners])
        self.copies.discard(sha256)

    def _abort_stale_uploads(self, cutoff_s: float) -> int:
        aborted = 0
        with storage_errors("listing uploads"):
            pages = self._s3.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=f"{self.settings.prefix}incoming/"
            )
            stale = [
                u for page in pages for u in page.get("Uploads", []) if u["Initiated"].timestamp() < cutoff_s
            ]
        for upload in stale:
            try:
                self.abort_upload(key=upload["Key"], upload_id=upload["UploadId"])
                aborted += 1
            except NotFound:
                pass  # completed or aborted meanwhile
        return aborted
