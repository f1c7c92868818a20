"""Nothing on the broker or the Socket.IO channel is ever unpickled: a pickle that would create a
marker file is put on both with redis-py, and the marker never appears while work goes on."""

from __future__ import annotations

import base64
import json
import pickle
import time
import uuid
from pathlib import Path

import pytest

from config import ANALYSIS_QUEUE
from service.messages import TASK_ANALYZE_TRACK
from tests.conftest import wav_bytes
from tests.resilience.calls import Listener, submit
from tests.resilience.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Payload:
    """Unpickling this opens (creates) ``marker``: proof that a pickle was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def kombu_message(body: bytes, *, content_type: str, task: str = TASK_ANALYZE_TRACK) -> str:
    """A message as kombu's Redis transport stores it in the queue's list."""
    task_id = str(uuid.uuid4())
    return json.dumps({
        "body": base64.b64encode(body).decode(),
        "content-encoding": "binary",
        "content-type": content_type,
        "headers": {"lang": "py", "task": task, "id": task_id, "root_id": task_id, "retries": 0,
                    "argsrepr": "()", "kwargsrepr": "{}", "origin": "attacker"},
        "properties": {"correlation_id": task_id, "reply_to": "", "delivery_mode": 2, "priority": 0,
                       "delivery_info": {"exchange": ANALYSIS_QUEUE, "routing_key": ANALYSIS_QUEUE},
                       "body_encoding": "base64", "delivery_tag": str(uuid.uuid4())},
    })  # fmt: skip


@pytest.fixture(scope="module")
def stack(make_stack) -> Stack:
    stack: Stack = make_stack()
    stack.start_worker("w1")
    return stack


def test_a_pickled_task_message_is_rejected_not_executed(stack: Stack, tmp_path: Path) -> None:
    marker = tmp_path / "celery-pickle-ran"
    client = stack.redis()
    try:
        for task in (TASK_ANALYZE_TRACK, "celery.chord_unlock"):
            body = pickle.dumps(Payload(marker))
            client.lpush(ANALYSIS_QUEUE, kombu_message(body, content_type="application/x-python-serialize",
                                                       task=task))  # fmt: skip
        wait_until(lambda: client.llen(ANALYSIS_QUEUE) == 0 and client.hlen("unacked") == 0,
                   what="the hostile messages consumed", timeout_s=30)  # fmt: skip
    finally:
        client.close()
    url = stack.start_api()
    batch = submit(url, [("after.wav", wav_bytes(seconds=1.0, seed=81))])
    listener = Listener(url).connect()
    try:
        listener.subscribe({"batch_id": batch["batch_id"]})
        listener.wait(lambda ls: bool(ls.of("batch.done")), what="the worker still works")
    finally:
        listener.close()
        stack.stop_api(url)
    assert not marker.exists(), "a pickled message was executed"
    assert "ContentDisallowed" in stack.logs() or "disallowed" in stack.logs().lower()


def test_a_pickle_on_the_socketio_channel_is_ignored(stack: Stack, tmp_path: Path) -> None:
    marker = tmp_path / "socketio-pickle-ran"
    url = stack.start_api()
    listener = Listener(url).connect()
    client = stack.redis()
    try:
        # the API's Socket.IO queue listener subscribes in a background thread: wait for it
        wait_until(lambda: client.pubsub_numsub(stack.settings.socketio_channel)[0][1] >= 1,
                   what="the API subscribed to the Socket.IO channel", timeout_s=20)  # fmt: skip
        receivers = client.publish(stack.settings.socketio_channel, pickle.dumps(Payload(marker)))
        assert receivers >= 1  # the API process is listening on that channel
        time.sleep(0.5)
        batch = submit(url, [("after2.wav", wav_bytes(seconds=1.0, seed=82))])
        listener.subscribe({"batch_id": batch["batch_id"]})
        listener.wait(lambda ls: bool(ls.of("batch.done")), what="events still delivered")
    finally:
        client.close()
        listener.close()
    assert not marker.exists(), "a pickled Socket.IO queue message was executed"
