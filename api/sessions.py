"""DAW sessions: PUT the document, POST .../analyze to analyse it, GET .../analysis for the result."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from api.context import ctx, current_user
from api.errors import PayloadTooLarge
from api.params import session_id_param
from api.schemas import json_body
from service.sessions import get_session as read_session
from service.sessions import latest_analysis
from service.sessions import put_session as store_session
from service.snapshots import job_snapshot
from service.submit import submit_session

bp = Blueprint("sessions", __name__)


@bp.put("/sessions/<session_id>")
def put_session(session_id: str) -> tuple[Response, int]:
    context, user = ctx(), current_user()
    session_id_param(session_id)
    doc = json_body(request, "Session")
    if len(doc["tracks"]) > context.settings.max_tracks_per_session:
        limit = context.settings.max_tracks_per_session
        raise PayloadTooLarge(f"{len(doc['tracks'])} tracks; a session may have at most {limit}")
    stored, created = store_session(context.ports, owner=user, session_id=session_id, doc=doc)
    return jsonify(stored), 201 if created else 200


@bp.get("/sessions/<session_id>")
def get_session(session_id: str) -> Response:
    return jsonify(read_session(ctx().ports, owner=current_user(), session_id=session_id_param(session_id)))


@bp.post("/sessions/<session_id>/analyze")
def analyze_session(session_id: str) -> tuple[Response, int, dict[str, str]]:
    job = submit_session(ctx().ports, owner=current_user(), session_id=session_id_param(session_id))
    location = url_for("api_v1.jobs.get_job", job_id=job.job_id)
    return jsonify({"job_id": job.job_id}), 202, {"Location": location}


@bp.get("/sessions/<session_id>/analysis")
def get_analysis(session_id: str) -> Response:
    ports = ctx().ports
    job = latest_analysis(ports, owner=current_user(), session_id=session_id_param(session_id))
    return jsonify(job_snapshot(ports, job))
