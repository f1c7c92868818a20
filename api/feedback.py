"""POST /api/v1/feedback: one piece of feedback on a suggestion, appended to the user's log."""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from api.context import ctx, current_user
from api.schemas import json_body
from service.feedback import record_feedback

bp = Blueprint("feedback", __name__)


@bp.post("/feedback")
def post_feedback() -> tuple[Response, int]:
    body = json_body(request, "Feedback")
    event_id, event = record_feedback(ctx().ports, owner=current_user(), body=body, now_s=time.time())
    return jsonify({"ok": True, "event_id": event_id, "event": event.to_dict()}), 201
