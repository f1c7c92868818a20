"""The Celery bootstep that keeps this worker in the live set and gives dead workers' messages back.

Every Settings.worker_heartbeat_s (CODETTE_WORKER_HEARTBEAT_S, 5 s), on the worker's own timer, the
worker beats under its name and as an instance (``hostname/pid/random``: a worker restarted under
the same name is a new instance). Every message it receives is claimed by its delivery tag before it
runs (the ``task_received`` signal, in the main process). A worker process killed outright (SIGKILL,
a lost host) stops beating; after store.workers.DEAD_BEATS beats any live worker takes its claims
and restores the ones still unacknowledged to their queue, exactly as kombu's own restore would
after the visibility timeout (the original message, so a session's chord still counts it). Tasks are
idempotent and finish a job once, so a message given back from a worker that was only slow costs a
second look, not a second result.

A worker whose consumer reconnected to the broker (Redis restarted under it) beats as a new instance
from its next tick: the messages its old connection could not give back, because Redis was away
when it tried, are then returned DEAD_BEATS beats later like a dead worker's, not after the
visibility timeout (an hour by default).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from typing import Any, ClassVar

from celery import bootsteps
from celery.signals import task_received

from service.admission import admit_all
from service.ports import Health
from service.recovery import resend_lost
from store.workers import DEAD_BEATS, LIVE_BEATS

log = logging.getLogger(__name__)


def _new_instance(hostname: str) -> str:
    """``hostname/pid/random``: a worker restarted, or reconnected, under the same name is a new instance."""
    return f"{hostname}/{os.getpid()}/{secrets.token_hex(4)}"


def give_back(app: Any, health: Health) -> int:
    """Restore the unacknowledged messages of every dead worker instance; how many were restored."""
    restored = 0
    for instance in health.dead_instances():
        tags = health.take_over(instance)
        if tags is None:  # another live worker is on it
            continue
        if tags:
            with app.connection_for_write() as conn:
                qos = conn.default_channel.qos
                for tag in tags:
                    qos.restore_by_tag(tag)  # atomic: a tag restored twice is restored once
            log.warning("worker %s is dead: gave %d message(s) back to the queue", instance, len(tags))
            restored += len(tags)
        health.forget(instance)
    return restored


class Heartbeat(bootsteps.StartStopStep):
    """Beats every Settings.worker_heartbeat_s on the worker's own timer; leaves the set on a clean
    shutdown."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None
        self.instance = ""
        self._claim: Any = None
        self._restarts: int | None = None
        self._suspects: dict[str, float] = {}  # service.recovery's memory between ticks
        self.beat_s = 0.0

    def start(self, worker: Any) -> None:
        health: Health = worker.app.ports.health
        self.instance = _new_instance(worker.hostname)

        def claim(sender: Any = None, request: Any = None, **_: Any) -> None:
            tag = getattr(getattr(request, "message", None), "delivery_tag", None)
            if not tag:
                return
            try:
                health.claim(self.instance, str(tag))
            except Exception:  # unclaimed, the message comes back after the visibility timeout instead
                log.exception("could not claim message %s", tag)

        def tick() -> None:
            self._after_reconnect(worker)
            health.beat(worker.hostname, self.instance)
            try:
                health.prune_claims(self.instance)
                give_back(worker.app, health)
                admit_all(worker.app.ports)  # a user's line whose turn was missed moves on
                resend_lost(worker.app.ports, now_s=time.time(), suspects=self._suspects,
                            holder=self.instance, lease_s=LIVE_BEATS * self.beat_s)  # fmt: skip
            except Exception:  # the next tick tries again; the visibility timeout is the backstop
                log.exception("checking for dead workers or waiting jobs failed")

        self._claim = claim
        task_received.connect(claim, weak=False)
        health.beat(worker.hostname, self.instance)
        self.beat_s = worker.app.ports.settings.worker_heartbeat_s
        self.tref = worker.timer.call_repeatedly(self.beat_s, tick, priority=10)

    def _after_reconnect(self, worker: Any) -> None:
        """After the consumer reconnected to the broker, beat as a new instance: messages the old
        connection could not give back (Redis was away when the worker tried) are then returned
        DEAD_BEATS beats later, like a dead worker's, instead of after the visibility timeout."""
        restarts = getattr(getattr(worker, "consumer", None), "restart_count", None)
        if not isinstance(restarts, int):
            return
        if self._restarts is not None and restarts > self._restarts:
            old, self.instance = self.instance, _new_instance(worker.hostname)
            log.warning(
                "broker connection re-established: now %s; what %s still holds comes back in %.0f s",
                self.instance, old, DEAD_BEATS * self.beat_s,
            )  # fmt: skip
        self._restarts = restarts

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self._claim is not None:
            task_received.disconnect(self._claim)
        worker.app.ports.health.leave(worker.hostname, self.instance)
