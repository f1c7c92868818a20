"""GET /health's body: Redis and the blob store reachable, live workers, stale jobs, queue depths, cache,
Ask's model."""

from __future__ import annotations

from typing import Any

from config import ANALYSIS_QUEUE, LEARNING_QUEUE
from core.errors import StorageUnavailable
from service.ports import Ports


def health(ports: Ports, *, ask_ready: bool, ask_retrieval: str) -> dict[str, Any]:
    """The status: "ok" with the blob store usable, a live worker and no stale job, else "degraded";
    raises when Redis is unreachable.

    ``stale_jobs`` counts messages held by dead workers that no live worker has given back yet;
    ``blobs`` is "ok" or "unavailable: " and what the store answered (uploads and jobs wait on it).
    """
    ports.health.ping()
    workers = len(ports.health.live_workers())
    stale = ports.health.stale_jobs()
    blobs = blob_status(ports)
    return {
        "status": "ok" if workers and not stale and blobs == "ok" else "degraded",
        "redis": "ok",
        "blobs": blobs,
        "workers": workers,
        "stale_jobs": stale,
        "queues": ports.health.queue_depths((ANALYSIS_QUEUE, LEARNING_QUEUE)),
        "cache": ports.cache.stats().to_dict(),
        "ask": {"ready": ask_ready, "retrieval": ask_retrieval},
    }


def blob_status(ports: Ports) -> str:
    """ "ok", or "unavailable: <what the blob store answered>"."""
    try:
        ports.blobs.check()
    except StorageUnavailable as exc:
        return f"unavailable: {exc.message}"
    return "ok"
