"""DAW context of a session: POST .../context (one update), GET .../context (the current picture).

Socket.IO's ``context.update`` (api/sockets.py) goes through the same ``service.context.update_context``.
"""

from __future__ import annotations

import re
import time

from flask import Blueprint, Response, jsonify, request

from api.context import ctx, current_user
from api.errors import ValidationFailed
from api.schemas import ID_PATTERN, json_body
from service.context import context_result_dict, owned_context, update_context

bp = Blueprint("daw_context", __name__)
_ID = re.compile(ID_PATTERN)


def session_id_param(session_id: str) -> str:
    if not _ID.match(session_id):
        raise ValidationFailed(f"session_id {session_id!r} must match {ID_PATTERN}")
    return session_id


@bp.post("/sessions/<session_id>/context")
def post_context(session_id: str) -> Response:
    body = json_body(request, "ContextUpdate")
    result = update_context(
        ctx().ports,
        owner=current_user(),
        data=body,
        session_id=session_id_param(session_id),
        now_s=time.time(),
    )
    return jsonify(context_result_dict(result))


@bp.get("/sessions/<session_id>/context")
def get_context(session_id: str) -> Response:
    state = owned_context(ctx().ports, owner=current_user(), session_id=session_id_param(session_id))
    return jsonify(state.to_dict())
