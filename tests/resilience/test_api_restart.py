"""An API process restarted mid-batch: Socket.IO clients reconnect and subscribe again, the snapshot
replays what they missed, and REST has the complete state."""

from __future__ import annotations

import time

import pytest

from tests.conftest import wav_bytes
from tests.resilience.calls import Listener, submit, wait_batch
from tests.resilience.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_clients_reconnect_after_an_api_restart_and_miss_nothing(make_stack) -> None:
    stack: Stack = make_stack()
    stack.start_worker("w1", concurrency=2)
    url = stack.start_api()
    listener = Listener(url, reconnection=True).connect()
    try:
        batch = submit(
            url, [(f"t{i}.wav", wav_bytes(seconds=20.0, seed=4000 + i, channels=1)) for i in range(12)]
        )
        job_ids = {j["job_id"] for j in batch["jobs"]}
        assert listener.subscribe({"batch_id": batch["batch_id"]})["ok"]
        port = stack.stop_api(url)  # mid-batch: the workers go on, their events reach no one
        time.sleep(1.0)
        assert stack.start_api(port=port) == url
        listener.wait(lambda ls: ls.connects >= 2, what="the client reconnected", timeout_s=30)
        listener.wait(lambda ls: job_ids <= {d["job_id"] for d in ls.of("job.done")},
                      what="job.done (live or replayed) for every job")  # fmt: skip
        assert all(ack["ok"] for ack in listener.acks), listener.acks
        final = wait_batch(url, batch["batch_id"])
        assert final["finished"] == final["total"] == 12
        assert all(j["status"] == "done" for j in final["jobs"])
    finally:
        listener.close()
