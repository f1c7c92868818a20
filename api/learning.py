"""What Codette has learnt about you: the report, and your learning data (export and import)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from api.context import ctx, current_user
from api.schemas import json_body
from service.feedback import export_data, import_data, learning_report

bp = Blueprint("learning", __name__)


@bp.get("/users/me/learning-report")
def get_report() -> Response:
    return jsonify(learning_report(ctx().ports, owner=current_user()))


@bp.get("/users/me/learning-data")
def get_data() -> Response:
    return jsonify(export_data(ctx().ports, owner=current_user()))


@bp.put("/users/me/learning-data")
def put_data() -> Response:
    data = json_body(request, "LearningData")
    return jsonify(import_data(ctx().ports, owner=current_user(), data=data))
