"""GET /api/v1/sessions/<id>/workflow (how you work), GET /api/v1/users/me/style (how you mix)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from api.context import ctx, current_user
from api.params import session_id_param
from service.style import style_report
from service.workflow import session_workflow

bp = Blueprint("workflow", __name__)


@bp.get("/sessions/<session_id>/workflow")
def get_workflow(session_id: str) -> Response:
    ports = ctx().ports
    return jsonify(session_workflow(ports, owner=current_user(), session_id=session_id_param(session_id)))


@bp.get("/users/me/style")
def get_style() -> Response:
    return jsonify(style_report(ctx().ports, owner=current_user()))
