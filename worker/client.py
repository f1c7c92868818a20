"""What the API asks of the worker side: queue batches and sessions, and read their state back.

Submitting records every job in Redis before any message is sent, so a client polling right after
the 202 always finds its jobs. Tracks whose analysis is already cached are done on arrival.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from celery import chord
from celery.canvas import Signature

from core.analysis import cache_key
from core.errors import NotFound
from core.messages import (
    TASK_ANALYZE_SESSION,
    TASK_ANALYZE_TRACK,
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
from worker.app import CodetteCelery
from worker.jobs import analysis_params
from worker.learning import has_context, learning_store, track_suggestions
from worker.services import Services
from worker.state import Batch, Job, new_id


@dataclass(frozen=True)
class Upload:
    """A file already in the blob store, as one job of a batch."""

    name: str
    sha256: str
    track_type: str = ""


def _track_job(
    services: Services,
    *,
    owner: str,
    batch_id: str,
    name: str,
    sha256: str,
    track_type: str = "",
    session_id: str = "",
    track_id: str = "",
) -> Job:
    """A new track job; already done when the cache holds this content's analysis."""
    job = Job(
        new_id(),
        owner,
        name=name,
        sha256=sha256,
        batch_id=batch_id,
        track_type=track_type,
        session_id=session_id,
        track_id=track_id,
    )
    key = cache_key(sha256, analysis_params(services.settings))
    if services.cache.contains(key):
        return replace(
            job,
            status=JobStatus.DONE,
            progress=1.0,
            stage="done",
            cached=True,
            result_key=key,
            announced=True,
        )
    return job


def _analyze_signature(app: CodetteCelery, job: Job) -> Signature:
    return app.signature(TASK_ANALYZE_TRACK, args=(job.job_id, job.sha256), immutable=True)


def submit_batch(app: CodetteCelery, *, owner: str, uploads: list[Upload]) -> tuple[Batch, list[Job]]:
    """Create one job per upload (cached ones done at once) and queue the others."""
    services = app.services
    batch_id = new_id()
    jobs = [
        _track_job(
            services, owner=owner, batch_id=batch_id, name=u.name, sha256=u.sha256, track_type=u.track_type
        )
        for u in uploads
    ]
    for job in jobs:
        services.store.create_job(job)
    batch = services.store.create_batch(
        Batch(batch_id, owner, tuple(j.job_id for j in jobs)),
        finished=tuple(j.job_id for j in jobs if j.status.finished),
    )
    for job in jobs:
        if not job.status.finished:
            _analyze_signature(app, job).apply_async()
    if all(j.status.finished for j in jobs):
        services.publisher.publish(BatchDone(batch_id), rooms=[batch_room(batch_id)])
    return batch, jobs


def submit_session(app: CodetteCelery, *, owner: str, session_id: str) -> Job:
    """Analyse every track of a stored session in parallel (a chord), then run the session step."""
    services = app.services
    doc = services.store.owned_session(owner, session_id)
    batch_id, session_job_id = new_id(), new_id()
    children = [
        _track_job(
            services, owner=owner, batch_id=batch_id, name=t.get("name") or t["track_id"], sha256=t["sha256"],
            session_id=session_id, track_id=t["track_id"], track_type=t.get("type", ""),
        )
        for t in doc["tracks"]
    ]  # fmt: skip
    parent = Job(
        session_job_id, owner, kind=JobKind.SESSION, name=f"session {session_id}", session_id=session_id,
        batch_id=batch_id, children=tuple(c.job_id for c in children),
    )  # fmt: skip
    services.store.put_session_input(session_job_id, doc)
    for job in [*children, parent]:
        services.store.create_job(job)
    services.store.create_batch(
        Batch(batch_id, owner, parent.children, session_job_id=session_job_id),
        finished=tuple(c.job_id for c in children if c.status.finished),
    )
    services.store.set_latest_session_job(owner, session_id, session_job_id)
    header = [_analyze_signature(app, c) for c in children if not c.status.finished]
    body = app.signature(TASK_ANALYZE_SESSION, args=(session_job_id,), immutable=True)
    if header:
        chord(header, app=app)(body)
    else:
        body.apply_async()
    return parent


def job_snapshot(services: Services, job: Job, *, with_result: bool = True) -> dict[str, Any]:
    """The REST view of a job; ``result`` is loaded from where the job points when it is done."""
    out = job.to_dict()
    if with_result and job.status is JobStatus.DONE and job.result_key:
        if job.kind is JobKind.SESSION:
            out["result"] = services.store.load_json(job.result_key)
        else:
            out["result"] = services.cache.load(job.result_key)
            out["suggestions"] = track_suggestions(job, out["result"])
            # Served suggestions are remembered by id, so feedback can name them.
            learning_store(services).index_suggestions(job.owner, out["suggestions"])
    return out


def batch_snapshot(services: Services, batch: Batch) -> dict[str, Any]:
    jobs = services.store.jobs(batch.job_ids)
    finished = sum(j.status.finished for j in jobs)
    if jobs and finished == len(jobs):
        status = JobStatus.DONE.value
    elif any(j.status is not JobStatus.QUEUED for j in jobs):
        status = JobStatus.RUNNING.value
    else:
        status = JobStatus.QUEUED.value
    return {
        "batch_id": batch.batch_id,
        "status": status,
        "progress": sum(j.progress for j in jobs) / len(jobs) if jobs else 1.0,
        "finished": finished,
        "total": len(batch.job_ids),
        "jobs": [job_snapshot(services, j, with_result=False) for j in jobs],
    }


def subscription_room(services: Services, *, owner: str, target: dict[str, str]) -> str:
    """The room for ``{"job_id"}``, ``{"batch_id"}`` or ``{"session_id"}``; NotFound unless owned."""
    if "job_id" in target:
        return job_room(services.store.owned_job(target["job_id"], owner).job_id)
    if "batch_id" in target:
        return batch_room(services.store.owned_batch(target["batch_id"], owner).batch_id)
    session_id = target["session_id"]
    if not has_context(services, owner=owner, session_id=session_id):  # context alone makes a session
        services.store.owned_session(owner, session_id)
    return session_room(owner, session_id)


def _job_message(services: Services, job: Job) -> Message:
    if job.status is JobStatus.DONE:
        return JobDone(job.job_id, job_snapshot(services, job).get("result") or {})
    if job.status is JobStatus.FAILED:
        return JobFailed(job.job_id, job.error or {})
    return JobProgress(job.job_id, job.progress, job.stage)


def subscription_snapshot(
    services: Services, *, owner: str, target: dict[str, str]
) -> tuple[dict[str, Any] | None, list[Message]]:
    """The current REST state of a subscription target, and the events that replay it."""
    if "job_id" in target:
        job = services.store.owned_job(target["job_id"], owner)
        return job_snapshot(services, job), [_job_message(services, job)]
    if "batch_id" in target:
        batch = services.store.owned_batch(target["batch_id"], owner)
        snapshot = batch_snapshot(services, batch)
        messages = [_job_message(services, j) for j in services.store.jobs(batch.job_ids)]
        if snapshot["status"] == JobStatus.DONE.value:
            messages.append(BatchDone(batch.batch_id))
        return snapshot, messages
    session_id = target["session_id"]
    try:
        job = services.store.latest_session_job(owner, session_id)
    except NotFound:
        return None, []
    messages = [_job_message(services, job)]
    if job.status is JobStatus.DONE:
        messages.append(SessionDone(session_id, job.job_id))
    return job_snapshot(services, job), messages
