"""DAW sessions: PUT the document, POST .../analyze to analyse it, GET .../analysis for the result."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request, url_for

from api.context import ctx, current_user
from api.errors import PayloadTooLarge, ValidationFailed
from api.schemas import ID_PATTERN, json_body
from worker.client import job_snapshot, submit_session

bp = Blueprint("sessions", __name__)
_ID = re.compile(ID_PATTERN)


def _session_id(session_id: str) -> str:
    if not _ID.match(session_id):
        raise ValidationFailed(f"session_id {session_id!r} must match {ID_PATTERN}")
    return session_id


@bp.put("/sessions/<session_id>")
def put_session(session_id: str) -> tuple[Response, int]:
    context, user = ctx(), current_user()
    _session_id(session_id)
    doc = json_body(request, "Session")
    tracks = doc["tracks"]
    if len(tracks) > context.settings.max_tracks_per_session:
        limit = context.settings.max_tracks_per_session
        raise PayloadTooLarge(f"{len(tracks)} tracks; a session may have at most {limit}")
    seen: set[str] = set()
    for i, track in enumerate(tracks):
        if track["track_id"] in seen:
            raise ValidationFailed(f"$.tracks[{i}].track_id: {track['track_id']!r} appears twice")
        seen.add(track["track_id"])
        sha256 = track["sha256"]
        if not (context.services.store.owns_blob(user, sha256) and context.services.blobs.exists(sha256)):
            raise ValidationFailed(
                f"$.tracks[{i}].sha256: no blob {sha256} uploaded by you (POST /api/v1/blobs)"
            )
    created = context.services.store.put_session(user, session_id, doc)
    return jsonify({"session_id": session_id, **doc}), 201 if created else 200


@bp.get("/sessions/<session_id>")
def get_session(session_id: str) -> Response:
    doc = ctx().services.store.owned_session(current_user(), _session_id(session_id))
    return jsonify({"session_id": session_id, **doc})


@bp.post("/sessions/<session_id>/analyze")
def analyze_session(session_id: str) -> tuple[Response, int, dict[str, str]]:
    context = ctx()
    job = submit_session(context.celery, owner=current_user(), session_id=_session_id(session_id))
    location = url_for("api_v1.jobs.get_job", job_id=job.job_id)
    return jsonify({"job_id": job.job_id}), 202, {"Location": location}


@bp.get("/sessions/<session_id>/analysis")
def get_analysis(session_id: str) -> Response:
    services = ctx().services
    job = services.store.latest_session_job(current_user(), _session_id(session_id))
    return jsonify(job_snapshot(services, job))
