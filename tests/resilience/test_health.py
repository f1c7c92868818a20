"""GET /health answers within a second in every state of Redis: up (200), frozen by SIGSTOP (503),
gone (503), and back (200) (issue 14: a load balancer with a short check timeout never sees a hang)."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from tests.resilience.stack import Stack, ensure_redis, wait_until

pytestmark = [pytest.mark.integration]

WITHIN_S = 1.0


def timed_health(url: str) -> tuple[int, float, dict[str, object]]:
    started = time.monotonic()
    r = requests.get(f"{url}/health", timeout=10)
    return r.status_code, time.monotonic() - started, r.json()


def test_health_answers_within_a_second_with_redis_up_frozen_gone_and_back(make_stack) -> None:
    stack: Stack = make_stack()
    url = stack.start_api()
    status, elapsed, body = timed_health(url)
    assert status == 200 and body["redis"] == "ok" and body["stale_jobs"] == 0, body
    assert elapsed < WITHIN_S

    assert stack.redis_proc is not None
    pid = stack.redis_proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        frozen = [timed_health(url) for _ in range(3)]
    finally:
        os.kill(pid, signal.SIGCONT)
    assert all(s == 503 and b["redis"] == "unavailable" for s, _, b in frozen), frozen
    slowest = max(e for _, e, _ in frozen)
    assert slowest < WITHIN_S, f"/health took {slowest:.2f} s with Redis frozen"
    wait_until(lambda: timed_health(url)[0] == 200, what="/health back to 200 after SIGCONT", timeout_s=30)

    stack.stop_redis(signal.SIGKILL)
    try:
        gone = [timed_health(url) for _ in range(3)]
    finally:
        ensure_redis(stack)
    assert all(s == 503 for s, _, _ in gone), gone
    assert max(e for _, e, _ in gone) < WITHIN_S
    wait_until(lambda: timed_health(url)[0] == 200, what="/health back to 200 after a restart", timeout_s=30)
    print(f"/health with Redis frozen: {slowest:.3f} s at most; gone: {max(e for _, e, _ in gone):.3f} s")
