"""GET /api/v1/jobs/<job_id> and /api/v1/batches/<batch_id>: the full state, owner only."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api.context import ctx, current_user
from api.params import found_id_param
from service.snapshots import batch_snapshot, job_snapshot

bp = Blueprint("jobs", __name__)


@bp.get("/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    ports = ctx().ports
    job = ports.jobs.owned_job(found_id_param("job", job_id), current_user())
    return jsonify(job_snapshot(ports, job))


@bp.get("/batches/<batch_id>")
def get_batch(batch_id: str) -> Response:
    ports = ctx().ports
    batch = ports.jobs.owned_batch(found_id_param("batch", batch_id), current_user())
    return jsonify(batch_snapshot(ports, batch))
