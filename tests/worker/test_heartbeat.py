"""worker.heartbeat: a consumer that reconnected to the broker beats as a new instance, so what its
old connection could not give back is returned like a dead worker's (a unit test on a stand-in
worker; tests/resilience exercises the real one)."""

from __future__ import annotations

from types import SimpleNamespace

from worker.heartbeat import Heartbeat


def test_after_a_reconnect_the_worker_beats_as_a_new_instance() -> None:
    consumer = SimpleNamespace(restart_count=0)
    worker = SimpleNamespace(hostname="w1@host", consumer=consumer)
    step = Heartbeat(worker)
    step.instance = "w1@host/1/first"
    step._after_reconnect(worker)  # the first look only records the count
    assert step.instance == "w1@host/1/first"
    step._after_reconnect(worker)
    assert step.instance == "w1@host/1/first"
    consumer.restart_count = 1  # Celery counts each reconnect of the consumer
    step._after_reconnect(worker)
    second = step.instance
    assert second != "w1@host/1/first" and second.startswith("w1@host/")
    step._after_reconnect(worker)
    assert step.instance == second
    consumer.restart_count = 3  # two reconnects between beats: one new instance
    step._after_reconnect(worker)
    assert step.instance not in ("w1@host/1/first", second)


def test_without_a_consumer_yet_nothing_changes() -> None:
    worker = SimpleNamespace(hostname="w1@host", consumer=None)
    step = Heartbeat(worker)
    step.instance = "w1@host/1/first"
    step._after_reconnect(worker)
    assert step.instance == "w1@host/1/first"
