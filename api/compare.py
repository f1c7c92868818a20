"""POST /api/v1/compare: compare two of your blobs; the job's result is the Comparison (core.compare)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from api.context import ctx, current_user
from api.schemas import json_body
from service.compare import submit_compare

bp = Blueprint("compare", __name__)


@bp.post("/compare")
def compare() -> tuple[Response, int, dict[str, str]]:
    body = json_body(request, "CompareRequest")
    job = submit_compare(ctx().ports, owner=current_user(), a=body["a"], b=body["b"])
    location = url_for("api_v1.jobs.get_job", job_id=job.job_id)
    return jsonify({"job_id": job.job_id}), 202, {"Location": location}
