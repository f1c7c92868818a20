"""What a task does, as plain functions of Services: load, call core, store, publish.

Idempotent by construction: a job that is already finished is left alone, and a result already in
the cache (keyed by content hash and parameters) is used instead of analysing again, so a message
the broker redelivers after a crash costs one cache lookup.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import time
from collections.abc import Callable
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded

from config import Settings
from core.analysis import AnalysisParams, analyze, cache_key
from core.errors import CodetteError
from core.messages import (
    BatchDone,
    JobDone,
    JobFailed,
    JobKind,
    JobProgress,
    JobStatus,
    Message,
    SessionDone,
    batch_room,
    job_room,
    session_room,
)
from core.results import TrackAnalysis
from core.session_summary import SessionTrack, summarize_session
from worker.learning import index_session_suggestions
from worker.services import Services
from worker.state import Job

log = logging.getLogger(__name__)

#: Report progress to Redis and clients at most this often (in fraction of the job).
PROGRESS_STEP = 0.05
#: Share of a session job's progress taken by its tracks; the session step is the rest.
SESSION_TRACKS_SHARE = 0.9


def analysis_params(settings: Settings) -> AnalysisParams:
    """The parameters every process derives from Settings, so API and workers agree on cache keys."""
    return AnalysisParams(max_duration_s=settings.max_duration_s)


def rooms_for(job: Job) -> list[str]:
    rooms = [job_room(job.job_id)]
    if job.batch_id and job.kind is JobKind.TRACK:
        rooms.append(batch_room(job.batch_id))
    if job.session_id:
        rooms.append(session_room(job.owner, job.session_id))
    return rooms


def _progress_reporter(services: Services, job: Job) -> Callable[[float, str], None]:
    last_progress, last_stage = [-1.0], [""]

    def report(progress: float, stage: str) -> None:
        if stage == last_stage[0] and progress - last_progress[0] < PROGRESS_STEP:
            return
        last_progress[0], last_stage[0] = progress, stage
        services.store.set_progress(job.job_id, progress, stage)
        services.publisher.publish(JobProgress(job.job_id, round(progress, 4), stage), rooms=rooms_for(job))

    return report


def finish_done(
    services: Services,
    job: Job,
    *,
    result_key: str,
    result: dict[str, Any],
    cached: bool,
    elapsed_s: float | None = None,
) -> Job:
    message = _final_messages(job, result=result)  # built first: nothing slow between store and publish
    finished = services.store.finish_job(
        job.job_id,
        status=JobStatus.DONE,
        progress=1.0,
        stage="done",
        result_key=result_key,
        cached=cached,
        elapsed_s=elapsed_s,
        announced=False,
    )
    if finished is None:  # another delivery of the same message finished it first, and announces it
        return services.store.job(job.job_id) or job
    return _announce(services, finished, message)


def finish_failed(services: Services, job: Job, error: dict[str, str]) -> Job:
    finished = services.store.finish_job(
        job.job_id, status=JobStatus.FAILED, stage="failed", error=error, announced=False
    )
    if finished is None:  # already done (or failed) by another delivery: never overwrite it
        return services.store.job(job.job_id) or job
    return _announce(services, finished, [JobFailed(job.job_id, error)])


def _final_messages(job: Job, *, result: dict[str, Any]) -> list[Message]:
    messages: list[Message] = [JobDone(job.job_id, result)]
    if job.kind is JobKind.SESSION:
        messages.append(SessionDone(job.session_id, job.job_id))
    return messages


def _announce(services: Services, job: Job, messages: list[Message]) -> Job:
    """Publish a finished job's final events, count it in its batch, then mark it announced.

    A worker killed after storing the final state but before this completes leaves ``announced``
    false; the broker redelivers the message and ``reannounce`` finishes the job's announcement, so
    a client never waits forever for a job.done that REST already shows (at-least-once events).
    """
    for message in messages:
        services.publisher.publish(message, rooms=rooms_for(job))
    _count_in_batch(services, job)
    return services.store.update_job(job.job_id, announced=True)


def reannounce(services: Services, job: Job) -> None:
    """For a redelivered task of a finished job: publish its final events if they may be missing."""
    if job.announced:
        return
    log.warning("job %s finished but its events were not confirmed sent; sending them again", job.job_id)
    if job.status is JobStatus.FAILED:
        _announce(services, job, [JobFailed(job.job_id, job.error or {})])
        return
    if job.kind is JobKind.SESSION:
        result = services.store.load_json(job.result_key) or {}
    else:
        result = services.cache.load(job.result_key) or {}
    _announce(services, job, _final_messages(job, result=result))


def _count_in_batch(services: Services, job: Job) -> None:
    if not job.batch_id or job.kind is not JobKind.TRACK:
        return
    finished, total, completed_now = services.store.finish_in_batch(job.batch_id, job.job_id)
    if completed_now:
        services.publisher.publish(BatchDone(job.batch_id), rooms=[batch_room(job.batch_id)])
    batch = services.store.batch(job.batch_id)
    if batch is not None and batch.session_job_id and total:
        parent = services.store.job(batch.session_job_id)
        if parent is not None and not parent.status.finished:
            progress = SESSION_TRACKS_SHARE * finished / total
            services.store.set_progress(parent.job_id, progress, "tracks")
            services.publisher.publish(
                JobProgress(parent.job_id, round(progress, 4), "tracks"), rooms=rooms_for(parent)
            )


def run_track_job(services: Services, *, job_id: str, sha256: str, hostname: str) -> dict[str, str]:
    """Analyse one blob for one job; bad audio fails the job (no retry), transient errors propagate."""
    job = services.store.job(job_id)
    if job is None:
        log.warning("job %s expired before it ran; dropping it", job_id)
        return {"job_id": job_id, "status": "missing"}
    if job.status.finished:
        reannounce(services, job)
        return {"job_id": job_id, "status": job.status.value}
    key = cache_key(sha256, analysis_params(services.settings))
    cached = services.cache.get(key)
    if cached is not None:
        finish_done(services, job, result_key=key, result=cached, cached=True)
        return {"job_id": job_id, "status": JobStatus.DONE.value}
    job = services.store.update_job(job_id, status=JobStatus.RUNNING, stage="starting", worker=hostname)
    started = time.perf_counter()
    try:
        path = services.blobs.open_path(sha256)
        analysis = analyze(
            path,
            name=job.name,
            params=analysis_params(services.settings),
            sha256=sha256,
            on_progress=_progress_reporter(services, job),
        )
        value = analysis.to_dict()
    except CodetteError as exc:
        finish_failed(services, job, exc.to_dict())
        return {"job_id": job_id, "status": JobStatus.FAILED.value}
    except SoftTimeLimitExceeded:
        limit = services.settings.task_soft_time_limit_s
        finish_failed(services, job, {"code": "timeout", "message": f"analysis took longer than {limit} s"})
        return {"job_id": job_id, "status": JobStatus.FAILED.value}
    elapsed = time.perf_counter() - started
    services.cache.put(key, value, compute_s=elapsed)
    finish_done(services, job, result_key=key, result=value, cached=False, elapsed_s=round(elapsed, 3))
    return {"job_id": job_id, "status": JobStatus.DONE.value}


def session_analyzer() -> Callable[..., Any] | None:
    """The seam for the session-level analysis: ``core.session.analyze_session`` once it exists.

    Called as ``analyze_session(session=<document>, analyses={track_id: TrackAnalysis})``; its return
    value (a dataclass with ``to_dict`` or a JSON-clean dict) becomes ``result["session_analysis"]``.
    """
    if importlib.util.find_spec("core.session") is None:
        return None
    module = importlib.import_module("core.session")
    fn: Callable[..., Any] | None = getattr(module, "analyze_session", None)
    return fn


def run_session_job(services: Services, *, job_id: str) -> dict[str, str]:
    """The chord's body: gather the tracks' analyses, summarise, call the session seam, publish."""
    job = services.store.job(job_id)
    if job is None:
        log.warning("session job %s expired before it ran; dropping it", job_id)
        return {"job_id": job_id, "status": "missing"}
    if job.status.finished:
        reannounce(services, job)
        return {"job_id": job_id, "status": job.status.value}
    services.store.set_progress(job_id, SESSION_TRACKS_SHARE, "session")
    doc = services.store.session_input(job_id)
    children = {child.track_id: child for child in services.store.jobs(job.children)}
    analyses: dict[str, TrackAnalysis | None] = {}
    tracks_out = []
    for track in doc["tracks"]:
        child = children.get(track["track_id"])
        value = services.cache.load(child.result_key) if child and child.status is JobStatus.DONE else None
        analyses[track["track_id"]] = TrackAnalysis.from_dict(value) if value is not None else None
        tracks_out.append(
            {
                "track_id": track["track_id"],
                "job_id": child.job_id if child else None,
                "status": child.status.value if child else JobStatus.FAILED.value,
                "cached": child.cached if child else False,
                "error": child.error if child else None,
            }
        )
    session_tracks = [
        SessionTrack(
            track_id=t["track_id"],
            name=t.get("name", ""),
            type=t.get("type", ""),
            sha256=t["sha256"],
            volume_db=t.get("volume_db", 0.0),
            pan=t.get("pan", 0.0),
            inserts=tuple(t.get("inserts", ())),
            muted=t.get("muted", False),
        )
        for t in doc["tracks"]
    ]
    try:
        summary = summarize_session(session_tracks, analyses, session_bpm=doc.get("bpm"))
        analyzer = session_analyzer()
        extra = None
        if analyzer is not None:
            done = {k: v for k, v in analyses.items() if v is not None}
            out = analyzer(session=doc, analyses=done)
            extra = out.to_dict() if hasattr(out, "to_dict") else out
    except CodetteError as exc:
        finish_failed(services, job, exc.to_dict())
        return {"job_id": job_id, "status": JobStatus.FAILED.value}
    result = {
        "session_id": job.session_id,
        "bpm": doc.get("bpm"),
        "genre": doc.get("genre"),
        "tracks": tracks_out,
        "summary": summary.to_dict(),
        "session_analysis": extra,
    }
    key = services.store.put_session_result(job_id, result)
    index_session_suggestions(services, owner=job.owner, result=result)  # feedback names them by id
    finish_done(services, job, result_key=key, result=result, cached=False)
    return {"job_id": job_id, "status": JobStatus.DONE.value}
