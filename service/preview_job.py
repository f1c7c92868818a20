"""The preview job's body (a worker runs it): compute, cache by content, store with the job, announce."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from core.errors import CodetteError
from service.messages import JobStatus
from service.model import Job
from service.ports import Ports
from service.preview import cached_preview, compute_track_preview, for_job, with_excerpts
from service.session_preview import compute_session_preview
from service.track_job import failed_by, finish_done, reannounce


def compute(ports: Ports, job: Job, doc: Mapping[str, Any]) -> dict[str, Any]:
    if doc.get("kind") == "session":
        return compute_session_preview(ports, job, doc)
    return compute_track_preview(ports, job, doc)


def run_preview_job(ports: Ports, *, job_id: str, hostname: str) -> dict[str, str]:
    """Compute one preview job (track or session), cache it by content, store and announce it once.

    Bad audio or a move that cannot be rendered fails the job once (CodetteError); a preview already
    computed by another job meanwhile is taken from the cache.
    """
    job = ports.jobs.job(job_id)
    if job is None:
        return {"job_id": job_id, "status": "missing"}
    if job.status.finished:
        reannounce(ports, job)
        return {"job_id": job_id, "status": job.status.value}
    doc = ports.jobs.session_input(job_id)
    value = cached_preview(ports, doc["key"])
    cached = value is not None
    started = time.perf_counter()
    if value is None:
        job = ports.jobs.update_job(job_id, status=JobStatus.RUNNING, stage="starting", worker=hostname)
        try:
            value = compute(ports, job, doc)
        except CodetteError as exc:
            return failed_by(ports, job, exc)
        ports.cache.put(doc["key"], value, compute_s=time.perf_counter() - started)
    ports.jobs.put_session_input(job_id, with_excerpts(doc, value))
    result = for_job(value, job_id, doc)
    key = ports.jobs.put_session_result(job_id, result)
    elapsed = None if cached else round(time.perf_counter() - started, 3)
    finish_done(ports, job, result_key=key, result=result, cached=cached, elapsed_s=elapsed)
    return {"job_id": job_id, "status": JobStatus.DONE.value}
