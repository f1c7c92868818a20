"""Jobs whose broker message was lost are sent again.

kombu's Redis transport takes a message off its queue (BRPOP) before it records it as delivered and
unacknowledged; a connection lost between the two (Redis restarting, a worker killed at that
moment) loses the message, and its job would stay ``queued`` for as long as it lives (seen in the
resilience tests: 1 of 12 jobs after three Redis restarts, 1 of 40 after worker kills). Every live
worker checks on its heartbeat: a track job sent more than LOST_AFTER_S ago that is unfinished,
whose message no worker holds and no queue holds, has no message anywhere: ``queued``, or
``running`` after a retry (the task sent its next attempt as a new message, and that one was lost;
a running task's own message is held until it ends, by a dead worker's too). Seen so on two
checks CONFIRM_S apart (not a message between the pop and its record), it is sent again: a batch's
track as its own task, a session's tracks as a new chord of them and the session step, which the
lost chord would never have run. Tasks are idempotent, so a message found lost by two workers at
once costs a second look, never a second result. The queues are read (their messages' job ids)
only when a job is unaccounted for by the held messages; past QUEUE_READ_LIMIT messages nothing is
judged until they are shorter. One worker instance of the pool looks at a time (a lease in Redis,
``LostMessages.lead``), so the reads do not grow with the number of workers.

Session steps, compares and previews go out the same way and are lost the same way (a session step
is the chord's last message, sent when its last track finishes). They are noted as sent
(``note_sent``, keys.SENT_JOBS) and forgotten when they finish; one unfinished past LOST_AFTER_S whose
message no worker holds is sent again the same way: a session step alone once all its tracks are
finished (while a track is not, the track is what is looked for), a compare or preview as its task.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from config import ANALYSIS_QUEUE, LEARNING_QUEUE
from service.messages import JobKind
from service.model import Job
from service.ports import Ports

log = logging.getLogger(__name__)

#: A track job sent this long ago (s) and unfinished with no message anywhere is a suspect.
LOST_AFTER_S = 30.0
#: A suspect still so on a check this much later (s) is sent again.
CONFIRM_S = 10.0
QUEUES = (ANALYSIS_QUEUE, LEARNING_QUEUE)
#: Queues holding more messages than this are not read on a heartbeat (a track job's message is 1.2 KB:
#: at most 1.2 MB per read): nothing is judged until they are shorter. Admission keeps a user's track
#: jobs in the queue to CODETTE_ADMITTED_JOBS_PER_USER, so this is hundreds of users at once.
QUEUE_READ_LIMIT = 1000


def note_sent(ports: Ports, job_id: str) -> None:
    """Before a session, compare or preview job's message is sent: a lost one is then found."""
    ports.lost.record_sent(job_id, now_s=time.time(), keep_s=ports.settings.result_ttl_s)


def resend_lost(
    ports: Ports, *, now_s: float, suspects: dict[str, float], holder: str, lease_s: float
) -> int:
    """Send again the jobs whose message is lost; how many. ``suspects`` (job id -> when first seen
    without a message) is the caller's memory between checks, updated here.

    Only the worker instance ``holder`` that holds the recovery lease looks (``lease_s``, renewed on
    each of its checks): the reads grow with the jobs in flight, and a pool of N workers each reading
    them on every beat would cost Redis N times that for one answer. When the holder dies, its lease
    runs out and the next instance to check takes it over."""
    lost = ports.lost
    if not lost.lead(holder, lease_s=lease_s):
        suspects.clear()  # another instance looks; should this one take over, it starts afresh
        return 0
    held = lost.held_job_ids()
    missing = {job.job_id: job for job in _missing_tracks(ports, held, before_s=now_s - LOST_AFTER_S)}
    missing.update((job.job_id, job) for job in _missing_others(ports, held, before_s=now_s - LOST_AFTER_S))
    if missing:  # the queues are read only when something is unaccounted for
        waiting = lost.queued_job_ids(QUEUES, limit=QUEUE_READ_LIMIT)
        if waiting is None:
            suspects.clear()
            return 0
        missing = {job_id: job for job_id, job in missing.items() if job_id not in waiting}
    for job_id in [j for j in suspects if j not in missing]:
        del suspects[job_id]
    confirmed = [job for job_id, job in missing.items() if now_s - suspects.get(job_id, now_s) >= CONFIRM_S]
    for job_id in missing:
        suspects.setdefault(job_id, now_s)
    sessions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for job in confirmed:
        log.warning("job %s (%s) is unfinished and its message lost: sending it again", job.job_id, job.name)
        del suspects[job.job_id]
        if job.kind is JobKind.SESSION:
            sessions.setdefault(job.job_id, [])  # its tracks are finished: the session step alone
        elif job.kind is JobKind.COMPARE:
            ports.queue.compare(job.job_id)
        elif job.kind is JobKind.PREVIEW:
            ports.queue.preview(job.job_id)
        else:
            batch = ports.jobs.batch(job.batch_id) if job.session_id and job.batch_id else None
            if batch is not None and batch.session_job_id:
                sessions[batch.session_job_id].append((job.job_id, job.sha256))
            else:
                ports.queue.analyze_track(job.job_id, job.sha256)
    for session_job_id, tracks in sessions.items():
        ports.queue.analyze_session(session_job_id, tracks=tracks)
    return len(confirmed)


def _missing_tracks(ports: Ports, held: set[str], *, before_s: float) -> list[Job]:
    """Track jobs sent before ``before_s``, unfinished, whose message no worker holds."""
    unheld = tuple(j for j in ports.lost.sent_track_jobs(before_s=before_s) if j not in held)
    return [job for job in ports.jobs.jobs(unheld) if not job.status.finished]


def _missing_others(ports: Ports, held: set[str], *, before_s: float) -> list[Job]:
    """Session, compare and preview jobs sent before ``before_s``, unfinished, whose message no worker
    holds (a session only once its tracks are finished); finished and expired ones are forgotten."""
    sent = ports.lost.sent_jobs(before_s=before_s)
    jobs = {job.job_id: job for job in ports.jobs.jobs(tuple(sent))}
    ports.lost.forget_sent([j for j in sent if j not in jobs or jobs[j].status.finished])  # or expired
    return [
        job
        for job in jobs.values()
        if not job.status.finished
        and job.job_id not in held
        and all(c.status.finished for c in ports.jobs.jobs(job.children))
    ]
