"""The Celery application factory: the configuration, the process's ports, the tasks, the heartbeat."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from celery import Celery

from config import Settings
from service.ports import Ports
from store.wiring import build_stores
from worker.celery_config import celery_config
from worker.heartbeat import Heartbeat
from worker.metrics import install_metrics
from worker.queue import CeleryQueue
from worker.retention import Retention
from worker.tasks import register_tasks
from worker.tracing import connect_worker_logging


class CodetteCelery(Celery):  # type: ignore[misc]
    """A Celery app that carries the process's ports (stores, cache, publisher, this queue)."""

    ports: Ports


def create_celery(settings: Settings, *, ports: Ports | None = None, **overrides: Any) -> CodetteCelery:
    """Build the app for ``settings``; ``overrides`` set extra Celery options (tests: eager mode)."""
    app = CodetteCelery("codette", set_as_current=False)
    app.conf.update(celery_config(settings), **overrides)
    queue = CeleryQueue(app, learning_debounce_s=settings.learning_debounce_s)
    app.ports = replace(ports or build_stores(settings), queue=queue)
    app.steps["worker"].add(Heartbeat)
    app.steps["worker"].add(Retention)
    register_tasks(app, max_retries=settings.task_max_retries)
    connect_worker_logging(json_lines=settings.log_json)
    install_metrics(app, app.ports, task_names=tuple(n for n in app.tasks if n.startswith("codette.")))
    return app
