"""Previews: POST .../suggestions/<id>/preview and .../sessions/<id>/preview (202, a job), GET the audio.

A preview renders advice, re-measures and cuts before/after excerpts on a worker (about a second for
a 3-minute stem: too slow for a request), so both POSTs answer 202 with the job, which is already
done when the same preview was computed before. The job's result names the excerpts'
URLs, served here to the job's owner only.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, send_file, url_for

from api.context import ctx, current_user
from api.params import found_id_param, id_param, session_id_param
from api.schemas import json_body
from service.model import Job
from service.preview import preview_audio, submit_preview
from service.session_preview import submit_session_preview

bp = Blueprint("previews", __name__)


def _created(job: Job) -> tuple[Response, int, dict[str, str]]:
    body = {"job_id": job.job_id, "status": job.status.value, "cached": job.cached}
    return jsonify(body), 202, {"Location": url_for("api_v1.jobs.get_job", job_id=job.job_id)}


@bp.post("/suggestions/<suggestion_id>/preview")
def preview_suggestion(suggestion_id: str) -> tuple[Response, int, dict[str, str]]:
    suggestion_id = id_param("suggestion_id", suggestion_id)
    return _created(submit_preview(ctx().ports, owner=current_user(), suggestion_id=suggestion_id))


@bp.post("/sessions/<session_id>/preview")
def preview_session(session_id: str) -> tuple[Response, int, dict[str, str]]:
    body = json_body(request, "SessionPreviewRequest")
    job = submit_session_preview(
        ctx().ports,
        owner=current_user(),
        session_id=session_id_param(session_id),
        suggestion_ids=list(body["suggestion_ids"]),
    )
    return _created(job)


@bp.get("/previews/<job_id>/<name>.wav")
def preview_audio_file(job_id: str, name: str) -> Response:
    job_id = found_id_param("job", job_id)
    path, filename = preview_audio(ctx().ports, owner=current_user(), job_id=job_id, name=name)
    return send_file(path, mimetype="audio/wav", download_name=filename)
