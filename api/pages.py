"""The web page: GET / serves api/static/index.html; /assets/... its scripts, styles and vendored files.

Everything the page loads is served from here (no CDN, no external fonts). The page itself is public;
it asks for a bearer token and sends it with every API request and the Socket.IO connection.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, send_from_directory

from core.suggestions.model import TRACK_TYPES
from core.targets import PLATFORM_TARGETS

STATIC_DIR = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
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
    targets = [
        {"key": t.key, "name": t.name, "integrated_lufs": t.integrated_lufs,
         "true_peak_dbtp": t.true_peak_dbtp, "tolerance_lu": t.tolerance_lu, "source": t.source}
        for t in PLATFORM_TARGETS.values()
    ]  # fmt: skip
    return jsonify({"platform_targets": targets, "track_types": list(TRACK_TYPES)})
