"""DAW context of a session: POST .../context (one update), GET .../context (the current picture).

Socket.IO's ``context.update`` (api/sockets.py) goes through the same ``service.context.update_context``.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from api.context import ctx, current_user
from api.params import session_id_param
from api.schemas import json_body
from service.context import context_result_dict, owned_context, update_context

bp = Blueprint("daw_context", __name__)


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
