"""The Celery tasks: thin wrappers that decode arguments, call worker.jobs and retry transient errors.

Bad audio (core.errors.CodetteError) fails the job once, clearly, inside worker.jobs. Only
infrastructure hiccups (Redis or the network briefly away) are retried, with exponential backoff;
when retries run out the job is marked failed, so a session's chord still reaches its last step.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

import redis
from celery.exceptions import Reject

from core.messages import TASK_ANALYZE_SESSION, TASK_ANALYZE_TRACK
from worker.jobs import run_session_job, run_track_job
from worker.services import Services

if TYPE_CHECKING:
    from worker.app import CodetteCelery

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    TimeoutError,
)
BACKOFF_MAX_S = 60.0


def backoff_s(retries: int) -> float:
    """Exponential backoff with full jitter: up to 1, 2, 4, ... seconds, capped at BACKOFF_MAX_S."""
    return random.uniform(0.0, min(BACKOFF_MAX_S, 2.0**retries))


def _give_up(services: Services, job_id: str, error: dict[str, str]) -> dict[str, str]:
    from worker.jobs import finish_failed

    try:
        job = services.store.job(job_id)
        if job is not None and not job.status.finished:
            finish_failed(services, job, error)
    except TRANSIENT_ERRORS as exc:
        log.error("job %s failed (%s) and could not be marked failed: %s", job_id, error["code"], exc)
        raise
    return {"job_id": job_id, "status": "failed"}


def _guarded(task: Any, job_id: str, run: Any) -> dict[str, str]:
    services: Services = task.app.services
    try:
        result: dict[str, str] = run()
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
        return _give_up(services, job_id, {"code": "unavailable", "message": f"gave up after retries: {exc}"})
    except Exception as exc:
        # A bug, not bad audio: report it on the job (clients see it) and in the log with its traceback.
        log.exception("job %s crashed", job_id)
        error = {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}
        return _give_up(services, job_id, error)
    return result


def task_options(app: CodetteCelery) -> dict[str, Any]:
    """Options every Codette task shares: late acks, requeue when the worker dies, bounded retries.

    shared=False: each app gets its own tasks (tests build several apps in one process).
    """
    return {
        "bind": True,
        "shared": False,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "max_retries": app.services.settings.task_max_retries,
    }


def register_tasks(app: CodetteCelery) -> None:
    options = task_options(app)

    @app.task(name=TASK_ANALYZE_TRACK, **options)
    def analyze_track(self: Any, job_id: str, sha256: str) -> dict[str, str]:
        hostname = self.request.hostname or ""
        return _guarded(
            self,
            job_id,
            lambda: run_track_job(self.app.services, job_id=job_id, sha256=sha256, hostname=hostname),
        )

    @app.task(name=TASK_ANALYZE_SESSION, **options)
    def analyze_session(self: Any, job_id: str) -> dict[str, str]:
        return _guarded(self, job_id, lambda: run_session_job(self.app.services, job_id=job_id))
