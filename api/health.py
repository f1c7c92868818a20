"""GET /health: Redis, the blob store, live workers, queue depths, cache counters, Ask's model; 503 when
Redis is down."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify

from api.context import ctx
from service.health import health as health_status

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    context = ctx()
    answerer = context.answerer
    try:
        body = health_status(context.ports, ask_ready=answerer.ready, ask_retrieval=answerer.retrieval)
    except redis.AuthenticationError:
        # Redis answers but refuses this process's password: an operator's setting, not an outage
        body = {"status": "unavailable", "redis": "authentication refused: check the password in REDIS_URL",
                "workers": 0, "queues": {}}  # fmt: skip
        return jsonify(body), 503
    except redis.RedisError:
        body = {"status": "unavailable", "redis": "unavailable", "workers": 0, "queues": {}}
        return jsonify(body), 503
    return jsonify(body), 200
