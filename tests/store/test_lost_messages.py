"""A track job whose broker message was lost is sent again (service.recovery over store.lost_messages),
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
from service.messages import JobStatus
from service.model import Batch, Job
from service.recovery import CONFIRM_S, LOST_AFTER_S, resend_lost
from store import keys
from store.wiring import build_stores
from tests.fakes import RecordingQueue
from worker.queue import connect_queue

#: A database no other test uses: the queues and kombu's ``unacked`` hash are global keys.
LOST_DB = 7


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
    connect_queue(ports.settings).analyze_track(job.job_id, job.sha256)
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
    assert resend_lost(ports, now_s=now, suspects=suspects) == 0  # too recent to judge
    later = now + LOST_AFTER_S + 1
    assert resend_lost(ports, now_s=later, suspects=suspects) == 0  # seen once
    assert set(suspects) == {lost.job_id}
    assert resend_lost(ports, now_s=later + CONFIRM_S, suspects=suspects) == 1
    assert ports.queue.named("analyze_track") == [(lost.job_id, lost.sha256)]
    assert suspects == {}


def test_nothing_is_judged_while_a_queue_holds_messages(ports: Any) -> None:
    owner = "bob"
    waiting = track_job(ports, owner)
    ports.admission.wait(owner, [waiting.job_id])
    ports.admission.mark_admitted(owner, [waiting.job_id], [])
    connect_queue(ports.settings).analyze_track(waiting.job_id, waiting.sha256)  # still in the queue
    suspects = {waiting.job_id: time.time() - 100}
    assert resend_lost(ports, now_s=time.time() + 100, suspects=suspects) == 0
    assert suspects == {} and ports.queue.calls == []


def test_a_lost_session_track_is_sent_with_its_session_step(ports: Any) -> None:
    owner, session_job_id, batch_id = "carol", uuid.uuid4().hex, uuid.uuid4().hex
    child = track_job(ports, owner, session_id="s1", track_id="kick", batch_id=batch_id)
    waiting_in_line = track_job(ports, owner)  # in its user's line, never admitted: no message by design
    ports.admission.wait(owner, [waiting_in_line.job_id])
    batch = Batch(batch_id, owner, (child.job_id,), session_job_id=session_job_id)
    ports.jobs.create_batch(batch, finished=())
    suspects: dict[str, float] = {}
    later = time.time() + LOST_AFTER_S + 1
    resend_lost(ports, now_s=later, suspects=suspects)
    assert resend_lost(ports, now_s=later + CONFIRM_S, suspects=suspects) == 1
    assert ports.queue.named("analyze_session") == [(session_job_id, ((child.job_id, child.sha256),))]
    assert waiting_in_line.job_id not in {c[1][0] for c in ports.queue.calls}
