"""The request id across the queue, and the worker's JSON logs.

Publishing (API and worker alike): every message gets the request id being served
(service.logs.REQUEST_ID) and the time it was sent, as message headers. Running: while a task runs
the worker sets REQUEST_ID from its message, and logs one line naming the task and its arguments, so
``grep <request id>`` over the worker logs finds the jobs a request queued.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
)

from service.logs import REQUEST_ID, RequestIdFilter, use_json

HEADER_REQUEST_ID = "codette_request_id"
#: Epoch seconds the message was sent (store/queue_stats.py measures the oldest message's age with it).
HEADER_SENT_AT = "codette_sent_at"

log = logging.getLogger("codette.task")
_tokens: dict[str, Any] = {}


def _stamp(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is None:
        return
    headers[HEADER_SENT_AT] = time.time()
    request_id = REQUEST_ID.get()
    if request_id:
        headers.setdefault(HEADER_REQUEST_ID, request_id)


def _started(task_id: str = "", task: Any = None, args: Any = None, **_: Any) -> None:
    request_id = str(getattr(task.request, HEADER_REQUEST_ID, None) or "") if task is not None else ""
    _tokens[task_id] = REQUEST_ID.set(request_id)
    name = getattr(task, "name", "?")
    log.info("task %s started", name, extra={"task_id": task_id, "task_name": name,
                                              "task_args": json.dumps(list(args or ()))[:300]})  # fmt: skip


def _finished(task_id: str = "", **_: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        REQUEST_ID.reset(token)


def connect_publishing() -> None:
    """Stamp every message this process sends (idempotent)."""
    before_task_publish.connect(_stamp, weak=False, dispatch_uid="codette-stamp-headers")


def connect_worker_logging(*, json_lines: bool) -> None:
    """Request ids while tasks run; JSON lines (or text with the id filter) on Celery's handlers."""
    task_prerun.connect(_started, weak=False, dispatch_uid="codette-request-id-start")
    task_postrun.connect(_finished, weak=False, dispatch_uid="codette-request-id-end")

    def style(logger: logging.Logger | None = None, **_: Any) -> None:
        for handler in logger.handlers if logger is not None else ():
            if json_lines:
                use_json(handler)
            else:
                handler.addFilter(RequestIdFilter())

    after_setup_logger.connect(style, weak=False, dispatch_uid="codette-log-style")
    after_setup_task_logger.connect(style, weak=False, dispatch_uid="codette-task-log-style")
