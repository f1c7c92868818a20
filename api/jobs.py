"""GET /api/v1/jobs/<job_id> and /api/v1/batches/<batch_id>: the full state, owner only."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api.context import ctx, current_user
from service.snapshots import batch_snapshot, job_snapshot

bp = Blueprint("jobs", __name__)


@bp.get("/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    ports = ctx().ports
    return jsonify(job_snapshot(ports, ports.jobs.owned_job(job_id, current_user())))


@bp.get("/batches/<batch_id>")
def get_batch(batch_id: str) -> Response:
    ports = ctx().ports
    return jsonify(batch_snapshot(ports, ports.jobs.owned_batch(batch_id, current_user())))
