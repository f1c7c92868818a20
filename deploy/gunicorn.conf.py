"""gunicorn for the API: ``gunicorn -c deploy/gunicorn.conf.py --bind 0.0.0.0:$PORT deploy.wsgi:app``.

One gevent worker per replica: Flask-SocketIO's long-polling transport needs every request of a client
to reach the process that holds its session, which gunicorn cannot do across its own workers. Scale out
with more replicas behind the proxy (deploy/nginx.conf, sticky by client address) instead; events reach
every replica through Redis. gevent gives each connection a greenlet, not a thread: hundreds of idle or
slow clients and websockets cost kilobytes each, and /health stays answered (docs/benchmarks.md).

gunicorn has no header or body read timeout of its own: in production the proxy enforces them
(client_header_timeout, client_body_timeout) and buffers uploads, so a slow client never holds the API.
"""

from typing import Any

worker_class = "gevent"
workers = 1
#: The connection cap per replica (open sockets, websockets included); more wait in the backlog.
worker_connections = 1000
backlog = 2048
#: Seconds a worker may go without notifying the arbiter before it is restarted (greenlets yield on I/O).
timeout = 60
#: Seconds a stopping worker gets to finish its requests (SIGTERM from the orchestrator).
graceful_timeout = 20
#: Seconds an idle keep-alive connection is held open.
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
#: The proxy logs requests; the API logs its own lines to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
#: gunicorn 27's control socket lives at one path per user, which replicas on one host would share.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    """Close this worker's Socket.IO connections as soon as it is told to stop (deploy/shutdown.py):
    a websocket would otherwise hold the worker for the whole graceful_timeout."""
    from deploy.shutdown import close_connections_when_stopping

    close_connections_when_stopping(worker)
