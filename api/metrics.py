"""GET /metrics (Prometheus text format), request counts and latency by route and status, request ids.

Every response carries ``X-Request-Id`` (the client's, when it sent a short token, else a new one);
the id is set in service.logs.REQUEST_ID for the request, so the task queue copies it into the Celery
messages it sends and every log line carries it. One JSON access-log line per request.

/metrics needs no token: serve it on a private network only (deploy/nginx.conf refuses it from
outside). Under gunicorn with several processes, set PROMETHEUS_MULTIPROC_DIR (docs/operations.md).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from config import Settings
from service.logs import REQUEST_ID, request_id_from

REQUEST_ID_HEADER = "X-Request-Id"
#: Requests that match no route are counted under one label (no label per scanned URL).
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "codette_http_requests",
    "HTTP requests answered, by method, route and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "codette_http_request_duration_seconds",
    "Time from the request's arrival to its response, by method, route and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
access_log = logging.getLogger("codette.access")


def _registry(settings: Settings) -> CollectorRegistry:
    if settings.metrics_multiproc_dir is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(settings.metrics_multiproc_dir))
    return registry


def register_metrics(app: Flask, settings: Settings) -> None:
    """Request ids, the request metrics and the access log on every request; GET /metrics."""
    registry = _registry(settings)

    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_id_token = REQUEST_ID.set(g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        labels = (request.method, route, str(response.status_code))
        REQUESTS.labels(*labels).inc()
        LATENCY.labels(*labels).observe(elapsed)
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        if route != "/metrics":
            access_log.info(
                "%s %s %d", request.method, route, response.status_code,
                extra={"status": response.status_code, "duration_ms": round(1000 * elapsed, 1)},
            )  # fmt: skip
        return response

    @app.teardown_request
    def forget(_: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            REQUEST_ID.reset(token)

    def metrics() -> Response:
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
