"""Blob retention in the worker: one sweep per interval across processes (a Redis lease), on a timer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from config import Settings
from service.model import Job, new_id
from service.ports import Ports
from store.blobs import LocalBlobStore
from store.cache import RedisCache
from store.jobs import RedisJobStore
from store.keys import RETENTION_LEASE
from store.leases import RedisLease
from tests.fakes import memory_ports
from worker.retention import run_periodically, sweep_when_due

#: A Redis database of its own: the sweep scans every job and session in it.
RETENTION_DB = 8


@pytest.fixture
def ports(redis_base_url: str, tmp_path: Path) -> Iterator[Ports]:
    client = redis.Redis.from_url(f"{redis_base_url}/{RETENTION_DB}", decode_responses=True)
    client.flushdb()
    settings = Settings(redis_url=f"{redis_base_url}/{RETENTION_DB}", data_dir=tmp_path, blob_retention_s=1)
    base = memory_ports(settings, blob_root=tmp_path / "fake")
    yield replace(
        base, jobs=RedisJobStore(client, ttl_s=600), blobs=LocalBlobStore(settings.blob_dir),
        cache=RedisCache(client, ttl_s=600),
    )  # fmt: skip
    client.flushdb()
    client.close()


def _lease(ports: Ports, holder: str, ttl_s: int = 60) -> RedisLease:
    jobs = ports.jobs
    assert isinstance(jobs, RedisJobStore)
    return RedisLease(jobs.redis, RETENTION_LEASE, ttl_s=ttl_s, holder=holder)


def test_one_process_sweeps_per_interval(ports: Ports) -> None:
    ports.blobs.put_bytes(b"nobody's" * 100)
    first, second = _lease(ports, "w1@a"), _lease(ports, "w2@b")
    report = sweep_when_due(ports, first.acquire, now=lambda: 1000.0)
    assert report is not None and report.marked == 1
    assert sweep_when_due(ports, second.acquire) is None  # the lease is w1's for the interval
    assert sweep_when_due(ports, first.acquire) is None  # w1's too: once per interval, whoever asks


def test_the_timer_deletes_what_stays_unreferenced_and_keeps_what_a_job_names(ports: Ports) -> None:
    orphan = ports.blobs.put_bytes(b"uploaded, never analysed" * 100)
    used = ports.blobs.put_bytes(b"analysed" * 100)
    ports.jobs.create_job(Job(new_id(), "alice", name="kick", sha256=used))
    ports.jobs.add_blob("alice", orphan)
    stop = threading.Event()
    lease = _lease(ports, "w1@a", ttl_s=1)
    thread = threading.Thread(target=run_periodically, args=(ports, lease.acquire),
                              kwargs={"every_s": 0.2, "stop": stop}, daemon=True)  # fmt: skip
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while ports.blobs.exists(orphan) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert not ports.blobs.exists(orphan) and not ports.jobs.owns_blob("alice", orphan)
    assert ports.blobs.exists(used)
