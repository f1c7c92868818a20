"""Load: many Socket.IO clients subscribed while many jobs flow (issue 6), against a private stack.

200 clients (alice and bob alternate), each uploading its own batch, 500 short distinct jobs in all,
two single-process workers and one API process, loopback only. Reports: wall time and jobs/s; the
latency of GET /api/v1/jobs/<id> polled by a separate thread during the run (p50/p95/p99/max; target
p99 < 100 ms); and event correctness: every client must get job.done for each of its own jobs and
nothing for anyone else's.

Usage: ``python -m bench service_load`` (env BENCH_CLIENTS=200, BENCH_JOBS=500, BENCH_JOB_S=0.5).
Uses the resilience suite's stack helper (tests/resilience/stack.py); everything it starts is stopped.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.conftest import auth, wav_bytes
from tests.resilience.calls import Listener, close_all, submit
from tests.resilience.stack import Stack

TARGET_P99_MS = 100.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _poll_latency(url: str, job_ids: list[str], stop: threading.Event, out: list[float]) -> None:
    session = requests.Session()
    rng = random.Random(6)
    while not stop.is_set():
        if not job_ids:
            time.sleep(0.01)
            continue
        job_id = rng.choice(job_ids)
        started = time.perf_counter()
        r = session.get(f"{url}/api/v1/jobs/{job_id}", headers=auth(), timeout=10)
        out.append((time.perf_counter() - started) * 1000)
        assert r.status_code in (200, 404)  # alice polls; half the jobs are bob's
        time.sleep(0.005)


def main() -> None:
    n_clients = int(os.environ.get("BENCH_CLIENTS", "200"))
    n_jobs = int(os.environ.get("BENCH_JOBS", "500"))
    job_s = float(os.environ.get("BENCH_JOB_S", "0.5"))
    stack = Stack.create(Path(tempfile.mkdtemp(prefix="codette-load-")), max_files_per_batch=64)
    listeners: list[Listener] = []
    try:
        stack.start_worker("w1", wait=False)
        stack.start_worker("w2", wait=False)
        stack.wait_worker("w1")
        stack.wait_worker("w2")
        url = stack.start_api()
        shares = [n_jobs // n_clients + (1 if c < n_jobs % n_clients else 0) for c in range(n_clients)]
        files = [[(f"c{c}-{k}.wav", wav_bytes(seconds=job_s, seed=100_000 + c * 100 + k)) for k in range(n)]
                 for c, n in enumerate(shares)]  # fmt: skip
        users = [("alice", "bob")[c % 2] for c in range(n_clients)]
        with ThreadPoolExecutor(16) as pool:
            listeners = list(pool.map(lambda c: Listener(url, user=users[c]).connect(), range(n_clients)))
        print(f"{n_clients} clients connected; submitting {n_jobs} jobs of {job_s} s", flush=True)

        alice_jobs: list[str] = []
        latencies: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(target=_poll_latency, args=(url, alice_jobs, stop, latencies), daemon=True)
        poller.start()
        own: list[set[str]] = [set() for _ in range(n_clients)]
        started = time.perf_counter()

        def launch(c: int) -> None:
            batch = submit(url, files[c], user=users[c])
            own[c] = {j["job_id"] for j in batch["jobs"]}
            if users[c] == "alice":
                alice_jobs.extend(own[c])
            ack = listeners[c].subscribe({"batch_id": batch["batch_id"]})
            assert ack["ok"], ack

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(launch, range(n_clients)))
        submitted = time.perf_counter() - started
        for c, listener in enumerate(listeners):
            listener.wait(lambda ls, mine=own[c]: mine <= {d["job_id"] for d in ls.of("job.done")},
                          what=f"client {c}: its job.done events", timeout_s=600)  # fmt: skip
        wall = time.perf_counter() - started
        stop.set()
        poller.join(5)

        foreign = sum(
            1
            for c, ls in enumerate(listeners)
            for e, d in ls.events
            if "job_id" in d and d["job_id"] not in own[c]
        )
        missing = sum(
            len(own[c] - {d["job_id"] for d in ls.of("job.done")}) for c, ls in enumerate(listeners)
        )
        events = sum(len(ls.events) for ls in listeners)
        p99 = _percentile(latencies, 0.99)
        print(
            f"jobs: {n_jobs} in {wall:.1f} s ({n_jobs / wall:.1f} jobs/s;"
            f" all submitted after {submitted:.1f} s)"
        )
        print(
            f"events delivered: {events}; missing job.done: {missing};"
            f" events for another client's jobs: {foreign}"
        )
        print(
            f"GET /api/v1/jobs/<id> during the run: n={len(latencies)}"
            f" p50={statistics.median(latencies):.1f} ms"
            f" p95={_percentile(latencies, 0.95):.1f} ms p99={p99:.1f} ms max={max(latencies):.1f} ms"
            f" (target p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'})"
        )
    finally:
        close_all(listeners)
        stack.close()


if __name__ == "__main__":
    main()
