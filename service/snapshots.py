"""Job, batch and subscription snapshots and the events that replay them: reads that only read."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from core.quality import for_track_type
from core.results import QualityResult, from_dict, to_dict
from service.cached import UNREADABLE
from service.context import has_context
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
from service.model import Batch, Job
from service.ports import Ports


def track_result(result: dict[str, Any] | None, job: Job) -> dict[str, Any] | None:
    """A track analysis as ``job``'s owner reads it: under the name this job gave the track, and with
    quality judged for the declared type (a stem is not judged as a full mix,
    core.quality.for_track_type). The stored analysis is left as it is: it is cached by content, so
    its own ``name`` is whichever upload computed it first, which may be another user's file name."""
    if not result:
        return result
    result = {**result, "name": job.name}
    if not job.track_type or not isinstance(result.get("quality"), dict):
        return result
    try:
        quality = for_track_type(from_dict(QualityResult, result["quality"]), job.track_type)
    except UNREADABLE:  # an entry of another shape (service.cached): shown as stored, never a 500
        return result
    return {**result, "quality": to_dict(quality)}


def job_snapshot(ports: Ports, job: Job, *, with_result: bool = True) -> dict[str, Any]:
    """The REST view of a job; ``result`` (and a track's ``suggestions``) loaded when it is done."""
    out = job.to_dict()
    if with_result and job.status is JobStatus.DONE and job.result_key:
        if job.kind is not JobKind.TRACK:  # a session's or a comparison's result, stored with the job
            out["result"] = ports.jobs.load_json(job.result_key)
        else:
            out["result"] = track_result(ports.cache.load(job.result_key), job)
            out["suggestions"] = ports.jobs.track_suggestions(job.job_id)
    return out


def batch_snapshot(ports: Ports, batch: Batch) -> dict[str, Any]:
    jobs = ports.jobs.jobs(batch.job_ids)
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
        "jobs": [job_snapshot(ports, j, with_result=False) for j in jobs],
    }


def subscription_room(ports: Ports, *, owner: str, target: dict[str, str]) -> str:
    """The room for ``{"job_id"}``, ``{"batch_id"}`` or ``{"session_id"}``; NotFound unless owned."""
    if "job_id" in target:
        return job_room(ports.jobs.owned_job(target["job_id"], owner).job_id)
    if "batch_id" in target:
        return batch_room(ports.jobs.owned_batch(target["batch_id"], owner).batch_id)
    session_id = target["session_id"]
    if not has_context(ports, owner=owner, session_id=session_id):  # context alone makes a session
        ports.jobs.owned_session(owner, session_id)
    return session_room(owner, session_id)


def _job_message(ports: Ports, job: Job, snapshot: dict[str, Any] | None = None) -> Message:
    if job.status is JobStatus.DONE:
        if snapshot is None:
            snapshot = job_snapshot(ports, job)
        return JobDone(job.job_id, snapshot.get("result") or {})
    if job.status is JobStatus.FAILED:
        return JobFailed(job.job_id, job.error or {})
    return JobProgress(job.job_id, job.progress, job.stage)


def subscription_snapshot(
    ports: Ports, *, owner: str, target: dict[str, str]
) -> tuple[dict[str, Any] | None, list[Message]]:
    """The current REST state of a subscription target, and the events that replay it (built once)."""
    if "job_id" in target:
        job = ports.jobs.owned_job(target["job_id"], owner)
        snapshot = job_snapshot(ports, job)
        return snapshot, [_job_message(ports, job, snapshot)]
    if "batch_id" in target:
        batch = ports.jobs.owned_batch(target["batch_id"], owner)
        jobs = ports.jobs.jobs(batch.job_ids)
        batch_view = batch_snapshot(ports, batch)
        messages = [_job_message(ports, j) for j in jobs]
        if batch_view["status"] == JobStatus.DONE.value:
            messages.append(BatchDone(batch.batch_id))
        return batch_view, messages
    session_id = target["session_id"]
    try:
        job = ports.jobs.latest_session_job(owner, session_id)
    except NotFound:
        return None, []
    snapshot = job_snapshot(ports, job)
    messages = [_job_message(ports, job, snapshot)]
    if job.status is JobStatus.DONE:
        messages.append(SessionDone(session_id, job.job_id))
    return snapshot, messages
