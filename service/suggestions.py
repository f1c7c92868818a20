"""Suggestions are computed and indexed once, when the result that carries them is stored.

A track job's suggestions depend on its analysis, declared type and id, so they are stored beside
the job (not in the analysis cache that other jobs and types share); a session's travel inside its
result. Both are indexed by id for the owner as they are stored, so feedback may name any suggestion
ever shown, and no read writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.suggestions import suggest_for_track
from core.suggestions.model import in_scope
from service.cached import readable_analysis
from service.messages import JobKind
from service.model import Job
from service.ports import Ports


def session_suggestions(result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every suggestion of a stored session result (``session_analysis.tracks[].suggestions``)."""
    analysis = (result or {}).get("session_analysis") or {}
    return [dict(s) for track in analysis.get("tracks") or () for s in track.get("suggestions") or ()]


def track_suggestions(job: Job, result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """A track job's own suggestions, from its analysis and declared type (none without a type)."""
    if not result or job.kind is not JobKind.TRACK or not job.track_type:
        return []
    analysis = readable_analysis(result, key=job.result_key)
    if analysis is None:
        return []
    found = suggest_for_track(analysis, track_id=job.track_id or job.job_id, track_type=job.track_type)
    if job.session_id:  # a session's track: its ids are the session's, as its session step's are
        found = tuple(in_scope(s, session_scope(job.session_id)) for s in found)
    return [s.to_dict() for s in found]


def session_scope(session_id: str) -> str:
    """What makes a session's suggestion ids its own (core.suggestions.model.in_scope): a track id is
    the session's name for a stem, so two sessions (or two songs sharing stems) both have 'keys'."""
    return f"session:{session_id}"


def source_of(
    *,
    job_id: str,
    sha256: str,
    track_id: str,
    track_type: str,
    analysis_key: str,
    session_id: str = "",
    session_job_id: str = "",
    bpm: float | None = None,
    genre: str | None = None,
    platform: str | None = None,
) -> dict[str, Any]:
    """Where a suggestion's audio and context are: what a preview needs to render and judge it."""
    return {
        "job_id": job_id,
        "sha256": sha256,
        "track_id": track_id,
        "track_type": track_type,
        "analysis_key": analysis_key,
        "session_id": session_id,
        "session_job_id": session_job_id,
        "bpm": bpm,
        "genre": genre,
        "platform": platform,
    }


def store_track_suggestions(ports: Ports, job: Job, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Compute a finished track job's suggestions, store them with the job and index them by id
    (with where their audio is, for a preview)."""
    found = track_suggestions(job, result)
    if found:
        ports.jobs.put_track_suggestions(job.job_id, found)
        ports.learning.index_suggestions(job.owner, found)
        source = source_of(
            job_id=job.job_id,
            sha256=job.sha256,
            track_id=job.track_id or job.job_id,
            track_type=job.track_type,
            analysis_key=job.result_key,
            session_id=job.session_id,
        )
        ports.jobs.put_suggestion_sources(job.owner, {str(s["id"]): source for s in found})
    return found


def index_session_suggestions(ports: Ports, *, owner: str, result: Mapping[str, Any]) -> int:
    """Remember a session analysis's suggestions by id, so feedback can name them."""
    return ports.learning.index_suggestions(owner, session_suggestions(result))
