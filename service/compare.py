"""Reference comparison: two blobs the user owns, compared as ``python -m core compare A B`` does.

Submitting creates one compare job and queues it; the job reuses the cached analysis of each blob
and computes (and caches) the ones missing, then stores the Comparison as its result. Every
difference is ``b - a``: ``a`` is your mix, ``b`` the reference (or the next version).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from core.analysis import analyze
from core.compare import compare_tracks
from core.errors import BlobNotFound, CodetteError
from core.results import TrackAnalysis
from core.session.reference import ReferenceTarget, reference_target
from core.session.tempo import TempoVote
from core.verify import StepContext
from service.cached import readable_analysis
from service.messages import JobKind, JobProgress, JobStatus
from service.model import Job, new_id
from service.ports import Ports
from service.recovery import note_sent
from service.style import habits_for
from service.track_job import (
    PROGRESS_STEP,
    analysis_key,
    analysis_params,
    cache_analysis,
    failed_by,
    finish_done,
    reannounce,
    rooms_for,
)

log = logging.getLogger(__name__)

#: Share of a compare job's progress taken by each of the two analyses; the comparison is instant.
ANALYSIS_SHARE = 0.5


def require_owned_blob(ports: Ports, *, owner: str, sha256: str, field: str) -> str:
    """``sha256`` if ``owner`` uploaded it and its bytes are there; BlobNotFound (404) naming ``field``."""
    if not (ports.jobs.owns_blob(owner, sha256) and ports.blobs.exists(sha256)):
        raise BlobNotFound(f"{field}: no blob {sha256} uploaded by you (POST /api/v1/blobs)")
    return sha256


def submit_compare(ports: Ports, *, owner: str, a: str, b: str) -> Job:
    """Create the compare job of ``b`` against ``a`` (both owned blobs) and queue it."""
    require_owned_blob(ports, owner=owner, sha256=a, field="$.a")
    require_owned_blob(ports, owner=owner, sha256=b, field="$.b")
    job = Job(new_id(), owner, kind=JobKind.COMPARE, name=f"compare {a[:12]} {b[:12]}", sha256=b)
    ports.jobs.put_session_input(job.job_id, {"a": a, "b": b})  # the job's frozen input document
    ports.jobs.create_job(job)
    note_sent(ports, job.job_id)
    ports.queue.compare(job.job_id)
    return job


def analysis_for(
    ports: Ports,
    sha256: str,
    *,
    owner: str,
    name: str = "",
    on_progress: Callable[[float, str], None] | None = None,
) -> TrackAnalysis:
    """``owner``'s analysis of a blob: from the cache, else computed now and cached (the track job's
    key, service.track_job.analysis_key)."""
    params = analysis_params(ports.settings)
    key = analysis_key(owner, sha256, params)
    cached = readable_analysis(ports.cache.load(key), key=key)
    if cached is not None:  # cached by content: its name is whoever's upload computed it first
        return replace(cached, name=name or sha256[:12])
    analysis = analyze(
        ports.blobs.open_path(sha256),
        name=name or sha256[:12],
        params=params,
        sha256=sha256,
        on_progress=on_progress,
    )
    cache_analysis(ports, owner, sha256, params, analysis.to_dict(), compute_s=0.0)
    return analysis


def session_reference(ports: Ports, doc: Mapping[str, Any], *, owner: str) -> ReferenceTarget | None:
    """The average of a session document's ``references`` (``owner``'s analyses, cached or computed),
    or None."""
    hashes = list(doc.get("references") or ())
    if not hashes:
        return None
    return reference_target([(sha, analysis_for(ports, sha, owner=owner)) for sha in hashes])


def session_context(
    ports: Ports, doc: Mapping[str, Any], *, owner: str, heard_tempo: TempoVote | None = None
) -> StepContext:
    """What a session's step is given besides its stems: the document's references, ``owner``'s
    production style (service.style.habits_for) and the tempo heard in the stems' sum. The session
    job analyses and vets with it; a preview judges its moves with it (without a heard tempo: the
    step's tempo is held from before the moves either way, core.verify.in_session.held)."""
    genre, bpm = habits_for(ports, owner=owner)
    return StepContext(
        reference=session_reference(ports, doc, owner=owner), usual_genre=genre, usual_bpm=bpm,
        heard_tempo=heard_tempo,
    )  # fmt: skip


def run_compare_job(ports: Ports, *, job_id: str) -> dict[str, str]:
    """The task body: both analyses (cached or computed), core.compare, store, announce once."""
    job = ports.jobs.job(job_id)
    if job is None:
        log.warning("compare job %s expired before it ran; dropping it", job_id)
        return {"job_id": job_id, "status": "missing"}
    if job.status.finished:
        reannounce(ports, job)
        return {"job_id": job_id, "status": job.status.value}
    doc = ports.jobs.session_input(job_id)
    ports.jobs.update_job(job_id, status=JobStatus.RUNNING, stage="analysis")
    analyses: list[TrackAnalysis] = []
    last, rooms = [0.0], rooms_for(job)
    try:
        for k, (side, sha256) in enumerate((("a", doc["a"]), ("b", doc["b"]))):

            def report(progress: float, stage: str, k: int = k, side: str = side) -> None:
                overall = round(ANALYSIS_SHARE * (k + progress), 4)
                if overall - last[0] >= PROGRESS_STEP or progress >= 1.0:
                    last[0] = overall
                    ports.jobs.set_progress(job_id, overall, f"{side}: {stage}")
                    ports.publisher.publish(JobProgress(job_id, overall, f"{side}: {stage}"), rooms=rooms)

            analyses.append(analysis_for(ports, sha256, owner=job.owner, on_progress=report))
    except CodetteError as exc:
        return failed_by(ports, job, exc)
    value = compare_tracks(analyses[0], analyses[1]).to_dict()
    key = ports.jobs.put_session_result(job_id, value)
    finish_done(ports, job, result_key=key, result=value, cached=False)
    return {"job_id": job_id, "status": JobStatus.DONE.value}
