"""`python -m api.wsgi` serves the API and Socket.IO on Werkzeug's threaded server, on Settings.host:port.

For debugging and for the load benchmark's comparison (bench/bench_service_load.py) only: `make run`
and every deployment run gunicorn with deploy.wsgi:app (docs/operations.md, "Production server").
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

from api.app import create_app
from config import load_settings
from service.logs import configure_logging
from store.wiring import check_blob_store


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its and Python's versions in the ``Server`` header."""

    def version_string(self) -> str:
        return "codette"


def main() -> None:
    settings = load_settings()
    settings.require_api_tokens()
    configure_logging(json_lines=settings.log_json)
    check_blob_store(settings)
    app = create_app(settings)
    socketio = app.extensions["socketio"]
    # Threading mode on Werkzeug with simple-websocket; run several of these behind a load balancer
    # with sticky sessions to scale out (events reach every one of them through Redis).
    socketio.run(app, host=settings.host, port=settings.port, allow_unsafe_werkzeug=True,
                 request_handler=QuietRequestHandler)  # fmt: skip


if __name__ == "__main__":
    main()
