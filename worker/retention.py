"""Blob retention in the workers, without Celery beat: a bootstep with a timer thread.

Every worker tries every RETRY_FRACTION of CODETTE_BLOB_SWEEP_INTERVAL_S; a Redis lease lets one of
them sweep per interval (service.retention.sweep_blobs, both backends). The sweep runs in a thread of
the worker's main process, beside the pool, so a long listing never delays tasks or heartbeats.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, ClassVar

from celery import bootsteps

from service.ports import Ports, SweepReport
from service.retention import sweep_blobs
from store.keys import RETENTION_LEASE
from store.leases import RedisLease
from store.wiring import redis_client

log = logging.getLogger(__name__)

#: A worker asks for the lease this often, in fractions of the sweep interval (at least every second).
RETRY_FRACTION = 0.25


def sweep_when_due(
    ports: Ports, acquire: Callable[[], bool], *, now: Callable[[], float] = time.time
) -> SweepReport | None:
    """Sweep if this process wins the interval's lease; None when another one has it."""
    if not acquire():
        return None
    started = time.monotonic()
    report = sweep_blobs(ports, now_s=now())
    summary = {**asdict(report), "deleted": len(report.deleted)}
    log.info(
        "blob retention sweep %s", json.dumps({**summary, "seconds": round(time.monotonic() - started, 3)})
    )
    return report


def run_periodically(
    ports: Ports, acquire: Callable[[], bool], *, every_s: float, stop: threading.Event
) -> None:
    """Try ``sweep_when_due`` now, then every ``every_s`` until ``stop`` is set; errors wait for the next."""
    while not stop.is_set():
        try:
            sweep_when_due(ports, acquire)
        except Exception:  # the store or Redis away: logged, retried next time
            log.exception("blob retention sweep failed; retrying in %.0f s", every_s)
        stop.wait(every_s)


class Retention(bootsteps.StartStopStep):
    """Starts the retention thread with the worker (after its pool has forked); stops it on shutdown."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, worker: Any) -> None:
        ports: Ports = worker.app.ports
        interval_s = ports.settings.blob_sweep_interval_s
        lease = RedisLease(
            redis_client(ports.settings), RETENTION_LEASE, ttl_s=interval_s, holder=worker.hostname
        )
        self.thread = threading.Thread(
            target=run_periodically,
            args=(ports, lease.acquire),
            kwargs={"every_s": max(1.0, interval_s * RETRY_FRACTION), "stop": self.stop_event},
            name="codette-retention",
            daemon=True,
        )
        self.thread.start()

    def stop(self, worker: Any) -> None:
        self.stop_event.set()
