"""Reference comparison on in-memory ports: owned blobs only, analyses reused, the Comparison stored."""

from __future__ import annotations

import pytest

from core.errors import BlobNotFound
from service.compare import run_compare_job, submit_compare
from service.messages import Event, JobKind, JobStatus
from service.ports import Ports
from service.snapshots import job_snapshot
from tests.conftest import wav_bytes


def upload(ports: Ports, owner: str, seed: int) -> str:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=1.0, seed=seed))
    ports.jobs.add_blob(owner, sha)
    return sha


def run_queued(ports: Ports) -> None:
    for (job_id,) in ports.queue.named("compare"):  # type: ignore[attr-defined]
        run_compare_job(ports, job_id=job_id)


def test_an_unknown_or_someone_elses_blob_is_not_found_and_nothing_is_queued(ports: Ports) -> None:
    mine, theirs = upload(ports, "alice", 1), upload(ports, "bob", 2)
    with pytest.raises(BlobNotFound, match=r"\$\.b") as refused:
        submit_compare(ports, owner="alice", a=mine, b=theirs)
    assert refused.value.code == "blob_not_found" and refused.value.http_status == 404
    with pytest.raises(BlobNotFound, match=r"\$\.a"):
        submit_compare(ports, owner="alice", a="0" * 64, b=mine)
    assert ports.queue.named("compare") == []  # type: ignore[attr-defined]


def test_a_track_against_itself_is_identical_and_its_analysis_is_computed_once(ports: Ports) -> None:
    sha = upload(ports, "alice", 3)
    job = submit_compare(ports, owner="alice", a=sha, b=sha)
    assert job.kind is JobKind.COMPARE and ports.jobs.job(job.job_id).status is JobStatus.QUEUED  # type: ignore[union-attr]
    run_queued(ports)
    done = ports.jobs.job(job.job_id)
    assert done is not None and done.status is JobStatus.DONE
    result = job_snapshot(ports, done)["result"]
    assert result["similarity"] == 1.0
    assert all(b["diff_db"] in (0.0, None) for b in result["bands"])
    assert all(d["diff"] in (0.0, None) for d in [*result["loudness"], *result["dynamics"]])
    assert ports.cache.stats().puts == 1  # b reused a's analysis
    assert [m.event for m, _ in ports.publisher.sent][-1] == Event.JOB_DONE  # type: ignore[attr-defined]

    sent = len(ports.publisher.sent)  # type: ignore[attr-defined]
    run_queued(ports)  # a redelivered message: the finished job is left alone
    assert len(ports.publisher.sent) == sent  # type: ignore[attr-defined]


def test_two_tracks_differ_and_bad_audio_fails_the_job_once(ports: Ports) -> None:
    a, b = upload(ports, "alice", 4), upload(ports, "alice", 5)
    job = submit_compare(ports, owner="alice", a=a, b=b)
    bad = ports.blobs.put_bytes(b"not audio at all")
    ports.jobs.add_blob("alice", bad)
    failing = submit_compare(ports, owner="alice", a=a, b=bad)
    run_queued(ports)
    result = job_snapshot(ports, ports.jobs.job(job.job_id))["result"]  # type: ignore[arg-type]
    assert 0.0 <= result["similarity"] < 1.0
    failed = ports.jobs.job(failing.job_id)
    assert failed is not None and failed.status is JobStatus.FAILED and failed.error is not None
    assert ports.cache.stats().puts == 2  # a was analysed once for both jobs
