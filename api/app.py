"""The Flask application factory: blueprints per resource under /api/v1, Flask-SocketIO on Redis."""

from __future__ import annotations

from flask import Blueprint, Flask, g, request
from flask_socketio import SocketIO

from api import (
    analyses,
    ask,
    blob_uploads,
    blobs,
    compare,
    daw_context,
    feedback,
    health,
    jobs,
    learning,
    openapi,
    pages,
    previews,
    sessions,
    suggestions,
    workflow,
)
from api.auth import Authenticator
from api.context import EXTENSION, ApiContext, ctx
from api.cors import cors_headers
from api.errors import register_error_handlers
from api.guards import limit_json_bodies, refuse_repeated_form_fields, security_headers
from api.metrics import register_metrics
from api.sockets import register_socket_handlers
from api.uploads import UploadRequest
from config import Settings
from service.ask import Answerer, answerer_for
from service.ports import Ports
from store.wiring import ask_sources, build_stores
from worker.queue import connect_queue


def _authenticate() -> None:
    if request.method == "OPTIONS":  # CORS preflight carries no credentials
        return
    g.user = ctx().auth.user_for_header(request.headers.get("Authorization"))


def create_app(settings: Settings, *, ports: Ports | None = None, answerer: Answerer | None = None) -> Flask:
    """Build the API for ``settings``; the SocketIO server is ``app.extensions['socketio']``.

    ``ports`` defaults to the Redis and file stores with a Celery queue; Ask's model starts loading
    in the background at once.
    """
    app = Flask("codette")
    app.request_class = UploadRequest
    app.config.update(MAX_CONTENT_LENGTH=settings.max_upload_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if ports is None:
        ports = build_stores(settings, queue=connect_queue(settings))
    answerer = answerer or answerer_for(*ask_sources(settings))
    answerer.start()
    context = ApiContext(settings, ports, Authenticator(settings.api_tokens), answerer)
    app.extensions[EXTENSION] = context
    register_metrics(app, settings)  # first: request ids, metrics and the access log see every request
    register_error_handlers(
        app, max_upload_bytes=settings.max_upload_bytes, max_json_bytes=settings.max_json_bytes
    )
    app.before_request(limit_json_bodies(settings.max_json_bytes))
    app.after_request(cors_headers(settings.cors_origins))
    app.after_request(security_headers)

    v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")
    v1.before_request(_authenticate)
    v1.before_request(refuse_repeated_form_fields)
    resources = (
        analyses, blobs, jobs, sessions, openapi, daw_context, suggestions, feedback, learning, ask,
        compare, previews, workflow, blob_uploads,
    )  # fmt: skip
    for module in resources:
        v1.register_blueprint(module.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(v1)

    socketio = SocketIO(
        app,
        async_mode="threading",
        message_queue=settings.require_redis_url(),
        channel=settings.socketio_channel,
        cors_allowed_origins=list(settings.cors_origins) or None,
    )
    register_socket_handlers(socketio, context)
    return app
