"""The S3 blob store against a real SeaweedFS (tests/store/conftest.py); each test has its own prefix."""

from __future__ import annotations

import hashlib
import io
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from core.errors import BlobHashMismatch, BlobTooLarge, InvalidParameter, NotFound, StorageUnavailable
from store import objectstore
from store.objectstore import MIN_PART_BYTES, ObjectBlobStore
from tests.s3_server import S3Server


@pytest.fixture
def blobs(s3: S3Server, tmp_path: Path) -> ObjectBlobStore:
    return ObjectBlobStore(
        s3.store_settings(
            prefix=f"t-{secrets.token_hex(4)}/", cache_dir=tmp_path / "cache", part_bytes=MIN_PART_BYTES
        )
    )


def _nothing(sha256: str) -> bool:
    return False


def _count(blobs: ObjectBlobStore, what: str) -> int:
    return sum(1 for _ in blobs._list(f"{blobs.settings.prefix}{what}/"))


def test_put_then_read_round_trip(blobs: ObjectBlobStore) -> None:
    data = secrets.token_bytes(3 * 1024 * 1024 + 17)
    sha256, size = blobs.put(io.BytesIO(data), max_bytes=len(data), name="take.wav")
    assert sha256 == hashlib.sha256(data).hexdigest() and size == len(data)
    assert blobs.exists(sha256) and blobs.size(sha256) == len(data)
    assert blobs.read(sha256) == data
    path = blobs.open_path(sha256)
    assert path.read_bytes() == data and path.name == sha256
    assert requests.get(blobs.presigned_get(sha256, expires_s=60), timeout=10).content == data
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not blobs.exists(missing)
    with pytest.raises(NotFound):
        blobs.open_path(missing)


def test_limits_and_bad_names_are_refused(blobs: ObjectBlobStore) -> None:
    with pytest.raises(BlobTooLarge, match=r"big\.wav"):
        blobs.put(io.BytesIO(b"x" * 101), max_bytes=100, name="big.wav")
    with pytest.raises(InvalidParameter, match=r"\.\./etc"):
        blobs.exists("../etc/passwd")
    assert _count(blobs, "blobs") == 0


def test_concurrent_puts_of_one_hash_both_succeed_and_store_one_object(blobs: ObjectBlobStore) -> None:
    data = secrets.token_bytes(2 * 1024 * 1024)
    results: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def put() -> None:
        barrier.wait()
        try:
            results.append(blobs.put(io.BytesIO(data), max_bytes=len(data)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4 and len(set(results)) == 1
    assert _count(blobs, "blobs") == 1
    assert blobs.read(results[0][0]) == data


def test_a_conditional_write_never_overwrites(blobs: ObjectBlobStore) -> None:
    """The race's loser gets 412 from the server: put() treats it as stored and keeps the first bytes."""
    data = b"first bytes " * 1000
    sha256 = blobs.put_bytes(data)
    key = blobs.key(sha256)
    with pytest.raises(Exception, match="PreconditionFailed"):
        blobs._s3.put_object(Bucket=blobs.bucket, Key=key, Body=b"other", IfNoneMatch="*")
    assert blobs.read(sha256) == data


def test_an_announced_hash_that_does_not_match_is_refused(blobs: ObjectBlobStore) -> None:
    data = b"the real bytes" * 100
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(BlobHashMismatch, match=wrong):
        blobs.put(io.BytesIO(data), max_bytes=len(data), sha256=wrong)
    assert _count(blobs, "blobs") == 0
    right = hashlib.sha256(data).hexdigest()
    assert blobs.put(io.BytesIO(data), max_bytes=len(data), sha256=right) == (right, len(data))


def _upload_parts(
    urls: tuple[str, ...], data: bytes, part_bytes: int, *, only: set[int] | None = None
) -> None:
    for number, url in enumerate(urls, start=1):
        if only is not None and number not in only:
            continue
        chunk = data[(number - 1) * part_bytes : number * part_bytes]
        r = requests.put(url, data=chunk, timeout=30)
        assert r.status_code == 200, r.text


def test_presigned_multipart_upload_by_plain_http_then_verified(blobs: ObjectBlobStore) -> None:
    data = secrets.token_bytes(2 * MIN_PART_BYTES + 12345)  # three parts, the last one short
    sha256 = hashlib.sha256(data).hexdigest()
    upload = blobs.start_upload(sha256, size=len(data), max_bytes=64 << 20)
    assert len(upload.part_urls) == 3 and not blobs.exists(sha256)
    _upload_parts(upload.part_urls, data, upload.part_bytes, only={1, 3})
    # Resume: the server says which parts it holds; fresh URLs for the rest.
    held = {p["PartNumber"] for p in blobs.uploaded_parts(upload.key, upload.upload_id)}
    assert held == {1, 3}
    fresh = blobs.presign_parts(upload.key, upload.upload_id, [2])
    requests.put(
        fresh[0], data=data[upload.part_bytes : 2 * upload.part_bytes], timeout=30
    ).raise_for_status()
    assert blobs.complete_upload(sha256, key=upload.key, upload_id=upload.upload_id, size=len(data)) == len(
        data
    )
    assert blobs.exists(sha256) and blobs.read(sha256) == data
    assert _count(blobs, "incoming") == 0


def test_a_multipart_upload_with_other_bytes_never_becomes_the_blob(blobs: ObjectBlobStore) -> None:
    claimed = hashlib.sha256(b"the bytes the client claimed").hexdigest()
    sent = secrets.token_bytes(MIN_PART_BYTES + 1)
    upload = blobs.start_upload(claimed, size=len(sent), max_bytes=64 << 20)
    _upload_parts(upload.part_urls, sent, upload.part_bytes)
    with pytest.raises(BlobHashMismatch, match=claimed):
        blobs.complete_upload(claimed, key=upload.key, upload_id=upload.upload_id, size=len(sent))
    assert not blobs.exists(claimed)
    assert _count(blobs, "incoming") == 0 and _count(blobs, "blobs") == 0


def test_ownership_records_and_missing(blobs: ObjectBlobStore) -> None:
    a = blobs.put_bytes(b"alice's take" * 50)
    b = blobs.put_bytes(b"bob's take" * 50)
    blobs.add_owner("alice", a)
    blobs.add_owner("bob", b)
    never = hashlib.sha256(b"not uploaded").hexdigest()
    assert blobs.owns("alice", a) and not blobs.owns("alice", b)
    # bob's blob exists, but alice never uploaded it: she must send it (and learns nothing).
    assert blobs.missing("alice", [a, b, never, a]) == [b, never]


def test_retention_aborts_abandoned_uploads(blobs: ObjectBlobStore) -> None:
    sha256 = hashlib.sha256(b"abandoned").hexdigest()
    upload = blobs.start_upload(sha256, size=MIN_PART_BYTES, max_bytes=64 << 20)
    assert blobs.sweep(_nothing, grace_s=3600, now_s=time.time()).abandoned == 0
    assert blobs.sweep(_nothing, grace_s=3600, now_s=time.time() + 7200).abandoned == 1
    with pytest.raises(NotFound):
        blobs.uploaded_parts(upload.key, upload.upload_id)


def test_local_copies_for_decoding_stay_within_the_cache_bound(s3: S3Server, tmp_path: Path) -> None:
    settings = s3.store_settings(
        prefix=f"t-{secrets.token_hex(4)}/", cache_dir=tmp_path / "cache", cache_max_bytes=250_000
    )
    blobs = ObjectBlobStore(settings)
    hashes = [blobs.put_bytes(secrets.token_bytes(100_000)) for _ in range(4)]
    paths = [blobs.open_path(h) for h in hashes]
    kept = [p for p in paths if p.exists()]
    assert paths[-1] in kept and len(kept) == 2  # the newest copies, within 250 kB
    assert sum(p.stat().st_size for p in kept) <= settings.cache_max_bytes
    # An evicted copy is fetched (and verified) again on demand.
    assert blobs.open_path(hashes[0]).read_bytes() == blobs.read(hashes[0])


def test_a_staged_upload_is_sent_as_written(blobs: ObjectBlobStore) -> None:
    data = secrets.token_bytes(2 * 1024 * 1024 + 5)
    staged = blobs.stage(max_bytes=len(data), name="take.wav")
    for i in range(0, len(data), 65536):
        staged.write(data[i : i + 65536])
    staged.seek(0)
    sha256, size = blobs.put(staged, max_bytes=len(data))  # type: ignore[arg-type]
    staged.close()
    assert sha256 == hashlib.sha256(data).hexdigest() and size == len(data)
    assert blobs.read(sha256) == data
    again = blobs.stage(max_bytes=len(data))
    again.write(data)
    again.seek(0)
    assert blobs.put(again, max_bytes=len(data)) == (sha256, size)  # type: ignore[arg-type]
    again.close()
    assert _count(blobs, "blobs") == 1
    assert not list(blobs.settings.cache_dir.rglob(".upload-*"))  # type: ignore[union-attr]
    other = blobs.stage(max_bytes=len(data))
    other.write(b"other bytes")
    other.seek(0)
    with pytest.raises(BlobHashMismatch):
        blobs.put(other, max_bytes=len(data), sha256=sha256)  # type: ignore[arg-type]
    other.close()


def test_the_health_probe_passes_on_the_bucket_and_names_what_a_wrong_setting_gets(
    blobs: ObjectBlobStore, s3: S3Server
) -> None:
    blobs.check()
    wrong_bucket = ObjectBlobStore(s3.store_settings(bucket="no-such-bucket-here"))
    with pytest.raises(StorageUnavailable, match="no-such-bucket-here"):
        wrong_bucket.check()
    wrong_secret = ObjectBlobStore(s3.store_settings(secret_access_key="not-the-secret"))
    with pytest.raises(StorageUnavailable, match="answered"):
        wrong_secret.check()


def test_the_health_probe_of_a_dead_endpoint_fails_and_is_kept_for_its_ttl(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = ObjectBlobStore(s3.store_settings(endpoint_url=f"http://127.0.0.1:{port}"))
    now = [1000.0]
    monkeypatch.setattr(objectstore.time, "monotonic", lambda: now[0])
    with pytest.raises(StorageUnavailable, match="unreachable"):
        dead.check()
    calls: list[dict[str, object]] = []
    client = dead._probe_client()
    real = client.list_objects_v2
    monkeypatch.setattr(client, "list_objects_v2", lambda **kw: calls.append(kw) or real(**kw))
    now[0] += objectstore.PROBE_TTL_S - 1
    with pytest.raises(StorageUnavailable, match="unreachable"):
        dead.check()  # the kept answer: no request
    assert calls == []
    now[0] += 1
    with pytest.raises(StorageUnavailable, match="unreachable"):
        dead.check()
    assert len(calls) == 1
