"""GET /health's body: the store reachable, live workers, stale jobs, queue depths, cache, Ask's model."""

from __future__ import annotations

from typing import Any

from config import ANALYSIS_QUEUE, LEARNING_QUEUE
from service.ports import Ports


def health(ports: Ports, *, ask_ready: bool, ask_retrieval: str) -> dict[str, Any]:
    """The status: "ok" with a live worker and no stale job, else "degraded"; raises when unreachable.

    ``stale_jobs`` counts messages held by dead workers that no live worker has given back yet.
    """
    ports.health.ping()
    workers = len(ports.health.live_workers())
    stale = ports.health.stale_jobs()
    return {
        "status": "ok" if workers and not stale else "degraded",
        "redis": "ok",
        "workers": workers,
        "stale_jobs": stale,
        "queues": ports.health.queue_depths((ANALYSIS_QUEUE, LEARNING_QUEUE)),
        "cache": ports.cache.stats().to_dict(),
        "ask": {"ready": ask_ready, "retrieval": ask_retrieval},
    }
