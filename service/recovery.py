"""Track jobs whose broker message was lost are sent again.

kombu's Redis transport takes a message off its queue (BRPOP) before it records it as delivered and
unacknowledged; a connection lost between the two (Redis restarting, a worker killed at that
moment) loses the message, and its job would stay ``queued`` for as long as it lives (seen in the
resilience tests: 1 of 12 jobs after three Redis restarts, 1 of 40 after worker kills). Every live
worker checks on its heartbeat: with the queues empty, a track job sent more than LOST_AFTER_S ago
that is still ``queued`` and whose message no worker holds has no message anywhere. Seen so on two
checks CONFIRM_S apart (not a message between the pop and its record), it is sent again: a batch's
track as its own task, a session's tracks as a new chord of them and the session step, which the
lost chord would never have run. Tasks are idempotent, so a message found lost by two workers at
once costs a second look, never a second result. With the queues busy nothing is judged: a
message in a queue is not lost, and a lost one is found once the queues drain.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from config import ANALYSIS_QUEUE, LEARNING_QUEUE
from service.messages import JobStatus
from service.model import Job
from service.ports import Ports

log = logging.getLogger(__name__)

#: A track job sent this long ago (s) and still queued with no message anywhere is a suspect.
LOST_AFTER_S = 30.0
#: A suspect still so on a check this much later (s) is sent again.
CONFIRM_S = 10.0
QUEUES = (ANALYSIS_QUEUE, LEARNING_QUEUE)


def resend_lost(ports: Ports, *, now_s: float, suspects: dict[str, float]) -> int:
    """Send again the track jobs whose message is lost; how many. ``suspects`` (job id -> when first
    seen without a message) is the caller's memory between checks, updated here."""
    lost = ports.lost
    if not lost.queues_empty(QUEUES):
        suspects.clear()
        return 0
    held = lost.held_job_ids()
    missing: dict[str, Job] = {}
    for job_id in lost.sent_track_jobs(before_s=now_s - LOST_AFTER_S):
        if job_id in held:
            continue
        job = ports.jobs.job(job_id)
        if job is not None and job.status is JobStatus.QUEUED:
            missing[job_id] = job
    for job_id in [j for j in suspects if j not in missing]:
        del suspects[job_id]
    confirmed = [job for job_id, job in missing.items() if now_s - suspects.get(job_id, now_s) >= CONFIRM_S]
    for job_id in missing:
        suspects.setdefault(job_id, now_s)
    sessions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for job in confirmed:
        batch = ports.jobs.batch(job.batch_id) if job.session_id and job.batch_id else None
        log.warning("job %s (%s) is queued and its message is lost: sending it again", job.job_id, job.name)
        if batch is not None and batch.session_job_id:
            sessions[batch.session_job_id].append((job.job_id, job.sha256))
        else:
            ports.queue.analyze_track(job.job_id, job.sha256)
        del suspects[job.job_id]
    for session_job_id, tracks in sessions.items():
        ports.queue.analyze_session(session_job_id, tracks=tracks)
    return len(confirmed)
