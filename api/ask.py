"""POST /api/v1/ask: a question in plain words, answered from the knowledge base and the session's analysis.

The view and the Socket.IO ``ask`` handler both call ``answer_question``; the answerer (its model
loaded in the background at start-up) is the app's, in ApiContext.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from api.context import ApiContext, ctx, current_user
from api.errors import ValidationFailed
from api.schemas import json_body

bp = Blueprint("ask", __name__)


def answer_question(context: ApiContext, *, owner: str, body: dict[str, Any]) -> dict[str, Any]:
    """Parse, then one service call: answer, intent, entities, evidence, sources, suggestions."""
    if body.get("track_id") and not body.get("session_id"):
        raise ValidationFailed("$.track_id: needs a session_id (a track is named within its session)")
    return context.answerer.answer(context.ports, owner=owner, body=body)


@bp.post("/ask")
def post_ask() -> Response:
    body = json_body(request, "AskRequest")
    return jsonify(answer_question(ctx(), owner=current_user(), body=body))
