"""Many clients, many jobs (a small version of bench/bench_service_load.py): every client gets
job.done for each of its own jobs and no event for anyone else's."""

from __future__ import annotations

import pytest

from tests.conftest import wav_bytes
from tests.resilience.calls import Listener, close_all, submit
from tests.resilience.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CLIENTS, JOBS_PER_CLIENT = 20, 2


def test_twenty_clients_forty_jobs_no_cross_talk(make_stack) -> None:
    stack: Stack = make_stack()
    stack.start_worker("w1", concurrency=2)
    url = stack.start_api()
    clients: list[tuple[Listener, set[str], str]] = []
    try:
        for c in range(CLIENTS):
            user = ("alice", "bob")[c % 2]
            listener = Listener(url, user=user).connect()
            files = [
                (f"c{c}-{k}.wav", wav_bytes(seconds=1.0, seed=5000 + c * 10 + k))
                for k in range(JOBS_PER_CLIENT)
            ]
            batch = submit(url, files, user=user)
            assert listener.subscribe({"batch_id": batch["batch_id"]})["ok"]
            clients.append((listener, {j["job_id"] for j in batch["jobs"]}, batch["batch_id"]))
        for listener, own, _ in clients:
            listener.wait(
                lambda ls, own=own: own <= {d["job_id"] for d in ls.of("job.done")}, what="own job.done"
            )
            listener.wait(lambda ls: bool(ls.of("batch.done")), what="own batch.done")
        for listener, own, batch_id in clients:
            seen_jobs = {d["job_id"] for e, d in listener.events if "job_id" in d}
            seen_batches = {d["batch_id"] for e, d in listener.events if e == "batch.done"}
            assert seen_jobs == own and seen_batches == {batch_id}, "an event for someone else's job"
    finally:
        close_all([listener for listener, _, _ in clients])
