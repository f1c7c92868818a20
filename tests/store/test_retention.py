"""Blob retention on both backends (local directory, S3 on a real SeaweedFS) and over a real Redis."""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from config import Settings
from service.model import Job, new_id
from service.retention import sweep_blobs
from service.track_job import analysis_params, cache_analysis
from store.blobs import LocalBlobStore
from store.cache import RedisCache
from store.jobs import RedisJobStore
from store.objectstore import MIN_PART_BYTES, ObjectBlobStore
from tests.fakes import memory_ports
from tests.s3_server import S3Server

GRACE_S = 3600.0
T0 = 1_000_000.0
#: A Redis database of its own: sweep_blobs scans every job and session in it.
RETENTION_DB = 7

Store = LocalBlobStore | ObjectBlobStore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    s3: S3Server = request.getfixturevalue("s3")
    return ObjectBlobStore(
        s3.store_settings(
            prefix=f"t-{secrets.token_hex(4)}/", cache_dir=tmp_path / "cache", part_bytes=MIN_PART_BYTES
        )
    )


def _put(store: Store, i: int) -> str:
    return store.put_bytes(f"blob {i} ".encode() * 200)


def _stored(store: Store) -> set[str]:
    return set(store.blob_hashes())


def test_only_blobs_unreferenced_for_the_whole_grace_time_are_deleted(store: Store) -> None:
    live, old, revived = (_put(store, i) for i in range(3))
    only_live = {live}.__contains__
    first = store.sweep(only_live, grace_s=GRACE_S, now_s=T0)
    assert (first.kept, first.marked, first.deleted) == (1, 2, ())
    assert store.sweep(only_live, grace_s=GRACE_S, now_s=T0 + GRACE_S - 1).deleted == ()
    # revived is referenced again: it keeps its bytes and loses its mark.
    report = store.sweep({live, revived}.__contains__, grace_s=GRACE_S, now_s=T0 + GRACE_S + 1)
    assert report.deleted == (old,)
    assert _stored(store) == {live, revived}
    # revived's unreferenced time starts again from the next sweep that finds it unreferenced.
    assert store.sweep(only_live, grace_s=GRACE_S, now_s=T0 + GRACE_S + 2).deleted == ()
    assert store.sweep(only_live, grace_s=GRACE_S, now_s=T0 + 2 * GRACE_S + 2).deleted == (revived,)
    assert _stored(store) == {live} and store.marks() == {}


def test_storing_the_same_bytes_again_restarts_the_grace_time(store: Store) -> None:
    data = b"uploaded again " * 300
    sha256 = store.put_bytes(data)
    nothing = set[str]().__contains__
    store.sweep(nothing, grace_s=GRACE_S, now_s=T0)
    assert sha256 in store.marks()
    assert store.put(io.BytesIO(data), max_bytes=len(data))[0] == sha256  # a client sent it again
    assert store.marks() == {}
    assert store.sweep(nothing, grace_s=GRACE_S, now_s=T0 + GRACE_S + 1).deleted == ()
    assert store.exists(sha256)


def test_local_temporary_files_of_abandoned_uploads_are_removed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    _put(store, 0)
    stale = store.root / ".upload-abandoned"
    stale.write_bytes(b"half an upload")
    os.utime(stale, (T0, T0))
    nothing = set[str]().__contains__
    assert store.sweep(nothing, grace_s=GRACE_S, now_s=T0 + GRACE_S - 1).abandoned == 0
    assert store.sweep(nothing, grace_s=GRACE_S, now_s=T0 + GRACE_S + 1).abandoned == 1
    assert not stale.exists()


def test_sweep_keeps_what_jobs_sessions_inputs_and_the_cache_name(
    store: Store, redis_base_url: str, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(f"{redis_base_url}/{RETENTION_DB}", decode_responses=True)
    client.flushdb()
    settings = Settings(redis_url=f"{redis_base_url}/{RETENTION_DB}", data_dir=tmp_path,
                        blob_retention_s=int(GRACE_S))  # fmt: skip
    jobs = RedisJobStore(client, ttl_s=600)
    ports = replace(
        memory_ports(settings, blob_root=tmp_path / "fake"),
        jobs=jobs, blobs=store, cache=RedisCache(client, ttl_s=600),
    )  # fmt: skip
    by_job, in_session, in_input, cached, orphan = (_put(store, 10 + i) for i in range(5))
    for sha256 in (by_job, in_session, in_input, cached, orphan):
        jobs.add_blob("alice", sha256)
    jobs.create_job(Job(new_id(), "alice", name="kick", sha256=by_job))
    jobs.put_session("alice", "song", {"tracks": [{"track_id": "t1", "sha256": in_session}]})
    jobs.put_session_input(new_id(), {"a": in_input, "b": by_job})  # a comparison's frozen input
    cache_analysis(ports, "alice", cached, analysis_params(settings), {"sha256": cached}, compute_s=0.0)
    try:
        first = sweep_blobs(ports, now_s=T0)
        assert (first.kept, first.marked) == (4, 1)
        assert sweep_blobs(ports, now_s=T0 + GRACE_S - 1).deleted == ()
        assert sweep_blobs(ports, now_s=T0 + GRACE_S).deleted == (orphan,)
        assert _stored(store) == {by_job, in_session, in_input, cached}
        assert not jobs.owns_blob("alice", orphan) and jobs.owns_blob("alice", cached)
        # Nothing is counted as a cache lookup: retention is not a client.
        assert ports.cache.stats().hits == ports.cache.stats().misses == 0
    finally:
        client.flushdb()
        client.close()
