"""Message headers (request id, send time) through a real Redis broker, and the queue-age reading."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis

from config import Settings
from service.logs import REQUEST_ID, JsonFormatter, RequestIdFilter, request_id_from
from store.queue_stats import oldest_message_age_s, queue_depth
from worker.queue import connect_queue
from worker.tracing import HEADER_REQUEST_ID, HEADER_SENT_AT

#: A broker database of its own, with no worker consuming it.
BROKER_DB = 9


@pytest.fixture
def broker(settings: Settings, redis_base_url: str) -> Iterator[tuple[Settings, redis.Redis]]:
    client = redis.Redis.from_url(f"{redis_base_url}/{BROKER_DB}", decode_responses=True)
    client.flushdb()
    yield replace(settings, redis_url=f"{redis_base_url}/{BROKER_DB}"), client
    client.flushdb()
    client.close()


def test_a_message_carries_the_request_id_and_its_send_time(broker: tuple[Settings, redis.Redis]) -> None:
    settings, client = broker
    queue = connect_queue(settings)
    token = REQUEST_ID.set("req-abc123")
    try:
        before = time.time()
        queue.analyze_track("job-1", "a" * 64)
    finally:
        REQUEST_ID.reset(token)
    queue.analyze_track("job-2", "b" * 64)  # sent outside any request: no id
    assert queue_depth(client, "analysis") == 2
    oldest, newest = (json.loads(client.lindex("analysis", i)) for i in (-1, 0))
    assert oldest["headers"][HEADER_REQUEST_ID] == "req-abc123"
    assert HEADER_REQUEST_ID not in newest["headers"]
    assert before <= oldest["headers"][HEADER_SENT_AT] <= time.time()
    age = oldest_message_age_s(
        client, "analysis", header=HEADER_SENT_AT, now_s=oldest["headers"][HEADER_SENT_AT] + 42
    )
    assert age == pytest.approx(42.0)
    assert oldest_message_age_s(client, "learning", header=HEADER_SENT_AT, now_s=time.time()) is None


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("codette.task", logging.INFO, __file__, 1, "task %s started", ("x",), None)
    record.task_id = "t-1"
    token = REQUEST_ID.set("req-42")
    try:
        assert RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "task x started" and line["request_id"] == "req-42" and line["task_id"] == "t-1"
    assert request_id_from("client-id_1.2") == "client-id_1.2"
    assert request_id_from("bad id\nwith newline") != "bad id\nwith newline"
    assert len(request_id_from(None)) == 32
