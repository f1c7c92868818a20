"""The Celery tasks: each one line into service/, wrapped in the retry policy.

Bad audio (core.errors.CodetteError) fails the job once, clearly, inside the service. Only
infrastructure hiccups (Redis, the network or the object store briefly away or refusing) are retried,
with exponential backoff; when retries run out the job is marked failed, so a session's chord still
reaches its last step. A task past its soft time limit fails its job with code "timeout".
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import redis
from billiard.exceptions import SoftTimeLimitExceeded
from celery import Celery
from celery.exceptions import Reject

from service.compare import run_compare_job
from service.feedback import rebuild_learning
from service.messages import (
    TASK_ANALYZE_SESSION,
    TASK_ANALYZE_TRACK,
    TASK_COMPARE,
    TASK_MEASURE_MOVES,
    TASK_PREVIEW,
    TASK_REBUILD_LEARNING,
)
from service.ports import Ports
from service.preview_job import run_preview_job
from service.session_job import run_session_job
from service.track_job import TRANSIENT_STORE_ERRORS, fail_job, run_track_job
from service.vet_share import measure_moves

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    TimeoutError,
    *TRANSIENT_STORE_ERRORS,  # the object store away or refusing (storage_unavailable)
)
BACKOFF_MAX_S = 60.0


def backoff_s(retries: int) -> float:
    """Exponential backoff with full jitter: up to 1, 2, 4, ... seconds, capped at BACKOFF_MAX_S."""
    return random.uniform(0.0, min(BACKOFF_MAX_S, 2.0**retries))


def _give_up(ports: Ports, job_id: str, error: dict[str, str]) -> dict[str, str]:
    try:
        return fail_job(ports, job_id, error)
    except TRANSIENT_ERRORS as exc:
        log.error("job %s failed (%s) and could not be marked failed: %s", job_id, error["code"], exc)
        raise


def _guarded(task: Any, job_id: str, run: Callable[[Ports], dict[str, str]]) -> dict[str, str]:
    ports: Ports = task.app.ports
    try:
        return run(ports)
    except SoftTimeLimitExceeded:
        limit = ports.settings.task_soft_time_limit_s
        return _give_up(ports, job_id, {"code": "timeout", "message": f"analysis took longer than {limit} s"})
    except TRANSIENT_ERRORS as exc:
        if task.request.retries < task.max_retries:
            log.warning("job %s: transient error, retry %d: %s", job_id, task.request.retries + 1, exc)
            try:
                raise task.retry(exc=exc, countdown=backoff_s(task.request.retries)) from exc
            except Reject as rejected:
                if rejected.requeue:
                    raise
                # Celery could not queue the retry (the broker is down too) and would drop the
                # message, leaving the job 'running' forever. Give the message back instead: requeued
                # now, or restored after the visibility timeout if Redis is still away.
                log.warning("job %s: could not queue the retry (%s); returning the message", job_id, exc)
                raise Reject(exc, requeue=True) from exc
        return _give_up(ports, job_id, {"code": "unavailable", "message": f"gave up after retries: {exc}"})
    except Exception as exc:
        # A bug, not bad audio: report it on the job (clients see it) and in the log with its traceback.
        log.exception("job %s crashed", job_id)
        return _give_up(ports, job_id, {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"})


def task_options(*, max_retries: int) -> dict[str, Any]:
    """Options every Codette task shares: late acks, requeue when the worker dies, bounded retries.

    shared=False: each app gets its own tasks (tests build several apps in one process).
    """
    return {
        "bind": True,
        "shared": False,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "max_retries": max_retries,
    }


def register_tasks(app: Celery, *, max_retries: int) -> None:
    options = task_options(max_retries=max_retries)

    @app.task(name=TASK_ANALYZE_TRACK, **options)
    def analyze_track(self: Any, job_id: str, sha256: str) -> dict[str, str]:
        host = self.request.hostname or ""
        return _guarded(self, job_id, lambda p: run_track_job(p, job_id=job_id, sha256=sha256, hostname=host))

    @app.task(name=TASK_ANALYZE_SESSION, **options)
    def analyze_session(self: Any, job_id: str) -> dict[str, str]:
        return _guarded(self, job_id, lambda p: run_session_job(p, job_id=job_id))

    @app.task(name=TASK_COMPARE, **options)
    def compare(self: Any, job_id: str) -> dict[str, str]:
        return _guarded(self, job_id, lambda p: run_compare_job(p, job_id=job_id))

    @app.task(name=TASK_PREVIEW, **options)
    def preview(self: Any, job_id: str) -> dict[str, str]:
        host = self.request.hostname or ""
        return _guarded(self, job_id, lambda p: run_preview_job(p, job_id=job_id, hostname=host))

    @app.task(name=TASK_MEASURE_MOVES, **options)
    def measure(self: Any, helper: str, stems: list[dict[str, Any]]) -> dict[str, Any]:
        """A session job's helper: whatever goes wrong here, the job measures the moves itself, so
        nothing is retried and no job is failed; the error is logged."""
        job_id = helper.removeprefix("helper:")
        try:
            return measure_moves(self.app.ports, job_id=job_id, stems=stems)
        except SoftTimeLimitExceeded:
            log.warning("vetting helper of %s: past its time limit; the job measures the rest", job_id)
        except Exception:
            log.exception("vetting helper of %s crashed; the job measures the rest", job_id)
        return {}

    @app.task(name=TASK_REBUILD_LEARNING, **options)
    def rebuild(self: Any, user: str) -> dict[str, Any]:
        """Idempotent (it folds the whole log); Redis briefly away is retried with backoff."""
        try:
            return rebuild_learning(self.app.ports, user=user)
        except TRANSIENT_ERRORS as exc:
            log.warning("learning of %s: transient error, retry %d: %s", user, self.request.retries + 1, exc)
            raise self.retry(exc=exc, countdown=backoff_s(self.request.retries)) from exc
