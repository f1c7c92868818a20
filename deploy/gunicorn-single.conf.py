"""gunicorn for one machine (`make run`): one process whose threads serve REST and Socket.IO alike.

deploy/gunicorn.conf.py's gevent loop answers nothing else while it parses a large upload (/health
waited 5 s in docs/benchmarks.md), which on servers the proxy avoids by sending uploads to the bulk
tier. `make run` has no proxy, so it runs one gthread worker instead: a thread per request, as
Flask-SocketIO's threading mode with simple-websocket expects, and every connection in one process
(Socket.IO's long-polling needs that). A websocket holds its thread for as long as it is open, so
``threads`` caps the pages and clients connected at once; a machine that needs more runs the layout of
docs/operations.md, "Production server".
"""

from typing import Any

worker_class = "gthread"
workers = 1
threads = 64
#: A request may take this long (a 512 MiB upload hashed and stored) before its worker is restarted.
timeout = 120
#: Seconds Ctrl-C gives open requests: an open page's websocket would otherwise hold the stop.
graceful_timeout = 5
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None
errorlog = "-"
loglevel = "info"
#: gunicorn 27's control socket lives at one path per user, which two stacks on one host would share.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    """Close this worker's Socket.IO connections as soon as it is told to stop (deploy/shutdown.py):
    a websocket would otherwise hold the worker for the whole graceful_timeout."""
    from deploy.shutdown import close_connections_when_stopping

    close_connections_when_stopping(worker)
