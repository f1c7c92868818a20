"""Worker liveness, the messages each worker holds, and queue depths, in Redis.

Each worker writes its hostname and the time into one sorted set every Settings.worker_heartbeat_s
(5 s by default; the Celery bootstep in worker/heartbeat.py) and removes itself on a clean shutdown;
a worker that died stops counting after LIVE_BEATS beats. Each worker *process* also beats as an
instance (``hostname/pid/random``) and records the delivery tag of every message it receives; an
instance silent for DEAD_BEATS beats is dead, and its tags still in kombu's ``unacked`` hash are its
stale jobs, which a live worker gives back to the queue (worker/heartbeat.py) instead of waiting for
the visibility timeout.

GET /health reads through its own client (``probe``) with short timeouts and no retries, so it
answers within a second whatever state Redis is in.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from config import Settings
from store import keys

WORKERS_KEY = keys.WORKERS
#: The default beat (Settings.worker_heartbeat_s); a worker counts as live for LIVE_BEATS beats.
HEARTBEAT_S = 5.0
LIVE_BEATS = 3
#: An instance silent for this many beats is dead and its messages are given back (6 missed beats: a
#: worker busy on a loaded machine is not mistaken for a dead one; a redelivery would still be harmless).
DEAD_BEATS = 6
#: Instances silent this long are forgotten (their claims were given back long before).
FORGET_AFTER_S = 24 * 3600.0

log = logging.getLogger(__name__)


def probe_client(settings: Settings) -> redis.Redis:
    """A client for /health: Settings.health_timeout_s for connecting and answering, never a retry."""
    return redis.Redis.from_url(
        settings.require_redis_url(),
        decode_responses=True,
        socket_connect_timeout=settings.health_timeout_s,
        socket_timeout=settings.health_timeout_s,
        retry=Retry(NoBackoff(), 0),
    )


class RedisHealth:
    """Reachability, heartbeats, claims and queue depths (service.ports.Health)."""

    def __init__(
        self, client: redis.Redis, *, probe: redis.Redis | None = None, heartbeat_s: float = HEARTBEAT_S
    ) -> None:
        self.redis = client
        self.probe = probe or client
        self.live_window_s = LIVE_BEATS * heartbeat_s
        self.dead_after_s = DEAD_BEATS * heartbeat_s

    # --- read by GET /health (the probe client) ----------------------------------------------

    def ping(self) -> None:
        self.probe.ping()

    def live_workers(self) -> list[str]:
        since = time.time() - self.live_window_s
        return [str(h) for h in self.probe.zrangebyscore(WORKERS_KEY, since, "+inf")]

    def queue_depths(self, queues: tuple[str, ...]) -> dict[str, int]:
        """Messages waiting in each queue (kombu's Redis transport keeps a queue as a list of its name)."""
        pipe = self.probe.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue)
        return {queue: int(n) for queue, n in zip(queues, pipe.execute(), strict=True)}

    def stale_jobs(self) -> int:
        """Messages held by dead worker instances and not given back yet."""
        return sum(
            len(self._held(instance, self.probe)) for instance in self.dead_instances(client=self.probe)
        )

    # --- written by workers -----------------------------------------------------------------

    def beat(self, hostname: str, instance: str = "") -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zadd(WORKERS_KEY, {hostname: time.time()})
            if instance:
                pipe.zadd(keys.WORKER_INSTANCES, {instance: time.time()})
            pipe.execute()
        except redis.RedisError as exc:  # the next beat retries; /health shows the gap meanwhile
            log.warning("heartbeat for %s failed: %s", hostname, exc)

    def leave(self, hostname: str, instance: str = "") -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(WORKERS_KEY, hostname)
            if instance:
                pipe.zrem(keys.WORKER_INSTANCES, instance)
                pipe.delete(keys.worker_claims(instance))
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not deregister %s: %s", hostname, exc)

    def claim(self, instance: str, delivery_tag: str) -> None:
        """Record that ``instance`` received the message ``delivery_tag`` (before it runs)."""
        self.redis.sadd(keys.worker_claims(instance), delivery_tag)

    def prune_claims(self, instance: str) -> None:
        """Forget the claims of messages already acknowledged (gone from ``unacked``)."""
        tags = cast(set[str], self.redis.smembers(keys.worker_claims(instance)))
        held = set(self._held(instance, self.redis, tags=tags))
        done = [t for t in tags if t not in held]
        if done:
            self.redis.srem(keys.worker_claims(instance), *done)

    def dead_instances(self, *, client: redis.Redis | None = None) -> list[str]:
        client = client or self.redis
        ceiling = time.time() - self.dead_after_s
        return [str(i) for i in client.zrangebyscore(keys.WORKER_INSTANCES, "-inf", ceiling)]

    def take_over(self, instance: str) -> list[str] | None:
        """The delivery tags a dead instance still holds, for the one caller that got its lock (else None)."""
        if not self.redis.set(keys.reap_lock(instance), "1", nx=True, ex=60):
            return None
        return self._held(instance, self.redis)

    def forget(self, instance: str) -> None:
        """Drop a dead instance once its messages were given back."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(keys.WORKER_INSTANCES, instance)
        pipe.delete(keys.worker_claims(instance), keys.reap_lock(instance))
        pipe.zremrangebyscore(keys.WORKER_INSTANCES, "-inf", time.time() - FORGET_AFTER_S)
        pipe.execute()

    def _held(self, instance: str, client: redis.Redis, *, tags: set[str] | None = None) -> list[str]:
        if tags is None:
            tags = cast(set[str], client.smembers(keys.worker_claims(instance)))
        ordered = sorted(tags)
        if not ordered:
            return []
        present = cast(list[Any], client.hmget(keys.KOMBU_UNACKED, ordered))
        return [tag for tag, message in zip(ordered, present, strict=True) if message is not None]
