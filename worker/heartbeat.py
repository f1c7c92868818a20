"""Worker liveness and queue depths, read by GET /health without a broadcast to every worker.

Each worker writes its hostname and the time into one sorted set every HEARTBEAT_S seconds (a Celery
bootstep on the worker's own timer) and removes itself on a clean shutdown; a worker that died stops
counting after LIVE_WINDOW_S.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import redis
from celery import bootsteps

from config import KEY_PREFIX

WORKERS_KEY = KEY_PREFIX + "workers"
HEARTBEAT_S = 5.0
LIVE_WINDOW_S = 3 * HEARTBEAT_S

log = logging.getLogger(__name__)


def beat(client: redis.Redis, hostname: str) -> None:
    try:
        client.zadd(WORKERS_KEY, {hostname: time.time()})
    except redis.RedisError as exc:  # the next beat retries; /health shows the gap meanwhile
        log.warning("heartbeat for %s failed: %s", hostname, exc)


def live_workers(client: redis.Redis, *, window_s: float = LIVE_WINDOW_S) -> list[str]:
    return [str(h) for h in client.zrangebyscore(WORKERS_KEY, time.time() - window_s, "+inf")]


def queue_depths(client: redis.Redis, queues: tuple[str, ...]) -> dict[str, int]:
    """Messages waiting in each queue (kombu's Redis transport keeps a queue as a list of its name)."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        pipe.llen(queue)
    return {queue: int(n) for queue, n in zip(queues, pipe.execute(), strict=True)}


class Heartbeat(bootsteps.StartStopStep):
    """Registers the worker in WORKERS_KEY while it runs."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        client = worker.app.services.redis
        beat(client, worker.hostname)
        self.tref = worker.timer.call_repeatedly(HEARTBEAT_S, beat, (client, worker.hostname), priority=10)

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        try:
            worker.app.services.redis.zrem(WORKERS_KEY, worker.hostname)
        except redis.RedisError as exc:
            log.warning("could not deregister %s: %s", worker.hostname, exc)
