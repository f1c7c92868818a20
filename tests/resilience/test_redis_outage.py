"""Redis outages: while Redis is stopped (or frozen) the API answers 503 quickly with a clear error;
after Redis restarts on its append-only file, every job accepted before the outage finishes (or is
visibly failed) and new work flows again."""

from __future__ import annotations

import signal
import time

import pytest
import requests

from tests.conftest import auth, wav_bytes
from tests.resilience.calls import Listener, get, submit, upload, wait_batch
from tests.resilience.stack import Stack, check_quick_restarts, ensure_redis

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Redis answers nothing for this long: the API must still answer (503) well before it.
HANG_LIMIT_S = 8.0
#: One worker with two pool processes, each prefetching one message: at most this many jobs are
#: running or reserved when Redis goes away, and only those may give up.
WORKER_PROCESSES = 2
IN_FLIGHT_MAX = 2 * WORKER_PROCESSES


@pytest.fixture(scope="module")
def stack(make_stack) -> Stack:
    stack: Stack = make_stack()
    stack.start_worker("w1", concurrency=WORKER_PROCESSES)
    return stack


@pytest.fixture(scope="module")
def url(stack: Stack) -> str:
    return stack.start_api()


def assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "unavailable" and "Redis" in error["message"], error


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_while_redis_is_down_the_api_answers_503_and_accepted_jobs_survive(stack: Stack, url: str) -> None:
    listener = Listener(url).connect()
    try:
        files = [(f"t{i}.wav", wav_bytes(seconds=20.0, seed=2000 + i, channels=1)) for i in range(8)]
        batch = submit(url, files)
        assert listener.subscribe({"batch_id": batch["batch_id"]})["ok"]
        job_id = batch["jobs"][0]["job_id"]

        stack.stop_redis()  # SIGTERM: Redis flushes its append-only file and exits
        try:
            r, took = timed(lambda: requests.get(f"{url}/api/v1/jobs/{job_id}", headers=auth(), timeout=30))
            assert_unavailable(r)
            assert took < HANG_LIMIT_S
            r, took = timed(lambda: upload(url, [("late.wav", wav_bytes(seconds=1.0, seed=2100))]))
            assert_unavailable(r)
            assert took < HANG_LIMIT_S
            r = requests.get(f"{url}/health", timeout=30)
            assert r.status_code == 503 and r.json()["redis"] == "unavailable"
            ack = listener.sio.call("subscribe", {"job_id": job_id}, timeout=HANG_LIMIT_S)
            assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack
            time.sleep(2.0)  # workers see the outage too
        finally:
            stack.start_redis()  # same port, same data dir: the append-only file is replayed

        final = wait_batch(url, batch["batch_id"], timeout_s=90)
        assert [j["job_id"] for j in final["jobs"]] == [j["job_id"] for j in batch["jobs"]]
        failed = [j for j in final["jobs"] if j["status"] == "failed"]
        assert all(j["error"]["code"] and j["error"]["message"] for j in failed), failed
        assert all(j["status"] in ("done", "failed") for j in final["jobs"])
        # Accepted jobs survive: only those in flight at the outage may have given up, never the queue.
        done = [j for j in final["jobs"] if j["status"] == "done"]
        assert len(done) >= len(final["jobs"]) - IN_FLIGHT_MAX, failed

        # New work flows again, events included (the API's Socket.IO listener reconnected to Redis).
        again = submit(url, [("after.wav", wav_bytes(seconds=2.0, seed=2101))])
        assert listener.subscribe({"batch_id": again["batch_id"]})["ok"]
        new_job = again["jobs"][0]["job_id"]
        listener.wait(
            lambda ls: any(d["job_id"] == new_job for d in ls.of("job.done")), what="job.done after"
        )
    finally:
        listener.close()
        ensure_redis(stack)


def test_redis_restarted_three_times_in_a_row_the_worker_keeps_serving(stack: Stack, url: str) -> None:
    """Quick successive restarts (a failover, a flapping host): kombu once stopped the worker here
    with an AttributeError while giving its unacknowledged messages back (worker/broker.py)."""
    check_quick_restarts(stack, url, seed=2300, in_flight_max=IN_FLIGHT_MAX)


def test_a_frozen_redis_gives_503_not_a_hang(stack: Stack, url: str) -> None:
    """SIGSTOP: connections stay open but nothing answers (a network partition, a stuck host)."""
    batch = submit(url, [("x.wav", wav_bytes(seconds=1.0, seed=2200))])
    job_id = batch["jobs"][0]["job_id"]
    assert stack.redis_proc is not None
    stack.redis_proc.send_signal(signal.SIGSTOP)
    try:
        r, took = timed(lambda: requests.get(f"{url}/api/v1/jobs/{job_id}", headers=auth(), timeout=30))
        assert_unavailable(r)
        assert took < HANG_LIMIT_S
    finally:
        stack.redis_proc.send_signal(signal.SIGCONT)
    assert wait_batch(url, batch["batch_id"])["status"] == "done"
    assert get(url, f"/api/v1/jobs/{job_id}")["status"] == "done"
