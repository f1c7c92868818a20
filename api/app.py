"""The Flask application factory: blueprints per resource under /api/v1, Flask-SocketIO on Redis."""

from __future__ import annotations

from flask import Blueprint, Flask, g, request
from flask_socketio import SocketIO

from api import (
    analyses,
    ask,
    blobs,
    daw_context,
    feedback,
    health,
    jobs,
    learning,
    openapi,
    pages,
    sessions,
    suggestions,
)
from api.auth import Authenticator
from api.context import EXTENSION, ApiContext, ctx
from api.cors import cors_headers
from api.errors import register_error_handlers
from api.sockets import register_socket_handlers
from config import Settings
from worker.app import CodetteCelery, create_celery


def _authenticate() -> None:
    if request.method == "OPTIONS":  # CORS preflight carries no credentials
        return
    g.user = ctx().auth.user_for_header(request.headers.get("Authorization"))


def create_app(settings: Settings, *, celery: CodetteCelery | None = None) -> Flask:
    """Build the API for ``settings``; the SocketIO server is ``app.extensions['socketio']``."""
    app = Flask("codette")
    app.config.update(MAX_CONTENT_LENGTH=settings.max_upload_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    context = ApiContext(settings, celery or create_celery(settings), Authenticator(settings.api_tokens))
    app.extensions[EXTENSION] = context
    register_error_handlers(app, max_upload_bytes=settings.max_upload_bytes)
    app.after_request(cors_headers(settings.cors_origins))

    v1 = Blueprint("api_v1", __name__, url_prefix="/api/v1")
    v1.before_request(_authenticate)
    resources = (analyses, blobs, jobs, sessions, openapi, daw_context, suggestions, feedback, learning, ask)
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
