"""Redis over TLS (a managed Redis with in-transit encryption): with a ``rediss://`` REDIS_URL that
checks the server's certificate, the API, the workers, Socket.IO's message queue and the caches all
reach Redis through TLS; and the broker keeps worker/broker.py's guarded transport there too, so a
worker survives Redis restarting several times in a row behind its TLS endpoint."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import wav_bytes
from tests.resilience.calls import Listener, submit, wait_batch
from tests.resilience.stack import Stack, check_quick_restarts

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKER_PROCESSES = 2
IN_FLIGHT_MAX = 2 * WORKER_PROCESSES


@pytest.fixture(scope="module")
def stack(make_stack) -> Stack:
    stack: Stack = make_stack(tls=True)
    stack.start_worker("w1", concurrency=WORKER_PROCESSES)
    return stack


@pytest.fixture(scope="module")
def url(stack: Stack) -> str:
    return stack.start_api()


def plaintext_ping(port: int) -> bytes:
    """What a client that does not speak TLS gets back from the TLS port for a PING."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        try:
            return sock.recv(64)
        except (ConnectionResetError, TimeoutError):
            return b""


def test_every_process_reaches_redis_over_tls_and_a_track_comes_back(stack: Stack, url: str) -> None:
    assert stack.tls is not None and stack.settings.require_redis_url().startswith("rediss://")
    assert b"PONG" not in plaintext_ping(stack.tls.port)  # the only way in is TLS
    listener = Listener(url).connect()
    try:
        batch = submit(url, [("tls.wav", wav_bytes(seconds=3.0, seed=2400))])
        job_id = batch["jobs"][0]["job_id"]
        assert listener.subscribe({"job_id": job_id})["ok"]
        assert wait_batch(url, batch["batch_id"])["status"] == "done"
        # job.done travelled worker -> Redis (Socket.IO's queue, over TLS) -> API -> this client
        listener.wait(lambda ls: any(d["job_id"] == job_id for d in ls.of("job.done")), what="job.done")
    finally:
        listener.close()
    assert stack.tls.accepted >= 3  # API, worker and this test's client each came in through TLS


def test_over_tls_redis_restarted_three_times_the_worker_keeps_serving(stack: Stack, url: str) -> None:
    """The same restarts that once stopped a worker on plain Redis (worker/broker.py), behind TLS."""
    check_quick_restarts(stack, url, seed=2500, in_flight_max=IN_FLIGHT_MAX)
