"""A gunicorn worker told to stop closes its Socket.IO connections at once (``post_worker_init`` in
deploy/gunicorn.conf.py and deploy/gunicorn-single.conf.py).

On SIGTERM (a rolling restart, ``docker stop``, Ctrl-C under ``make run``) gunicorn stops accepting and
waits up to ``graceful_timeout`` for the connections it holds to finish. A websocket never finishes
by itself, so one connected client held the replica for the whole timeout: with one Socket.IO
websocket open, SIGTERM took 20.15 s to stop the production server (gevent, graceful_timeout 20 s)
and 5.08 s to stop `make run`'s (gthread, 5 s); with the connections dropped, 1.6-1.8 s and 1.1-1.2 s.
Closed by the server, the clients reconnect (to another replica behind the proxy, or to this one
once it is back) and resubscribe; uploads and other requests in flight keep their graceful time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

#: How often the watcher looks whether the worker was told to stop (s).
POLL_S = 0.2


def close_connections_when_stopping(worker: Any) -> None:
    """Start a watcher that closes this process's Socket.IO clients once ``worker.alive`` is False.

    A thread under the threaded worker, a greenlet under gevent (its threading is monkey-patched):
    either way it sleeps without holding the worker's loop.
    """
    from deploy.wsgi import app  # loaded already: the worker imported it to serve

    socketio = app.extensions.get("socketio")
    if socketio is None or socketio.server is None:
        return

    def watch() -> None:
        while worker.alive:
            time.sleep(POLL_S)
        sockets = list(socketio.server.eio.sockets.values())
        worker.log.info("closing %d Socket.IO connection(s) before exiting", len(sockets))
        for socket in sockets:
            # abort: the transport is dropped without Socket.IO's "server disconnect", which a client
            # takes as "do not come back"; a dropped transport is what a client reconnects after
            socket.close(wait=False, abort=True)

    threading.Thread(target=watch, name="close-sockets-on-stop", daemon=True).start()
