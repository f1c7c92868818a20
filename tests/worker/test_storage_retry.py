"""An object store that refuses a worker is retried like Redis away, never a job failed at once.

Task bodies in eager mode against a real Redis and a real S3 server (SeaweedFS): the refusal is the
server's own answer to a worker with the wrong secret (SignatureDoesNotMatch), as on a host whose
credentials are wrong or while the store is away.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from config import Settings
from core.errors import StorageUnavailable
from service.messages import JobStatus
from service.model import Upload
from service.submit import submit_batch
from store.objectstore import ObjectBlobStore
from store.wiring import build_stores
from tests.conftest import wav_bytes
from tests.fakes import RecordingPublisher
from tests.s3_server import S3Server, s3_server_or_skip
from worker.app import create_celery


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = s3_server_or_skip(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


class RefusedFirst:
    """The bucket as a host with the wrong secret sees it for the first ``refusals`` reads, then as it is."""

    def __init__(self, good: ObjectBlobStore, bad: ObjectBlobStore, *, refusals: int) -> None:
        self.good, self.bad, self.refusals, self.refused = good, bad, refusals, 0

    def open_path(self, sha256: str) -> Path:
        if self.refused < self.refusals:
            self.refused += 1
            return self.bad.open_path(sha256)  # the server's real refusal
        return self.good.open_path(sha256)

    def __getattr__(self, name: str) -> object:
        return getattr(self.good, name)


def _stores(s3: S3Server, tmp_path: Path) -> tuple[ObjectBlobStore, ObjectBlobStore]:
    base = s3.store_settings(prefix=f"t{uuid.uuid4().hex[:8]}/", max_attempts=1)
    good = ObjectBlobStore(replace(base, cache_dir=tmp_path / "good-cache"))
    bad = ObjectBlobStore(replace(base, secret_access_key="not-the-secret", cache_dir=tmp_path / "bad-cache"))
    return good, bad


def _run_one(settings: Settings, blobs: RefusedFirst, monkeypatch: pytest.MonkeyPatch, *, seed: int) -> str:
    ports = replace(build_stores(settings, publisher=RecordingPublisher()), blobs=blobs)  # type: ignore[arg-type]
    app = create_celery(settings, ports=ports, task_always_eager=True)  # a retry runs again in place
    monkeypatch.setattr("worker.tasks.backoff_s", lambda retries: 0.0)
    sha256 = blobs.good.put_bytes(wav_bytes(seed=seed))
    _, (job,) = submit_batch(app.ports, owner="alice", uploads=[Upload(name="a.wav", sha256=sha256)])
    return job.job_id


def test_a_refused_blob_read_is_retried_and_the_job_finishes(
    settings: Settings, s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = _stores(s3, tmp_path)
    with pytest.raises(StorageUnavailable, match="SignatureDoesNotMatch"):
        bad.open_path(good.put_bytes(b"the refusal is real"))
    blobs = RefusedFirst(good, bad, refusals=2)
    job_id = _run_one(settings, blobs, monkeypatch, seed=131)
    job = build_stores(settings).jobs.job(job_id)
    assert blobs.refused == 2
    assert job is not None and job.status is JobStatus.DONE, job


def test_a_store_refusing_every_retry_fails_the_job_as_unavailable(
    settings: Settings, s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = _stores(s3, tmp_path)
    blobs = RefusedFirst(good, bad, refusals=100)
    job_id = _run_one(replace(settings, task_max_retries=2), blobs, monkeypatch, seed=132)
    job = build_stores(settings).jobs.job(job_id)
    assert blobs.refused == 3  # the first attempt and two retries
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error is not None and job.error["code"] == "unavailable"
    assert "SignatureDoesNotMatch" in job.error["message"]
