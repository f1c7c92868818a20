"""The web page: GET / serves api/static/index.html; /assets/... its scripts, styles and vendored files.

Everything the page loads is served from here (no CDN, no external fonts). The page itself is public;
it asks for a bearer token and sends it with every API request and the Socket.IO connection.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, send_from_directory

from service.catalog import ui_config

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: media-src blob: lets the page play preview excerpts it fetched with the bearer token.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " connect-src 'self' ws: wss:; media-src 'self' blob:; object-src 'none'; base-uri 'none';"
    " frame-ancestors 'none'"
)

bp = Blueprint("pages", __name__, static_folder=str(STATIC_DIR), static_url_path="/assets")


@bp.get("/")
def index() -> Response:
    response = send_from_directory(STATIC_DIR, "index.html", max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    return response


@bp.get("/ui/config.json")
def config() -> Response:
    """The tables the page needs, from their one home: delivery targets and track types."""
    return jsonify(ui_config())
