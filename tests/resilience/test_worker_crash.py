"""Worker crashes: SIGKILL pool processes and a whole worker while 40 analyses run; nothing is lost,
nothing is finished twice, and every job's job.done reaches its subscriber.

Two recovery paths are exercised: a killed *pool child* makes the worker reject the message back to
the queue at once (task_reject_on_worker_lost with late acks); a killed *worker* (the parent) leaves its
unacknowledged messages in Redis, which another worker restores after the visibility timeout (15 s here).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from dataclasses import replace

import pytest

from service import track_job
from service.model import Batch, Job, new_id
from service.track_job import run_track_job
from store import keys
from store.wiring import build_stores
from tests.conftest import wav_bytes
from tests.fakes import RecordingPublisher
from tests.resilience.calls import Listener, submit, wait_batch
from tests.resilience.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOBS, PER_BATCH, SECONDS = 40, 8, 30.0


def running_jobs(stack: Stack) -> int:
    client = stack.redis()
    try:
        return sum(client.hget(k, "status") == "running" for k in client.scan_iter("codette:job:*"))
    finally:
        client.close()


def test_sigkill_pool_children_and_a_worker_mid_batch_loses_and_duplicates_nothing(make_stack) -> None:
    stack: Stack = make_stack()
    url = stack.start_api()
    listener = Listener(url).connect()
    try:
        files = [(f"take{i:02d}.wav", wav_bytes(seconds=SECONDS, seed=1000 + i, channels=1))
                 for i in range(JOBS)]  # fmt: skip
        batches, snapshot_done = [], set()
        for start in range(0, JOBS, PER_BATCH):
            batch = submit(url, files[start : start + PER_BATCH])
            batches.append(batch)
            ack = listener.subscribe({"batch_id": batch["batch_id"]})
            assert ack["ok"], ack
            snapshot_done |= {j["job_id"] for j in ack["snapshot"]["jobs"] if j["status"] == "done"}
        job_ids = [j["job_id"] for b in batches for j in b["jobs"]]
        # Workers start once everything is queued, so the kills land while most jobs are still to run.
        for name in ("w1", "w2"):
            stack.start_worker(name, concurrency=2, wait=False)
        for name in ("w1", "w2"):
            stack.wait_worker(name, concurrency=2)

        # Three kills while analyses run: a pool child of w1, one of w2, then the whole of w2 (restarted
        # at once, as a supervisor would; its unacknowledged messages come back after the visibility timeout).
        kills = []
        for victim in ("w1", "w2", "w2-parent"):
            wait_until(lambda: running_jobs(stack), what="a job running", timeout_s=30, every_s=0.02)
            if victim == "w2-parent":
                pid = stack.workers["w2"].pid
                os.kill(pid, signal.SIGKILL)
                stack.workers["w2"].wait(10)
                client = stack.redis()
                in_flight = client.hlen("unacked")  # kombu's Redis transport: delivered, not acknowledged
                client.close()
                stack.start_worker("w2", concurrency=2, wait=False)
            else:
                pid = stack.pool_children(victim)[0]
                os.kill(pid, signal.SIGKILL)
            kills.append((victim, pid))
            time.sleep(0.5)

        finals = [wait_batch(url, b["batch_id"], timeout_s=120) for b in batches]
        jobs = [j for f in finals for j in f["jobs"]]
        assert [j["job_id"] for j in jobs] == job_ids
        assert all(j["status"] == "done" for j in jobs), [(j["name"], j.get("error")) for j in jobs]
        assert all(f["finished"] == f["total"] == PER_BATCH for f in finals)

        # Every job's job.done reached the client: live exactly once (a job already done when the client
        # subscribed may also be replayed from the snapshot, so it may come twice, never zero times).
        listener.wait(lambda ls: set(job_ids) <= {d["job_id"] for d in ls.of("job.done")},
                      what="a job.done for every job")  # fmt: skip
        time.sleep(1.0)  # let any duplicate arrive before counting
        counts = Counter(d["job_id"] for d in listener.of("job.done"))
        extra = {j: n for j, n in counts.items() if n != 1 and j not in snapshot_done}
        assert not extra, f"job.done delivered more than once: {extra}"
        assert all(counts[j] in (1, 2) for j in snapshot_done)
        assert not listener.of("job.failed")
        batch_done = Counter(d["batch_id"] for d in listener.of("batch.done"))
        assert batch_done == Counter({b["batch_id"]: 1 for b in batches}), batch_done

        # Each result exists once: every job points at the one cached analysis of its content.
        client = stack.redis()
        keys = [client.hget(f"codette:job:{j}", "result_key") for j in job_ids]
        assert len(set(keys)) == JOBS and all(client.exists(k) for k in keys)
        client.close()

        assert in_flight >= 1, "the killed worker held no message: the restore path was not exercised"
        logs = stack.logs()
        assert "signal 9" in logs or "WorkerLostError" in logs, "no pool child was lost mid-task"
    finally:
        listener.close()


def test_a_redelivered_task_announces_a_job_whose_worker_died_before_publishing(
    settings, monkeypatch
) -> None:
    """The state was stored as done but the worker died before job.done went out: redelivery sends it,
    once the grace a live finisher would have needed has passed."""
    monkeypatch.setattr(track_job, "ANNOUNCE_GRACE_S", 0.3)
    publisher = RecordingPublisher()
    services = build_stores(settings, publisher=publisher)
    sha256 = services.blobs.put_bytes(wav_bytes(seconds=1.0, seed=77))
    owner = f"crash-{new_id()}"  # a user of its own: other tests leave jobs waiting in alice's line
    job = Job(new_id(), owner, name="x.wav", sha256=sha256, batch_id=new_id())
    services.jobs.create_job(job)
    services.jobs.create_batch(Batch(job.batch_id, owner, (job.job_id,)))
    run_track_job(services, job_id=job.job_id, sha256=sha256, hostname="w")
    assert [m.event.value for m, _ in publisher.sent][-2:] == ["job.done", "batch.done"]

    # Simulate the crash window: final state stored, events not confirmed sent.
    services.jobs.update_job(job.job_id, announced=False)
    publisher.sent.clear()
    run_track_job(services, job_id=job.job_id, sha256=sha256, hostname="w")
    assert [m.event.value for m, _ in publisher.sent] == ["job.done"]  # batch.done was already sent
    assert publisher.sent[0][0].result["audio"]["duration_s"] == 1.0
    assert services.jobs.job(job.job_id) == replace(services.jobs.job(job.job_id), announced=True)

    publisher.sent.clear()  # announced: a further redelivery sends nothing
    run_track_job(services, job_id=job.job_id, sha256=sha256, hostname="w")
    assert publisher.sent == []


def test_a_redelivered_task_announces_a_batch_whose_completer_died_before_publishing(
    settings, monkeypatch
) -> None:
    """The batch's last job was counted (so completed_now was spent) but its worker died before
    batch.done went out: the redelivered message sends batch.done, once, after the grace."""
    monkeypatch.setattr(track_job, "ANNOUNCE_GRACE_S", 0.3)
    publisher = RecordingPublisher()
    services = build_stores(settings, publisher=publisher)
    sha256 = services.blobs.put_bytes(wav_bytes(seconds=1.0, seed=78))
    owner = f"crash-{new_id()}"
    job = Job(new_id(), owner, name="x.wav", sha256=sha256, batch_id=new_id())
    services.jobs.create_job(job)
    services.jobs.create_batch(Batch(job.batch_id, owner, (job.job_id,)))
    run_track_job(services, job_id=job.job_id, sha256=sha256, hostname="w")
    assert services.jobs.batch(job.batch_id).announced

    # Simulate the crash window: the job counted in its batch, batch.done not confirmed sent.
    services.jobs.redis.hdel(keys.batch(job.batch_id), "announced")
    assert not services.jobs.batch(job.batch_id).announced
    publisher.sent.clear()
    run_track_job(services, job_id=job.job_id, sha256=sha256, hostname="w")
    assert [m.event.value for m, _ in publisher.sent] == ["batch.done"]
    assert services.jobs.batch(job.batch_id).announced

    publisher.sent.clear()  # announced: a further redelivery sends nothing
    run_track_job(services, job_id=job.job_id, sha256=sha256, hostname="w")
    assert publisher.sent == []
