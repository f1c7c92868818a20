"""The worker's Prometheus metrics, served by its main process on CODETTE_WORKER_METRICS_PORT.

Task durations, outcomes and retries are counted where tasks run (the pool's processes) and summed by
prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR; worker/celery_app.py gives each
worker a fresh one unless it is set). Queue depth, the oldest waiting message's age and the analysis
cache's hits and misses are read from Redis when scraped (the same for every worker: take the max).
Local copies of object-store blobs count as hits or misses of the worker's blob cache.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from celery import Celery, bootsteps
from celery.signals import task_postrun, task_prerun, task_retry, worker_init, worker_process_init
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from config import Settings
from service.ports import Ports
from store.objectstore import ObjectBlobStore
from store.queue_stats import oldest_message_age_s, queue_depth
from store.wiring import redis_client
from worker.celery_config import QUEUES
from worker.tracing import HEADER_SENT_AT

log = logging.getLogger(__name__)

TASK_SECONDS = Histogram(
    "codette_task_duration_seconds", "Task run time, by task and outcome", ["task", "outcome"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)  # fmt: skip
TASKS = Counter(
    "codette_tasks", "Tasks finished, by task and outcome (done, failed, retry, ...)", ["task", "outcome"]
)
RETRIES = Counter("codette_task_retries", "Retries of transient errors, by task", ["task"])
BLOB_COPIES = Counter(
    "codette_blob_local_copies", "Worker-local copies of blobs asked for: hit or miss", ["result"]
)
_started: dict[str, float] = {}


def _outcome(state: str | None, retval: Any) -> str:
    """done / failed / missing (the job's own status) for a task that returned, else Celery's state."""
    if state == "SUCCESS" and isinstance(retval, dict) and isinstance(retval.get("status"), str):
        return str(retval["status"])
    return (state or "unknown").lower()


def _prerun(task_id: str = "", **_: Any) -> None:
    _started[task_id] = time.perf_counter()


def _postrun(
    task_id: str = "", task: Any = None, retval: Any = None, state: str | None = None, **_: Any
) -> None:
    started = _started.pop(task_id, None)
    name, outcome = getattr(task, "name", "?"), _outcome(state, retval)
    TASKS.labels(name, outcome).inc()
    if started is not None:
        TASK_SECONDS.labels(name, outcome).observe(time.perf_counter() - started)


def _retry(sender: Any = None, **_: Any) -> None:
    RETRIES.labels(getattr(sender, "name", "?")).inc()


class RedisGauges(Collector):
    """Queue depth and oldest-message age per queue, and the analysis cache's lookups, at scrape time."""

    def __init__(self, settings: Settings, ports: Ports) -> None:
        self.client = redis_client(settings)
        self.ports = ports

    def collect(self) -> Iterator[Any]:
        depth = GaugeMetricFamily(
            "codette_queue_depth", "Messages waiting in the broker queue", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "codette_queue_oldest_message_age_seconds",
            "How long the oldest waiting message has waited (0 when the queue is empty)", labels=["queue"],
        )  # fmt: skip
        now = time.time()
        for queue in QUEUES:
            depth.add_metric([queue], queue_depth(self.client, queue))
            waited = oldest_message_age_s(self.client, queue, header=HEADER_SENT_AT, now_s=now)
            age.add_metric([queue], waited or 0.0)
        stats = self.ports.cache.stats()
        lookups = CounterMetricFamily(
            "codette_analysis_cache_lookups",
            "Analysis cache lookups (one per job), hit or miss",
            labels=["result"],
        )
        lookups.add_metric(["hit"], stats.hits)
        lookups.add_metric(["miss"], stats.misses)
        yield from (depth, age, lookups)


def _registry(settings: Settings, ports: Ports) -> CollectorRegistry:
    registry = REGISTRY
    if settings.metrics_multiproc_dir is not None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(settings.metrics_multiproc_dir))
    registry.register(RedisGauges(settings, ports))
    return registry


class MetricsServer(bootsteps.StartStopStep):
    """Serves /metrics from the worker's main process while it runs (when a port is configured)."""

    requires: ClassVar[set[str]] = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.server: Any = None

    def start(self, worker: Any) -> None:
        ports: Ports = worker.app.ports
        port = ports.settings.worker_metrics_port
        if port is None:
            return
        self.server, _ = start_http_server(
            port, addr=ports.settings.host, registry=_registry(ports.settings, ports)
        )
        log.info("metrics on http://%s:%d/metrics", ports.settings.host, port)

    def stop(self, worker: Any) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server = None


def _clear_stale(settings: Settings) -> None:
    """A multiprocess directory must start empty: the last run's files would be summed in."""
    if settings.metrics_multiproc_dir is not None and settings.metrics_multiproc_dir.is_dir():
        for stale in settings.metrics_multiproc_dir.glob("*.db"):
            stale.unlink(missing_ok=True)


def install_metrics(app: Celery, ports: Ports, *, task_names: tuple[str, ...]) -> None:
    """Count this app's tasks, retries and blob copies; serve them from the worker (idempotent)."""
    task_prerun.connect(_prerun, weak=False, dispatch_uid="codette-metrics-prerun")
    task_postrun.connect(_postrun, weak=False, dispatch_uid="codette-metrics-postrun")
    task_retry.connect(_retry, weak=False, dispatch_uid="codette-metrics-retry")
    worker_init.connect(
        lambda **_: _clear_stale(ports.settings), weak=False, dispatch_uid="codette-metrics-init"
    )

    def zero_retries(**_: Any) -> None:
        for name in task_names:
            RETRIES.labels(name)  # each pool process shows every task's retry series from the start

    worker_process_init.connect(zero_retries, weak=False, dispatch_uid="codette-metrics-zero")
    if isinstance(ports.blobs, ObjectBlobStore):
        ports.blobs.on_local_copy = lambda hit: BLOB_COPIES.labels("hit" if hit else "miss").inc()
    app.steps["worker"].add(MetricsServer)
