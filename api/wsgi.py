"""Entry point: `python -m api.wsgi` serves the API and Socket.IO on Settings.host:port."""

from __future__ import annotations

import logging

from api.app import create_app
from config import load_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    app = create_app(settings)
    socketio = app.extensions["socketio"]
    # Threading mode on Werkzeug with simple-websocket; run several of these behind a load balancer
    # with sticky sessions to scale out (events reach every one of them through Redis).
    socketio.run(app, host=settings.host, port=settings.port, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
