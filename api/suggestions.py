"""GET /api/v1/sessions/<id>/suggestions?limit=5: the latest analysis's advice, ranked for now and you."""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from api.context import ctx, current_user
from api.errors import ValidationFailed
from api.params import session_id_param
from service.ranking import DEFAULT_LIMIT, MAX_LIMIT, adaptive_suggestions

bp = Blueprint("suggestions", __name__)


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed(f"limit={raw!r} must be an integer in 1..{MAX_LIMIT}")
    return int(raw)


@bp.get("/sessions/<session_id>/suggestions")
def get_suggestions(session_id: str) -> Response:
    limit = _limit(request.args.get("limit"))
    unknown = set(request.args) - {"limit"}
    if unknown:
        raise ValidationFailed(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    body = adaptive_suggestions(
        ctx().ports,
        owner=current_user(),
        session_id=session_id_param(session_id),
        limit=limit,
        now_s=time.time(),
    )
    return jsonify(body)
