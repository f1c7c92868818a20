"""Per-user admission and worker claims against a real Redis (store/admission.py, store/workers.py)."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest
import redis

from config import Settings
from core.errors import CodetteError
from service.admission import TooManyJobs, admit, admit_all, release, reserve
from service.messages import JobStatus
from service.model import Job
from store import keys
from store.wiring import build_stores
from tests.fakes import RecordingQueue


@pytest.fixture
def ports(settings: Settings):  # type: ignore[no-untyped-def]
    limits = replace(settings, max_active_jobs_per_user=5, admitted_jobs_per_user=2)
    return build_stores(limits, queue=RecordingQueue())


def jobs(ports, owner: str, n: int) -> list[Job]:  # type: ignore[no-untyped-def]
    made = [Job(uuid.uuid4().hex, owner, name=f"{i}.wav", sha256=f"{i:064x}") for i in range(n)]
    for job in made:
        ports.jobs.create_job(job)
    return made


def sent(ports) -> list[str]:  # type: ignore[no-untyped-def]
    return [call[1][0] for call in ports.queue.calls if call[0] == "analyze_track"]


def test_a_submission_past_the_limit_is_refused_whole_with_a_retry_after(ports) -> None:  # type: ignore[no-untyped-def]
    owner = f"u-{uuid.uuid4().hex}"
    reserve(ports, owner=owner, jobs=jobs(ports, owner, 4))
    with pytest.raises(TooManyJobs) as refused:
        reserve(ports, owner=owner, jobs=jobs(ports, owner, 2))
    assert isinstance(refused.value, CodetteError) and refused.value.http_status == 429
    assert refused.value.retry_after_s > 0 and "at most 5" in refused.value.message
    assert ports.admission.active(owner) == 4  # nothing of the refused submission counted
    reserve(ports, owner=f"other-{owner}", jobs=jobs(ports, owner, 5))  # another user has their own limit


def test_jobs_are_admitted_two_at_a_time_and_each_finish_admits_the_next(ports) -> None:  # type: ignore[no-untyped-def]
    owner = f"u-{uuid.uuid4().hex}"
    line = jobs(ports, owner, 5)
    ports.admission.wait(owner, [j.job_id for j in line])
    assert admit(ports, owner=owner) == 2 and sent(ports) == [j.job_id for j in line[:2]]
    assert admit(ports, owner=owner) == 0  # no free slot
    ports.jobs.update_job(line[0].job_id, status=JobStatus.DONE)
    release(ports, line[0])
    assert sent(ports) == [j.job_id for j in line[:3]]
    # A job that finished before it was admitted (cached meanwhile) is dropped, not sent.
    ports.jobs.update_job(line[3].job_id, status=JobStatus.DONE)
    ports.jobs.update_job(line[1].job_id, status=JobStatus.DONE)
    release(ports, line[1])
    assert sent(ports) == [j.job_id for j in [*line[:3], line[4]]]
    assert owner not in ports.admission.waiting_owners()


def test_a_job_finished_between_its_send_and_its_mark_does_not_hold_a_slot(ports) -> None:  # type: ignore[no-untyped-def]
    owner = f"u-{uuid.uuid4().hex}"
    line = jobs(ports, owner, 3)
    ports.admission.wait(owner, [j.job_id for j in line])
    ports.jobs.update_job(line[0].job_id, status=JobStatus.DONE)  # a fast worker finished it already
    ports.admission.mark_admitted(owner, [line[0].job_id], [])
    assert ports.admission.candidates(owner, slots=2) == [j.job_id for j in line[1:]]


def test_a_missed_turn_is_taken_by_admit_all(ports) -> None:  # type: ignore[no-untyped-def]
    owner = f"u-{uuid.uuid4().hex}"
    line = jobs(ports, owner, 1)
    ports.admission.wait(owner, [line[0].job_id])  # the submitting process died before admitting
    assert admit_all(ports) >= 1 and line[0].job_id in sent(ports)


def test_a_dead_instance_is_taken_over_once_with_only_its_unacknowledged_tags(settings: Settings) -> None:
    health = build_stores(settings).health
    client = redis.Redis.from_url(settings.require_redis_url(), decode_responses=True)
    dead, alive = f"w@h/1/{uuid.uuid4().hex}", f"w@h/2/{uuid.uuid4().hex}"
    tags = [uuid.uuid4().hex for _ in range(3)]
    for tag in tags[:2]:
        client.hset(keys.KOMBU_UNACKED, tag, '[{}, "analysis", "analysis"]')
    for tag in tags:  # the third was acknowledged already
        health.claim(dead, tag)
    health.beat("w@h", alive)
    client.zadd(keys.WORKER_INSTANCES, {dead: time.time() - health.dead_after_s - 1})
    try:
        assert dead in health.dead_instances() and alive not in health.dead_instances()
        assert health.stale_jobs() >= 2
        taken = health.take_over(dead)
        assert sorted(taken or []) == sorted(tags[:2])
        assert health.take_over(dead) is None  # one live worker gives them back, not two
        health.forget(dead)
        assert dead not in health.dead_instances()
        health.prune_claims(alive)
    finally:
        client.hdel(keys.KOMBU_UNACKED, *tags)
        health.leave("w@h", alive)
        client.close()


def test_the_beat_setting_decides_when_a_worker_is_live_and_when_it_is_dead(settings: Settings) -> None:
    """CODETTE_WORKER_HEARTBEAT_S=2: live for 3 beats (6 s), dead after 6 (12 s), on every host."""
    health = build_stores(replace(settings, worker_heartbeat_s=2.0)).health
    client = redis.Redis.from_url(settings.require_redis_url(), decode_responses=True)
    name = f"w@{uuid.uuid4().hex}"
    quiet, dead = f"{name}/1/a", f"{name}/2/b"
    now = time.time()
    client.zadd(keys.WORKERS, {name: now - 5.0})
    client.zadd(keys.WORKER_INSTANCES, {quiet: now - 11.0, dead: now - 13.0})
    try:
        assert name in health.live_workers()
        assert dead in health.dead_instances() and quiet not in health.dead_instances()
        client.zadd(keys.WORKERS, {name: now - 7.0})
        assert name not in health.live_workers()
        default = build_stores(settings).health  # 5 s: the 13 s silence is not death yet
        assert dead not in default.dead_instances()
    finally:
        client.zrem(keys.WORKERS, name)
        client.zrem(keys.WORKER_INSTANCES, quiet, dead)
        client.close()


@pytest.mark.parametrize("value", ["0.1", "120"])
def test_a_heartbeat_outside_half_a_second_to_a_minute_is_refused_by_name(value: str) -> None:
    from config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="CODETTE_WORKER_HEARTBEAT_S"):
        load_settings({"CODETTE_WORKER_HEARTBEAT_S": value})
