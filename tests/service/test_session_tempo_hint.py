"""A session's declared BPM reaches its track jobs as AnalysisParams.bpm_hint, and keys their cache."""

from __future__ import annotations

import pytest

from service.model import Upload
from service.ports import Ports
from service.sessions import put_session
from service.submit import submit_batch, submit_session
from service.track_job import analysis_key, analysis_params, run_track_job
from tests.conftest import wav_bytes


def _session(ports: Ports, sha256: str, bpm: float | None) -> None:
    doc = {"tracks": [{"track_id": "p", "name": "Pad", "type": "pad", "sha256": sha256}]}
    if bpm is not None:
        doc["bpm"] = bpm
    put_session(ports, owner="alice", session_id="s", doc=doc)


def _run_session_tracks(ports: Ports) -> dict:
    job = submit_session(ports, owner="alice", session_id="s")
    (_, tracks), *_ = reversed(ports.queue.named("analyze_session"))  # type: ignore[attr-defined]
    for job_id, sha256 in tracks:
        run_track_job(ports, job_id=job_id, sha256=sha256, hostname="test")
    (child,) = ports.jobs.jobs(job.children)
    result = ports.cache.load(child.result_key)
    assert result is not None
    return {"key": child.result_key, "cached": child.cached, "rhythm": result["rhythm"]}


@pytest.mark.parametrize("bpm", [97, 128.5])
def test_the_declared_bpm_is_the_track_jobs_tempo_prior(ports: Ports, bpm: float) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=3.0, seed=31))
    ports.jobs.add_blob("alice", sha)
    _session(ports, sha, bpm)
    got = _run_session_tracks(ports)
    assert got["key"] == analysis_key("alice", sha, analysis_params(ports.settings, bpm_hint=float(bpm)))
    assert got["rhythm"]["tempo_source"] == "prior"
    assert got["rhythm"]["tempo_bpm"] == pytest.approx(bpm, rel=0.04)
    # Analysed again with the same BPM: the hinted analysis is the cached one, decided at submit.
    again = _run_session_tracks(ports)
    assert again["cached"] and again["key"] == got["key"]


def test_without_a_declared_bpm_or_outside_a_session_the_tempo_is_estimated(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seconds=3.0, seed=32))
    ports.jobs.add_blob("alice", sha)
    _session(ports, sha, 120)
    hinted = _run_session_tracks(ports)
    # A plain upload of the same blob is not served the session's hinted analysis.
    _, (job,) = submit_batch(ports, owner="alice", uploads=[Upload(name="pad.wav", sha256=sha)])
    assert not job.cached
    run_track_job(ports, job_id=job.job_id, sha256=sha, hostname="test")
    plain = ports.cache.load(ports.jobs.job(job.job_id).result_key)  # type: ignore[union-attr]
    assert plain is not None and plain["rhythm"]["tempo_source"] == "estimated"
    assert ports.jobs.job(job.job_id).result_key != hinted["key"]  # type: ignore[union-attr]
    _session(ports, sha, None)
    assert _run_session_tracks(ports)["rhythm"]["tempo_source"] == "estimated"
