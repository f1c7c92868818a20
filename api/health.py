"""GET /health: Redis reachability, live workers and queue depths; 503 when Redis is down."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify

from api.context import ctx
from config import ANALYSIS_QUEUE, LEARNING_QUEUE
from worker.heartbeat import live_workers, queue_depths

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    services = ctx().services
    try:
        services.redis.ping()
        workers = len(live_workers(services.redis))
        queues = queue_depths(services.redis, (ANALYSIS_QUEUE, LEARNING_QUEUE))
        cache = services.cache.stats().to_dict()
    except redis.RedisError:
        body = {"status": "unavailable", "redis": "unavailable", "workers": 0, "queues": {}}
        return jsonify(body), 503
    status = "ok" if workers else "degraded"
    return jsonify(
        {"status": status, "redis": "ok", "workers": workers, "queues": queues, "cache": cache}
    ), 200
