"""Submitting work: create the jobs, make the one cache decision per job, then enqueue.

Submitting records every job before any message is sent, so a client polling right after the 202
always finds its jobs. Tracks whose analysis is already cached are done on arrival (their
suggestions stored and indexed then); the worker never counts a second lookup for the same job.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from service.admission import enqueue_tracks, reserve
from service.cached import readable_analysis
from service.messages import BatchDone, JobKind, JobStatus, batch_room
from service.model import Batch, Job, Upload, new_id
from service.ports import Ports
from service.recovery import note_sent
from service.suggestions import store_track_suggestions
from service.track_job import analysis_key, analysis_params


def _track_job(
    ports: Ports,
    *,
    owner: str,
    batch_id: str,
    name: str,
    sha256: str,
    track_type: str = "",
    session_id: str = "",
    track_id: str = "",
    bpm_hint: float | None = None,
) -> tuple[Job, dict[str, Any] | None]:
    """A new track job, already done when the cache holds this content's analysis (one lookup), and
    the cached analysis when it was read (a typed track's, for its suggestions)."""
    params = analysis_params(ports.settings, bpm_hint=bpm_hint)
    job = Job(
        new_id(),
        owner,
        name=name,
        sha256=sha256,
        batch_id=batch_id,
        track_type=track_type,
        session_id=session_id,
        track_id=track_id,
        max_duration_s=params.max_duration_s,
    )
    key = analysis_key(owner, sha256, params)
    # A typed track's suggestions are computed from its cached analysis at once, so read it now and
    # count an entry that does not parse as the miss it is (service.cached); untyped, one EXISTS.
    value = ports.cache.get(key) if track_type else None
    hit = readable_analysis(value, key=key) is not None if track_type else ports.cache.contains(key)
    if hit:
        done = replace(
            job,
            status=JobStatus.DONE,
            progress=1.0,
            stage="done",
            cached=True,
            result_key=key,
            announced=True,
        )
        return done, value
    return job, None


def _store_cached_suggestions(ports: Ports, made: list[tuple[Job, dict[str, Any] | None]]) -> None:
    """Store the suggestions of the typed tracks done on arrival, from the analysis read to decide."""
    for job, value in made:
        if job.cached and value is not None:
            store_track_suggestions(ports, job, value)


def submit_batch(ports: Ports, *, owner: str, uploads: list[Upload]) -> tuple[Batch, list[Job]]:
    """Create one job per upload (cached ones done at once) and queue the others."""
    batch_id = new_id()
    made = [
        _track_job(
            ports, owner=owner, batch_id=batch_id, name=u.name, sha256=u.sha256, track_type=u.track_type
        )
        for u in uploads
    ]
    jobs = [job for job, _ in made]
    reserve(ports, owner=owner, jobs=jobs)  # TooManyJobs (429) before anything is created
    for job in jobs:
        ports.jobs.create_job(job)
    _store_cached_suggestions(ports, made)
    batch = ports.jobs.create_batch(
        Batch(batch_id, owner, tuple(j.job_id for j in jobs)),
        finished=tuple(j.job_id for j in jobs if j.status.finished),
    )
    enqueue_tracks(ports, owner=owner, jobs=jobs)  # the user's line, admitted in turn
    if all(j.status.finished for j in jobs):
        ports.publisher.publish(BatchDone(batch_id), rooms=[batch_room(batch_id)])
        ports.jobs.mark_batch_announced(batch_id)
    return batch, jobs


def submit_session(ports: Ports, *, owner: str, session_id: str) -> Job:
    """Analyse every track of a stored session in parallel, then run the session step."""
    doc = ports.jobs.owned_session(owner, session_id)
    batch_id, session_job_id = new_id(), new_id()
    made = [
        _track_job(
            ports, owner=owner, batch_id=batch_id, name=t.get("name") or t["track_id"], sha256=t["sha256"],
            session_id=session_id, track_id=t["track_id"], track_type=t.get("type", ""),
            bpm_hint=None if doc.get("bpm") is None else float(doc["bpm"]),
        )
        for t in doc["tracks"]
    ]  # fmt: skip
    children = [job for job, _ in made]
    parent = Job(
        session_job_id, owner, kind=JobKind.SESSION, name=f"session {session_id}", session_id=session_id,
        batch_id=batch_id, children=tuple(c.job_id for c in children),
    )  # fmt: skip
    reserve(ports, owner=owner, jobs=children)
    ports.jobs.put_session_input(session_job_id, doc)
    for job in [*children, parent]:
        ports.jobs.create_job(job)
    _store_cached_suggestions(ports, made)
    ports.jobs.create_batch(
        Batch(batch_id, owner, parent.children, session_job_id=session_job_id),
        finished=tuple(c.job_id for c in children if c.status.finished),
    )
    ports.jobs.set_latest_session_job(owner, session_id, session_job_id)
    pending = [(c.job_id, c.sha256) for c in children if not c.status.finished]
    note_sent(ports, session_job_id)
    ports.queue.analyze_session(session_job_id, tracks=pending)
    return parent
