"""A track job, as plain functions of the ports: load, call core, store, publish, finish once.

Idempotent by construction: a job that is already finished is left alone, and a result already in
the cache (keyed by content hash and parameters) is used instead of analysing again, so a message
the broker redelivers after a crash costs one cache lookup.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from config import Settings
from core.analysis import AnalysisParams, analyze, cache_key
from core.errors import CodetteError, StorageUnavailable
from service.admission import release
from service.cached import readable_analysis
from service.messages import (
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
from service.model import Job
from service.ports import Ports
from service.snapshots import track_result
from service.suggestions import store_track_suggestions

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Report progress to Redis and clients at most this often (in fraction of the job).
PROGRESS_STEP = 0.05
#: Share of a session job's progress taken by its tracks; the session step is the rest.
SESSION_TRACKS_SHARE = 0.9


#: Errors of the store behind a port, not of the audio: a job runner lets them through so the task
#: retries them (worker.tasks) instead of failing the job at the first object-store blip.
TRANSIENT_STORE_ERRORS: tuple[type[Exception], ...] = (StorageUnavailable,)


def analysis_params(
    settings: Settings, *, bpm_hint: float | None = None, max_duration_s: float | None = None
) -> AnalysisParams:
    """The parameters every process derives from Settings (and the session's declared BPM, if any),
    so API and workers agree on cache keys; a track job's own ``max_duration_s`` (Job) wins."""
    limit = settings.max_duration_s if max_duration_s is None else max_duration_s
    return AnalysisParams(max_duration_s=limit, bpm_hint=bpm_hint)


def analysis_key(owner: str, sha256: str, params: AnalysisParams) -> str:
    """Where ``owner``'s analysis of a blob is cached: the engine's content key, scoped to the user.

    Shared between users, a cache hit told one user that someone else had uploaded the same audio
    (their job came back "cached" at once), against the promise that nobody learns what others
    analysed (README, POST /api/v1/blobs/missing). A DAW user re-analyses their own sessions, so
    the scope costs a second analysis only when two users upload identical bytes.
    """
    tag = hashlib.sha256(owner.encode()).hexdigest()[:16]
    return f"{cache_key(sha256, params)}:user:{tag}"


def cache_analysis(
    ports: Ports, owner: str, sha256: str, params: AnalysisParams, value: dict[str, Any], *, compute_s: float
) -> str:
    """Cache ``owner``'s analysis of a blob (its key returned), and mark the blob's content key so blob
    retention (service.retention) keeps a blob some user's cached analysis still names."""
    key = analysis_key(owner, sha256, params)
    ports.cache.put(key, value, compute_s=compute_s)
    ports.cache.mark(cache_key(sha256, params))
    return key


def declared_bpm(ports: Ports, job: Job) -> float | None:
    """The BPM the job's session declared when it was submitted (its frozen copy); None outside one."""
    batch = ports.jobs.batch(job.batch_id) if job.session_id and job.batch_id else None
    if batch is None or not batch.session_job_id:
        return None
    bpm = ports.jobs.session_input(batch.session_job_id).get("bpm")
    return None if bpm is None else float(bpm)


def rooms_for(job: Job) -> list[str]:
    rooms = [job_room(job.job_id)]
    if job.batch_id and job.kind is JobKind.TRACK:
        rooms.append(batch_room(job.batch_id))
    if job.session_id:
        rooms.append(session_room(job.owner, job.session_id))
    return rooms


def _progress_reporter(ports: Ports, job: Job) -> Callable[[float, str], None]:
    last_progress, last_stage = [-1.0], [""]

    def report(progress: float, stage: str) -> None:
        if stage == last_stage[0] and progress - last_progress[0] < PROGRESS_STEP:
            return
        last_progress[0], last_stage[0] = progress, stage
        ports.jobs.set_progress(job.job_id, progress, stage)
        ports.publisher.publish(JobProgress(job.job_id, round(progress, 4), stage), rooms=rooms_for(job))

    return report


def finish_done(
    ports: Ports,
    job: Job,
    *,
    result_key: str,
    result: dict[str, Any],
    cached: bool,
    elapsed_s: float | None = None,
) -> Job:
    message = _final_messages(job, result=result)  # built first: nothing slow between store and publish
    if job.kind is JobKind.TRACK:
        # before the job reads as done: a client polling GET /api/v1/jobs/<id> saw "done" with no
        # suggestions when they were stored after it (tests/integration/test_preview.py, 2 runs in 9)
        store_track_suggestions(ports, dataclasses.replace(job, result_key=result_key), result)
    finished = ports.jobs.finish_job(
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
        return ports.jobs.job(job.job_id) or job
    return _announce(ports, finished, message)


def finish_failed(ports: Ports, job: Job, error: dict[str, str]) -> Job:
    finished = ports.jobs.finish_job(
        job.job_id, status=JobStatus.FAILED, stage="failed", error=error, announced=False
    )
    if finished is None:  # already done (or failed) by another delivery: never overwrite it
        return ports.jobs.job(job.job_id) or job
    return _announce(ports, finished, [JobFailed(job.job_id, error)])


def _final_messages(job: Job, *, result: dict[str, Any]) -> list[Message]:
    if job.kind is JobKind.TRACK:
        result = track_result(result, job) or result
    messages: list[Message] = [JobDone(job.job_id, result)]
    if job.kind is JobKind.SESSION:
        messages.append(SessionDone(job.session_id, job.job_id))
    return messages


#: How long a redelivered task waits for a finished job's own finisher to announce it (reannounce).
ANNOUNCE_GRACE_S = 5.0
ANNOUNCE_POLL_S = 0.05


def _announce(ports: Ports, job: Job, messages: list[Message]) -> Job:
    """Publish a finished job's final events and mark them sent, then settle the job.

    The mark follows the publish directly, so the window in which a crash can make a redelivery send
    the events again is one Redis round trip; settling (counting the job in its batch, releasing its
    admission slot) comes after and is idempotent, so a redelivery repeats it safely. A worker killed
    after storing the final state but before the mark leaves ``announced`` false; the broker
    redelivers the message and ``reannounce`` sends the events, so a client never waits forever for a
    job.done that REST already shows (at-least-once events).
    """
    for message in messages:
        ports.publisher.publish(message, rooms=rooms_for(job))
    announced = ports.jobs.update_job(job.job_id, announced=True)
    _settle(ports, job)
    return announced


def _settle(ports: Ports, job: Job, *, progress: bool = True) -> None:
    """Count a finished job in its batch and release its admission slot (both idempotent)."""
    _count_in_batch(ports, job, progress=progress)
    if job.kind is JobKind.TRACK:
        release(ports, job)  # no longer counts against its owner; their next waiting job goes in
    else:
        ports.lost.forget_sent([job.job_id])  # no longer looked for by service.recovery


def _after_grace(value: T, read: Callable[[T], T], announced: Callable[[T], bool], grace_s: float) -> T:
    """``value``, read again (``read(value)``) every ANNOUNCE_POLL_S until ``announced`` or ``grace_s``
    passed: a live announcer marks its events sent within milliseconds; one that died never does."""
    deadline = time.monotonic() + grace_s
    while not announced(value) and time.monotonic() < deadline:
        time.sleep(ANNOUNCE_POLL_S)
        value = read(value)
    return value


def reannounce(ports: Ports, job: Job, *, grace_s: float | None = None) -> None:
    """For a redelivered task of a finished job: publish its final events if they may be missing.

    A twin delivery (the message restored while its first worker, or that worker's orphaned pool
    child, is still finishing) can find the job stored as finished a moment before its finisher marks
    it announced. So a job not yet announced is watched for ANNOUNCE_GRACE_S first: a live finisher
    announces within milliseconds; only a finisher that died leaves it unannounced past that. An
    announced job is settled again quietly (its finisher may have died between the mark and that).
    """
    job = _after_grace(
        job,
        lambda j: ports.jobs.job(j.job_id) or j,
        lambda j: j.announced,
        ANNOUNCE_GRACE_S if grace_s is None else grace_s,
    )
    if job.announced:
        _settle(ports, job, progress=False)
        return
    log.warning("job %s finished but its events were not confirmed sent; sending them again", job.job_id)
    if job.status is JobStatus.FAILED:
        _announce(ports, job, [JobFailed(job.job_id, job.error or {})])
        return
    if job.kind is not JobKind.TRACK:  # session and compare results are stored with the job
        result = ports.jobs.load_json(job.result_key) or {}
    else:
        result = ports.cache.load(job.result_key) or {}
    _announce(ports, job, _final_messages(job, result=result))


def _count_in_batch(ports: Ports, job: Job, *, progress: bool = True) -> None:
    if not job.batch_id or job.kind is not JobKind.TRACK:
        return
    finished, total, completed_now = ports.jobs.finish_in_batch(job.batch_id, job.job_id)
    if completed_now:
        _announce_batch(ports, job.batch_id)
    elif total and finished == total:  # a repeat for a complete batch: its announcer may have died
        _reannounce_batch(ports, job.batch_id)
    batch = ports.jobs.batch(job.batch_id)
    if batch is not None and batch.session_job_id and total:
        parent = ports.jobs.job(batch.session_job_id)
        if progress and parent is not None and not parent.status.finished:
            share = SESSION_TRACKS_SHARE * finished / total
            ports.jobs.set_progress(parent.job_id, share, "tracks")
            ports.publisher.publish(
                JobProgress(parent.job_id, round(share, 4), "tracks"), rooms=rooms_for(parent)
            )


def _announce_batch(ports: Ports, batch_id: str) -> None:
    ports.publisher.publish(BatchDone(batch_id), rooms=[batch_room(batch_id)])
    ports.jobs.mark_batch_announced(batch_id)


def _reannounce_batch(ports: Ports, batch_id: str) -> None:
    """For a repeat of a batch's last job: send batch.done if the worker that completed the batch died
    between counting the job and the publish (the same grace as ``reannounce`` gives a live finisher)."""
    batch = _after_grace(
        ports.jobs.batch(batch_id),
        lambda _: ports.jobs.batch(batch_id),
        lambda b: b is None or b.announced,
        ANNOUNCE_GRACE_S,
    )
    if batch is not None and not batch.announced:
        log.warning("batch %s completed but batch.done was not confirmed sent; sending it again", batch_id)
        _announce_batch(ports, batch_id)


def run_track_job(ports: Ports, *, job_id: str, sha256: str, hostname: str) -> dict[str, str]:
    """Analyse one blob for one job; bad audio fails the job (no retry), transient errors propagate."""
    job = ports.jobs.job(job_id)
    if job is None:
        log.warning("job %s expired before it ran; dropping it", job_id)
        return {"job_id": job_id, "status": "missing"}
    if job.status.finished:
        reannounce(ports, job)
        return {"job_id": job_id, "status": job.status.value}
    params = analysis_params(
        ports.settings, bpm_hint=declared_bpm(ports, job), max_duration_s=job.max_duration_s
    )
    key = analysis_key(job.owner, sha256, params)
    cached = ports.cache.load(key)  # submit_batch made (and counted) this job's cache decision
    if cached is not None and readable_analysis(cached, key=key) is not None:
        finish_done(ports, job, result_key=key, result=cached, cached=True)
        return {"job_id": job_id, "status": JobStatus.DONE.value}
    job = ports.jobs.update_job(job_id, status=JobStatus.RUNNING, stage="starting", worker=hostname)
    started = time.perf_counter()
    try:
        path = ports.blobs.open_path(sha256)
        analysis = analyze(
            path,
            name=job.name,
            params=params,
            sha256=sha256,
            on_progress=_progress_reporter(ports, job),
        )
        value = analysis.to_dict()
    except CodetteError as exc:
        return failed_by(ports, job, exc)
    elapsed = time.perf_counter() - started
    cache_analysis(ports, job.owner, sha256, params, value, compute_s=elapsed)
    finish_done(ports, job, result_key=key, result=value, cached=False, elapsed_s=round(elapsed, 3))
    return {"job_id": job_id, "status": JobStatus.DONE.value}


def failed_by(ports: Ports, job: Job, exc: CodetteError) -> dict[str, str]:
    """What a job runner returns when ``exc`` stopped ``job``: the job failed with its code (bad
    audio, a bad request). A TRANSIENT_STORE_ERRORS one is raised again instead, so the task retries
    the job (worker.tasks), maybe on a healthy worker, rather than fail it at an object-store blip."""
    if isinstance(exc, TRANSIENT_STORE_ERRORS):
        raise exc
    finish_failed(ports, job, exc.to_dict())
    return {"job_id": job.job_id, "status": JobStatus.FAILED.value}


def fail_job(ports: Ports, job_id: str, error: dict[str, str]) -> dict[str, str]:
    """Fail a job that could not run (retries exhausted, a crash, a time limit); no-op once finished."""
    job = ports.jobs.job(job_id)
    if job is not None and not job.status.finished:
        finish_failed(ports, job, error)
    return {"job_id": job_id, "status": JobStatus.FAILED.value}
