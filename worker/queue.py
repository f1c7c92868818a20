"""TaskQueue over Celery: the service's background work sent as named tasks (service.ports.TaskQueue).

Named signatures, not task objects: a process without the tasks registered (the API) sends them by
name, as send_task does; a process with them registered (a worker, an eager test app) runs them the
way its configuration says, which send_task would not (it ignores eager mode).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, chord

from config import Settings
from service.messages import (
    TASK_ANALYZE_SESSION,
    TASK_ANALYZE_TRACK,
    TASK_COMPARE,
    TASK_MEASURE_MOVES,
    TASK_PREVIEW,
    TASK_REBUILD_LEARNING,
)
from worker.celery_config import celery_config
from worker.tracing import connect_publishing


class CeleryQueue:
    def __init__(self, app: Celery, *, learning_debounce_s: float = 0.0) -> None:
        self.app = app
        self.learning_debounce_s = learning_debounce_s
        connect_publishing()  # the request id and the send time in every message's headers

    def analyze_track(self, job_id: str, sha256: str) -> None:
        self.app.signature(TASK_ANALYZE_TRACK, args=(job_id, sha256), immutable=True).apply_async()

    def analyze_session(self, session_job_id: str, *, tracks: list[tuple[str, str]]) -> None:
        """The tracks in parallel (a chord), then the session step; at once when all are cached."""
        header = [
            self.app.signature(TASK_ANALYZE_TRACK, args=(job_id, sha256), immutable=True)
            for job_id, sha256 in tracks
        ]
        body = self.app.signature(TASK_ANALYZE_SESSION, args=(session_job_id,), immutable=True)
        if header:
            chord(header, app=self.app)(body)
        else:
            body.apply_async()

    def rebuild_learning(self, user: str) -> None:
        """Debounced: a burst of feedback within the delay rebuilds the population once."""
        countdown = self.learning_debounce_s or None
        self.app.signature(TASK_REBUILD_LEARNING, args=(user,)).apply_async(countdown=countdown)

    def compare(self, job_id: str) -> None:
        self.app.signature(TASK_COMPARE, args=(job_id,), immutable=True).apply_async()

    def preview(self, job_id: str) -> None:
        self.app.signature(TASK_PREVIEW, args=(job_id,), immutable=True).apply_async()

    def measure_moves(self, job_id: str, stems: list[dict[str, Any]]) -> None:
        """Not a job of its own: its first argument names no job, so service.recovery never looks
        for it (a lost helper costs the session job the time to measure its moves itself)."""
        self.app.signature(TASK_MEASURE_MOVES, args=(f"helper:{job_id}", stems), immutable=True).apply_async()


def connect_queue(settings: Settings) -> CeleryQueue:
    """A send-only queue for ``settings``'s broker (the API's): no tasks registered, nothing consumed."""
    app = Celery("codette", set_as_current=False)
    app.conf.update(celery_config(settings))
    return CeleryQueue(app, learning_debounce_s=settings.learning_debounce_s)
