"""gunicorn for the CPU-heavy requests: ``gunicorn -c deploy/gunicorn-bulk.conf.py deploy.wsgi:app``.

The proxy sends multipart uploads and Ask here (deploy/nginx.conf) after buffering the whole request,
so threads never wait on a slow client; processes use every core for parsing and hashing, which one
gevent loop cannot. No Socket.IO connection is ever routed here.
"""

import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

worker_class = "gthread"
workers = 2
threads = 4
#: A request may take this long (a 512 MiB upload hashed and stored) before its worker is restarted.
timeout = 120
graceful_timeout = 60
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None
errorlog = "-"
loglevel = "info"
#: gunicorn 27's control socket lives at one path per user, which replicas on one host would share.
control_socket_disable = True


# Metrics (api/metrics.py) from two processes: prometheus-client's multiprocess mode sums them when
# PROMETHEUS_MULTIPROC_DIR names a directory (docker-compose gives api-bulk one); it must start empty.
_METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server: Any) -> None:
    if _METRICS_DIR:
        Path(_METRICS_DIR).mkdir(parents=True, exist_ok=True)
        for stale in Path(_METRICS_DIR).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if _METRICS_DIR:
        multiprocess.mark_process_dead(worker.pid)


#: The bulk tier's workers run at a lower CPU priority than the live replica on the same host, so
#: parsing and hashing uploads takes the cores the live tier (health checks, websockets, reads) leaves.
NICENESS = 10


def post_fork(server: Any, worker: Any) -> None:
    os.nice(NICENESS)
