"""The Celery configuration: JSON only, late acks, prefetch 1, time limits, two queues."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kombu import Exchange, Queue

from config import ANALYSIS_QUEUE, LEARNING_QUEUE, SESSION_QUEUE, Settings
from service.messages import (
    TASK_ANALYZE_SESSION,
    TASK_ANALYZE_TRACK,
    TASK_COMPARE,
    TASK_MEASURE_MOVES,
    TASK_REBUILD_LEARNING,
)
from worker.broker import TRANSPORT

QUEUES = (ANALYSIS_QUEUE, LEARNING_QUEUE)
#: kombu sweeps unacknowledged messages back into their queue only every interval x throttle seconds
#: (10 x 10 by default), whatever the visibility timeout; sweep at least this often per timeout instead.
RESTORE_SWEEPS_PER_VISIBILITY_TIMEOUT = 4
MAX_RESTORE_INTERVAL_S = 10
#: URL schemes that get worker.broker's transport (unix sockets and Sentinel keep kombu's own).
GUARDED_SCHEMES = frozenset({"redis", "rediss"})


def celery_config(settings: Settings) -> dict[str, Any]:
    url = settings.require_redis_url()
    timeouts = {
        "socket_timeout": settings.redis_timeout_s,
        "socket_connect_timeout": settings.redis_connect_timeout_s,
    }
    restore_interval = max(
        1, min(MAX_RESTORE_INTERVAL_S, settings.visibility_timeout_s // RESTORE_SWEEPS_PER_VISIBILITY_TIMEOUT)
    )
    broker = {
        "visibility_timeout": settings.visibility_timeout_s,
        # A killed worker's unacknowledged messages come back within visibility timeout + one sweep.
        "unacked_restore_interval": restore_interval,
        "unacked_restore_throttle": 1,
        # A Redis that vanishes without closing the connection must not hang a publish forever.
        **timeouts,
    }
    return {
        "broker_url": url,
        # kombu's Redis transport, a closed connection raised as a connection error (worker/broker.py).
        # Over TLS too: Celery turns the rediss:// URL's ssl_cert_reqs and ssl_ca_certs (config.py
        # requires the first) into the connection's TLS options, whatever the transport's name.
        "broker_transport": TRANSPORT if urlsplit(url).scheme in GUARDED_SCHEMES else None,
        "result_backend": url,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": settings.redis_connect_timeout_s,
        "broker_transport_options": broker,
        "result_backend_transport_options": {"visibility_timeout": settings.visibility_timeout_s},
        "redis_socket_timeout": settings.redis_timeout_s,
        "redis_socket_connect_timeout": settings.redis_connect_timeout_s,
        # JSON only: a message can never execute code when it is decoded.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        # A task is acknowledged after it finishes; a worker that dies mid-task gives it back.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_concurrency": settings.worker_concurrency,
        "worker_max_tasks_per_child": 200,
        # Cancelling running tasks when the broker connection drops lost their messages on a Redis
        # restart (tests/resilience/test_redis_outage.py); left running, an unacknowledged message is
        # restored after the visibility timeout and the idempotent task finishes or no-ops.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_soft_time_limit": settings.task_soft_time_limit_s,
        "task_time_limit": settings.task_time_limit_s,
        "result_expires": settings.result_ttl_s,
        "task_default_queue": ANALYSIS_QUEUE,
        "task_queues": tuple(Queue(q, Exchange(q, type="direct"), routing_key=q) for q in QUEUES),
        "task_routes": {
            TASK_ANALYZE_TRACK: {"queue": ANALYSIS_QUEUE},
            TASK_COMPARE: {"queue": ANALYSIS_QUEUE},  # two analyses at most, like a track job
            TASK_MEASURE_MOVES: {"queue": ANALYSIS_QUEUE},  # a session's vetting, shared
            TASK_ANALYZE_SESSION: {"queue": SESSION_QUEUE},
            TASK_REBUILD_LEARNING: {"queue": LEARNING_QUEUE},
        },
        "task_create_missing_queues": False,
    }
