"""Task bodies in eager mode against a real Redis, with a recording publisher instead of Socket.IO."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest
import redis

import service.track_job
from config import Settings
from service.messages import Event, JobStatus
from service.model import Upload
from service.submit import submit_batch, submit_session
from store.wiring import build_stores
from tests.conftest import wav_bytes
from tests.fakes import RecordingPublisher
from worker.app import CodetteCelery, create_celery


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def app(settings: Settings, publisher: RecordingPublisher) -> CodetteCelery:
    ports = build_stores(settings, publisher=publisher)
    return create_celery(settings, ports=ports, task_always_eager=True, task_eager_propagates=True)


@pytest.fixture
def analyze_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count calls of core.analysis.analyze made by the worker (still running the real one)."""
    calls: list[str] = []
    real = service.track_job.analyze

    def counting(source: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["sha256"])
        return real(source, **kwargs)

    monkeypatch.setattr(service.track_job, "analyze", counting)
    return calls


def submit(app: CodetteCelery, *blobs: bytes, owner: str = "alice"):
    uploads = [Upload(name=f"{i}.wav", sha256=app.ports.blobs.put_bytes(b)) for i, b in enumerate(blobs)]
    return submit_batch(app.ports, owner=owner, uploads=uploads)


def events(publisher: RecordingPublisher) -> list[str]:
    return [m.event.value for m, _ in publisher.sent]


def test_a_track_is_analysed_once_then_served_from_the_cache(app, publisher, analyze_calls) -> None:
    data = wav_bytes(seed=101)
    _, (job,) = submit(app, data)
    done = app.ports.jobs.job(job.job_id)
    assert done.status is JobStatus.DONE and not done.cached and done.progress == 1.0
    result = app.ports.cache.load(done.result_key)
    assert result is not None and done.result_key.startswith(result["cache_key"] + ":user:")  # the owner's
    assert events(publisher)[-2:] == [Event.JOB_DONE, Event.BATCH_DONE]
    assert Event.JOB_PROGRESS in events(publisher)

    _, (again,) = submit(app, data)
    assert again.cached and again.status is JobStatus.DONE and again.result_key == done.result_key
    assert analyze_calls == [job.sha256]
    stats = app.ports.cache.stats()
    assert stats.hits >= 1 and stats.puts >= 1


def test_a_redelivered_message_is_harmless(app, publisher, analyze_calls) -> None:
    _, (job,) = submit(app, wav_bytes(seed=102))
    before = len(publisher.sent)
    out = app.tasks["codette.analyze_track"].apply(args=(job.job_id, job.sha256)).get()
    assert out["status"] == "done" and analyze_calls == [job.sha256]
    assert len(publisher.sent) == before  # no second job.done, no second batch.done


def test_a_late_twin_delivery_changes_and_announces_nothing(app, publisher, analyze_calls) -> None:
    """Redelivered while its first delivery still ran: the second worker to finish is a no-op."""
    _, (job,) = submit(app, wav_bytes(seed=109))
    done = app.ports.jobs.job(job.job_id)
    before = len(publisher.sent)
    seen_running = replace(done, status=JobStatus.RUNNING)  # what the twin read when it started
    app.ports.jobs.set_progress(job.job_id, 0.5, "measuring")
    service.track_job.finish_done(
        app.ports, seen_running, result_key=done.result_key, result={}, cached=False
    )
    service.track_job.finish_failed(app.ports, seen_running, {"code": "timeout", "message": "late"})
    assert len(publisher.sent) == before  # no second job.done, no job.failed
    assert app.ports.jobs.job(job.job_id) == done  # still done, progress 1.0, no error


def test_bad_audio_fails_once_with_its_code(app, publisher, analyze_calls) -> None:
    _, (job,) = submit(app, b"RIFF....this is not a wave file")
    failed = app.ports.jobs.job(job.job_id)
    assert failed.status is JobStatus.FAILED
    assert failed.error["code"] in {"unsupported_format", "corrupt_audio", "invalid_audio"}
    assert len(analyze_calls) == 1
    assert Event.JOB_FAILED in events(publisher) and Event.BATCH_DONE in events(publisher)


def test_transient_errors_are_retried(settings, publisher, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without eager propagation, an eager task's retry runs again in place, as a worker would later.
    ports = build_stores(settings, publisher=publisher)
    app = create_celery(settings, ports=ports, task_always_eager=True)
    real, calls = service.track_job.analyze, []

    def flaky(source: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise redis.ConnectionError("Redis went away")
        return real(source, **kwargs)

    monkeypatch.setattr(service.track_job, "analyze", flaky)
    monkeypatch.setattr("worker.tasks.backoff_s", lambda retries: 0.0)
    _, (job,) = submit(app, wav_bytes(seed=103))
    assert len(calls) == 2
    assert app.ports.jobs.job(job.job_id).status is JobStatus.DONE


def test_a_session_runs_its_tracks_then_the_session_step(app, publisher) -> None:
    store, blobs = app.ports.jobs, app.ports.blobs
    shas = [blobs.put_bytes(wav_bytes(seed=s)) for s in (104, 105)]
    tracks = [
        {"track_id": "kick", "name": "Kick", "type": "kick", "sha256": shas[0]},
        {"track_id": "bass", "name": "Bass", "type": "bass", "sha256": shas[1], "muted": True},
    ]
    # One track is already analysed, at the tempo this session declares (the hint is in the cache key).
    earlier = f"s-{uuid.uuid4().hex}"
    store.put_session("alice", earlier, {"bpm": 124, "tracks": tracks[:1]})
    submit_session(app.ports, owner="alice", session_id=earlier)
    sid = f"s-{uuid.uuid4().hex}"
    store.put_session(
        "alice", sid, {"bpm": 124, "genre": "house", "platform": "apple_music", "tracks": tracks}
    )
    job = submit_session(app.ports, owner="alice", session_id=sid)
    done = store.latest_session_job("alice", sid)
    assert done.job_id == job.job_id and done.status is JobStatus.DONE
    result = store.load_json(done.result_key)
    assert [t["track_id"] for t in result["tracks"]] == ["kick", "bass"]
    assert [t["cached"] for t in result["tracks"]] == [True, False]
    assert result["summary"]["analysed"] == 2 and result["summary"]["session_bpm"] == 124
    assert result["session_analysis"] is not None  # core.session.analyze_session ran
    assert result["platform"] == result["session_analysis"]["platform"] == "apple_music"  # the declared one
    assert events(publisher)[-1] == Event.SESSION_DONE
