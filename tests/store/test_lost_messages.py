"""A job whose broker message was lost is sent again (service.recovery over store.lost_messages),
against a real Redis and real Celery messages; its own database, since it reads kombu's global keys."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from typing import Any

import pytest
import redis

from config import Settings
from service.messages import JobKind, JobStatus
from service.model import Batch, Job
from service.recovery import CONFIRM_S, LOST_AFTER_S, QUEUE_READ_LIMIT, note_sent, resend_lost
from service.track_job import finish_failed
from store import keys
from store.wiring import build_stores
from tests.fakes import RecordingQueue
from worker.queue import connect_queue

#: A database no other test uses: the queues and kombu's ``unacked`` hash are global keys.
LOST_DB = 7
#: This test's worker instance, holding the recovery lease for longer than any test runs.
LEAD: dict[str, Any] = {"holder": "w1-instance", "lease_s": 60.0}


@pytest.fixture
def ports(settings: Settings) -> Any:
    own = replace(settings, redis_url=settings.require_redis_url().rsplit("/", 1)[0] + f"/{LOST_DB}")
    client = redis.Redis.from_url(own.require_redis_url())
    client.flushdb()
    client.close()
    return build_stores(own, queue=RecordingQueue())


def track_job(ports: Any, owner: str, **extra: Any) -> Job:
    job = Job(uuid.uuid4().hex, owner, name="t.wav", sha256=uuid.uuid4().hex * 2, **extra)
    ports.jobs.create_job(job)
    assert ports.admission.reserve(owner, [job.job_id], limit=100) is None
    return job


def deliver(ports: Any, job: Job, tag: str) -> None:
    """Send ``job``'s real Celery message, then move it to kombu's ``unacked`` hash as a worker's
    BRPOP and QoS record would: delivered, not acknowledged."""
    queue = connect_queue(ports.settings)
    if job.kind is JobKind.PREVIEW:
        queue.preview(job.job_id)
    else:
        queue.analyze_track(job.job_id, job.sha256)
    client = redis.Redis.from_url(ports.settings.require_redis_url(), decode_responses=True)
    raw = client.rpop("analysis")
    assert raw is not None
    client.hset(keys.KOMBU_UNACKED, tag, json.dumps([json.loads(raw), "", "analysis"]))
    client.close()


def test_a_sent_track_job_with_no_message_anywhere_is_sent_again_once_confirmed(ports: Any) -> None:
    owner = "alice"
    lost, held = track_job(ports, owner), track_job(ports, owner)
    ports.admission.wait(owner, [lost.job_id, held.job_id])
    ports.admission.mark_admitted(owner, [lost.job_id, held.job_id], [])
    deliver(ports, held, "tag-1")
    assert ports.lost.held_job_ids() == {held.job_id}
    done = track_job(ports, owner)
    ports.jobs.update_job(done.job_id, status=JobStatus.DONE)
    ports.admission.wait(owner, [done.job_id])
    ports.admission.mark_admitted(owner, [done.job_id], [])

    suspects: dict[str, float] = {}
    now = time.time()
    assert resend_lost(ports, now_s=now, suspects=suspects, **LEAD) == 0  # too recent to judge
    later = now + LOST_AFTER_S + 1
    assert resend_lost(ports, now_s=later, suspects=suspects, **LEAD) == 0  # seen once
    assert set(suspects) == {lost.job_id}
    assert resend_lost(ports, now_s=later + CONFIRM_S, suspects=suspects, **LEAD) == 1
    assert ports.queue.named("analyze_track") == [(lost.job_id, lost.sha256)]
    assert suspects == {}


def test_a_running_track_job_whose_retry_message_was_lost_is_sent_again(ports: Any) -> None:
    """A retry goes out as a new message while the job stays ``running``; lost, nothing would run it.
    A running job whose message a worker holds (its task is running) is left alone."""
    owner = "frank"
    retried, running = track_job(ports, owner), track_job(ports, owner)
    ports.admission.wait(owner, [retried.job_id, running.job_id])
    ports.admission.mark_admitted(owner, [retried.job_id, running.job_id], [])
    for job in (retried, running):
        ports.jobs.update_job(job.job_id, status=JobStatus.RUNNING, stage="analysis")
    deliver(ports, running, "tag-5")
    suspects: dict[str, float] = {}
    later = time.time() + LOST_AFTER_S + 1
    resend_lost(ports, now_s=later, suspects=suspects, **LEAD)
    assert set(suspects) == {retried.job_id}
    assert resend_lost(ports, now_s=later + CONFIRM_S, suspects=suspects, **LEAD) == 1
    assert ports.queue.named("analyze_track") == [(retried.job_id, retried.sha256)]


def test_with_the_queue_busy_a_waiting_message_is_not_lost_and_a_lost_one_is_still_found(ports: Any) -> None:
    """The queue holds one job's message (it waits its turn behind a long batch): that job is left
    alone, and another job with no message anywhere is sent again without waiting for the queue to
    drain (it used to be judged only once the queues were empty)."""
    owner = "bob"
    waiting, lost = track_job(ports, owner), track_job(ports, owner)
    ports.admission.wait(owner, [waiting.job_id, lost.job_id])
    ports.admission.mark_admitted(owner, [waiting.job_id, lost.job_id], [])
    connect_queue(ports.settings).analyze_track(waiting.job_id, waiting.sha256)  # still in the queue
    suspects: dict[str, float] = {}
    later = time.time() + LOST_AFTER_S + 1
    assert resend_lost(ports, now_s=later, suspects=suspects, **LEAD) == 0
    assert set(suspects) == {lost.job_id}
    assert resend_lost(ports, now_s=later + CONFIRM_S, suspects=suspects, **LEAD) == 1
    assert ports.queue.named("analyze_track") == [(lost.job_id, lost.sha256)]


def test_nothing_is_judged_while_the_queues_are_too_long_to_read(ports: Any) -> None:
    owner = "erin"
    lost = track_job(ports, owner)
    ports.admission.wait(owner, [lost.job_id])
    ports.admission.mark_admitted(owner, [lost.job_id], [])
    client = redis.Redis.from_url(ports.settings.require_redis_url())
    client.rpush("analysis", *[b"{}"] * (QUEUE_READ_LIMIT + 1))
    client.close()
    suspects = {lost.job_id: time.time() - 100}
    assert resend_lost(ports, now_s=time.time() + 100, suspects=suspects, **LEAD) == 0
    assert suspects == {} and ports.queue.calls == []
    assert ports.lost.queued_job_ids(("analysis",), limit=QUEUE_READ_LIMIT) is None


def test_a_lost_session_track_is_sent_with_its_session_step(ports: Any) -> None:
    owner, session_job_id, batch_id = "carol", uuid.uuid4().hex, uuid.uuid4().hex
    child = track_job(ports, owner, session_id="s1", track_id="kick", batch_id=batch_id)
    waiting_in_line = track_job(ports, owner)  # in its user's line, never admitted: no message by design
    ports.admission.wait(owner, [waiting_in_line.job_id])
    batch = Batch(batch_id, owner, (child.job_id,), session_job_id=session_job_id)
    ports.jobs.create_batch(batch, finished=())
    suspects: dict[str, float] = {}
    later = time.time() + LOST_AFTER_S + 1
    resend_lost(ports, now_s=later, suspects=suspects, **LEAD)
    assert resend_lost(ports, now_s=later + CONFIRM_S, suspects=suspects, **LEAD) == 1
    assert ports.queue.named("analyze_session") == [(session_job_id, ((child.job_id, child.sha256),))]
    assert waiting_in_line.job_id not in {c[1][0] for c in ports.queue.calls}


def noted_job(ports: Any, owner: str, kind: JobKind, **extra: Any) -> Job:
    job = ports.jobs.create_job(Job(uuid.uuid4().hex, owner, kind=kind, name=kind.value, **extra))
    note_sent(ports, job.job_id)
    return job


def test_a_lost_session_step_compare_or_preview_is_sent_again_a_finished_one_forgotten(ports: Any) -> None:
    owner = "dave"
    done_track = ports.jobs.create_job(Job(uuid.uuid4().hex, owner, status=JobStatus.DONE, session_id="s1"))
    step = noted_job(ports, owner, JobKind.SESSION, session_id="s1", children=(done_track.job_id,))
    open_track = ports.jobs.create_job(Job(uuid.uuid4().hex, owner, session_id="s2"))
    waiting_step = noted_job(ports, owner, JobKind.SESSION, session_id="s2", children=(open_track.job_id,))
    compare = noted_job(ports, owner, JobKind.COMPARE)
    held_preview = noted_job(ports, owner, JobKind.PREVIEW)
    deliver(ports, held_preview, "tag-9")
    finished = noted_job(ports, owner, JobKind.PREVIEW)
    ports.jobs.update_job(finished.job_id, status=JobStatus.DONE)

    suspects: dict[str, float] = {}
    later = time.time() + LOST_AFTER_S + 1
    assert resend_lost(ports, now_s=later, suspects=suspects, **LEAD) == 0
    assert set(suspects) == {step.job_id, compare.job_id}  # a track still open: the track is looked for
    assert finished.job_id not in ports.lost.sent_jobs(before_s=later)
    assert resend_lost(ports, now_s=later + CONFIRM_S, suspects=suspects, **LEAD) == 2
    assert ports.queue.named("analyze_session") == [(step.job_id, ())]  # the step alone
    assert ports.queue.named("compare") == [(compare.job_id,)]
    assert ports.queue.named("preview") == []  # held by a worker
    assert {waiting_step.job_id, held_preview.job_id} <= set(ports.lost.sent_jobs(before_s=later))


def test_a_job_that_finishes_is_no_longer_looked_for(ports: Any) -> None:
    compare = noted_job(ports, "erin", JobKind.COMPARE)
    assert compare.job_id in ports.lost.sent_jobs(before_s=time.time() + 1)
    finish_failed(ports, compare, {"code": "invalid_audio", "message": "b: not audio"})
    assert compare.job_id not in ports.lost.sent_jobs(before_s=time.time() + 1)


def test_one_instance_of_the_pool_looks_and_another_takes_over_when_its_lease_runs_out(ports: Any) -> None:
    """The reads are made once per beat for the whole pool: the lease holder renews it, the others
    are refused (and forget their suspects) until it runs out. The lease's time is set through Redis,
    not waited for, so the test holds on a machine of any speed."""
    lost = ports.lost
    client = redis.Redis.from_url(ports.settings.require_redis_url())
    assert lost.lead("a", lease_s=5.0)
    assert not lost.lead("b", lease_s=5.0)
    job = track_job(ports, "gina")
    ports.admission.wait("gina", [job.job_id])
    ports.admission.mark_admitted("gina", [job.job_id], [])
    later = time.time() + LOST_AFTER_S + 1
    suspects = {"an-old-suspect": later}
    assert resend_lost(ports, now_s=later, suspects=suspects, holder="b", lease_s=5.0) == 0
    assert suspects == {}  # "b" does not look while "a" holds the lease
    client.pexpire(keys.RECOVERY_LEASE, 300)  # "a"'s lease about to run out: its next check renews it
    assert lost.lead("a", lease_s=5.0)
    assert client.get(keys.RECOVERY_LEASE) == b"a" and client.pttl(keys.RECOVERY_LEASE) > 1000
    assert not lost.lead("b", lease_s=5.0)
    client.pexpire(keys.RECOVERY_LEASE, 1)  # "a" stopped renewing (dead): the lease runs out
    time.sleep(0.05)
    resend_lost(ports, now_s=later, suspects=suspects, holder="b", lease_s=5.0)
    assert set(suspects) == {job.job_id}  # "b" took the lease and looked
    assert not lost.lead("a", lease_s=5.0)
    client.close()
