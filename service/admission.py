"""Fair sharing between users: a limit on each user's active jobs, and track jobs admitted in turn.

- **Limit**: a submission that would take a user past Settings.max_active_jobs_per_user queued and
  running jobs is refused whole (TooManyJobs, 429 with Retry-After); nothing is created.
- **Turns**: a user's track jobs wait in the user's own line, and at most
  Settings.admitted_jobs_per_user of them are in the broker's queue at once; each one that finishes
  admits the user's next. The broker's queue is first in, first out, so another user's single track
  waits behind at most that many of a large batch's jobs, not behind the whole batch.

Admission sends a job's message before moving it out of the line, so a process dying in between
leaves the job waiting (sent again later; tasks are idempotent), never lost. Every live worker
re-admits every line on its heartbeat (``admit_all``), so a line whose turn was missed moves on.
A session's tracks count against the limit but are sent at once (its chord needs them together).
"""

from __future__ import annotations

import logging

from core.errors import CodetteError
from service.model import Job
from service.ports import Ports

log = logging.getLogger(__name__)

#: Retry-After of a refused submission: about when a few of the user's jobs will have finished.
RETRY_AFTER_S = 30


class TooManyJobs(CodetteError):
    """The user's queued and running jobs would pass their limit."""

    code = "too_many_jobs"
    http_status = 429

    def __init__(self, message: str, *, retry_after_s: int = RETRY_AFTER_S) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def reserve(ports: Ports, *, owner: str, jobs: list[Job]) -> None:
    """Count ``jobs`` (the unfinished ones) as ``owner``'s active jobs, or raise TooManyJobs."""
    pending = [j.job_id for j in jobs if not j.status.finished]
    limit = ports.settings.max_active_jobs_per_user
    refused_at = ports.admission.reserve(owner, pending, limit=limit)
    if refused_at is not None:
        raise TooManyJobs(
            f"{len(pending)} more job(s) would give you {refused_at + len(pending)} queued or running;"
            f" at most {limit}: retry when some have finished"
        )


def enqueue_tracks(ports: Ports, *, owner: str, jobs: list[Job]) -> None:
    """Put ``owner``'s unfinished track jobs in their line, then admit what fits."""
    ports.admission.wait(owner, [j.job_id for j in jobs if not j.status.finished])
    admit(ports, owner=owner)


def admit(ports: Ports, *, owner: str) -> int:
    """Send ``owner``'s next waiting jobs while they have free slots; how many were sent."""
    admission = ports.admission
    if not admission.lock(owner):
        return 0  # another process is admitting for this user right now
    total = 0
    try:
        while True:  # again while slots free up meanwhile (a cached job finishes in milliseconds)
            candidates = admission.candidates(owner, slots=ports.settings.admitted_jobs_per_user)
            if not candidates:
                return total
            sent: list[str] = []
            dropped: list[str] = []
            for job_id in candidates:
                job = ports.jobs.job(job_id)
                if job is None or job.status.finished:
                    dropped.append(job_id)
                    continue
                ports.queue.analyze_track(job.job_id, job.sha256)  # sent first: a crash here resends
                sent.append(job_id)
            admission.mark_admitted(owner, sent, dropped)
            total += len(sent)
    finally:
        admission.unlock(owner)


def release(ports: Ports, job: Job) -> None:
    """A job of ``job.owner`` finished: it stops counting, and the user's next waiting job is admitted."""
    ports.admission.release(job.owner, job.job_id)
    admit(ports, owner=job.owner)


def admit_all(ports: Ports) -> int:
    """Admit for every user with a line (a worker's heartbeat calls this); how many were sent."""
    return sum(admit(ports, owner=owner) for owner in ports.admission.waiting_owners())
