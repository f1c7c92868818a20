"""The learning task: refold one user's profile from their feedback stream, then the population prior.

Queued by the API after every feedback (and implicit "ignored") event, on the ``learning`` queue.
Idempotent: it always folds the whole log, so a redelivered or duplicated message changes nothing.
Redis being briefly away is retried with backoff; reads never wait for this task (they catch up).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from core.messages import TASK_REBUILD_LEARNING
from worker.learning import rebuild_learning
from worker.tasks import TRANSIENT_ERRORS, backoff_s, task_options

if TYPE_CHECKING:
    from worker.app import CodetteCelery

log = logging.getLogger(__name__)


def register_learning_tasks(app: CodetteCelery) -> None:
    options = task_options(app)

    @app.task(name=TASK_REBUILD_LEARNING, **options)
    def rebuild(self: Any, user: str) -> dict[str, Any]:
        try:
            return rebuild_learning(self.app.services, user=user)
        except TRANSIENT_ERRORS as exc:
            log.warning("learning of %s: transient error, retry %d: %s", user, self.request.retries + 1, exc)
            raise self.retry(exc=exc, countdown=backoff_s(self.request.retries)) from exc
