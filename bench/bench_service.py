"""The service end to end (issue 3's targets), against a private stack started here.

(1) 16 stems of 180 s through the API with 2 worker processes, wall time from the first upload to
    the last job.done, against the same analyses run serially in this process (target <= 0.6x);
(2) the same session re-analysed unchanged: POST .../analyze to session.done (target < 150 ms);
(3) submit-to-job.done latency of an already-cached track over Socket.IO (target p50 < 20 ms).

Usage: ``python -m bench service`` (env BENCH_STEMS=16, BENCH_STEM_S=180, BENCH_DIR=bench/out).
Only loopback addresses are used; everything started here is stopped at the end.
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import socketio

from bench.music import session_stems, write_mix
from config import load_settings
from scripts.run_stack import api_command, free_port, start_redis, stop, wait_for_redis

ROOT = Path(__file__).resolve().parent.parent
USER = "bench"


class Stack:
    """Redis, two single-process workers (w1, w2) and the API (as `make run` serves it), on free
    loopback ports; ``extra_env`` is added to every process's environment."""

    def __init__(self, data_dir: Path, **extra_env: str) -> None:
        self.token = secrets.token_urlsafe(24)
        redis_port, self.port = free_port(), free_port()
        self.procs: list[subprocess.Popen[bytes]] = [start_redis(data_dir / "redis", port=redis_port)]
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        env = dict(
            os.environ,
            REDIS_URL=self.redis_url,
            PORT=str(self.port),
            CODETTE_DATA_DIR=str(data_dir),
            CODETTE_API_TOKENS=f"{USER}:{self.token}",
            CODETTE_WORKER_CONCURRENCY="1",
            OPENBLAS_NUM_THREADS="1",
            # 16 x 180 s of 24-bit stereo is ~760 MB in one request; the default cap is 512 MiB.
            CODETTE_MAX_UPLOAD_BYTES=str(2 << 30),
            **extra_env,
        )
        logs = open(data_dir / "stack.log", "wb")  # noqa: SIM115 - lives as long as the stack
        for name in ("w1", "w2"):
            cmd = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.celery_app",
                "worker",
                "-Q",
                "analysis,learning",
                "-c",
                "1",
                "-n",
                f"{name}@%h",
                "--loglevel",
                "WARNING",
            ]
            self.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logs, stderr=logs))
        api = api_command(load_settings(env))  # `make run`'s server: gunicorn, one threaded process
        self.procs.append(
            subprocess.Popen(api, cwd=ROOT, env=env, stdout=logs, stderr=logs, start_new_session=True)
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.headers = {"Authorization": f"Bearer {self.token}"}
        wait_for_redis(self.redis_url)
        deadline = time.monotonic() + 180
        while True:
            try:
                health = requests.get(f"{self.url}/health", timeout=2).json()
                # and Ask Codette's model loaded: on a fresh data directory the API embeds its knowledge
                # base once (~30 s of one core), which would be timed as the workers' slowness
                if health.get("workers", 0) >= 2 and health.get("ask", {}).get("ready"):
                    break
            except (requests.ConnectionError, requests.Timeout, ValueError):  # gunicorn listens first
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"stack did not come up; see {data_dir / 'stack.log'}")
            time.sleep(0.2)

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)


class Events:
    """A Socket.IO client that records (time, event, data) and wakes waiters."""

    def __init__(self, stack: Stack) -> None:
        self.log: list[tuple[float, str, Any]] = []
        self.cond = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._on)
        self.client.connect(stack.url, auth={"token": stack.token}, transports=["websocket"], wait_timeout=10)

    def _on(self, event: str, data: Any) -> None:
        with self.cond:
            self.log.append((time.perf_counter(), event, data))
            self.cond.notify_all()

    def subscribe(self, **room: str) -> Any:
        return self.client.call("subscribe", room, timeout=10)

    def wait(self, predicate: Callable[[str, Any], bool], *, since: int = 0, timeout_s: float = 900) -> float:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while True:
                for at, event, data in self.log[since:]:
                    if predicate(event, data):
                        return at
                if not self.cond.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("event did not arrive")


def upload(stack: Stack, paths: list[Path]) -> dict[str, Any]:
    handles = [open(p, "rb") for p in paths]  # noqa: SIM115
    try:
        r = requests.post(
            f"{stack.url}/api/v1/analyses",
            files=[("files", (p.name, h)) for p, h in zip(paths, handles, strict=True)],
            headers=stack.headers,
            timeout=600,
        )
    finally:
        for h in handles:
            h.close()
    r.raise_for_status()
    return dict(r.json())


def wait_jobs(stack: Stack, events: Events, batch: dict[str, Any], mark: int) -> float:
    """Time the last job of ``batch`` finished (events first; REST confirms every job is done)."""
    finished = [
        events.wait(
            lambda e, d, j=job["job_id"]: e in ("job.done", "job.failed") and d.get("job_id") == j, since=mark
        )
        for job in batch["jobs"]
    ]
    for job in batch["jobs"]:
        state = requests.get(
            f"{stack.url}/api/v1/jobs/{job['job_id']}", headers=stack.headers, timeout=30
        ).json()
        if state["status"] != "done":
            raise RuntimeError(f"job {job['job_id']} ended {state['status']}: {state.get('error')}")
    return max(finished)


def main() -> None:
    stems, stem_s, out = session_stems()
    n_stems = len(stems)
    small = write_mix(out / "cached_2s.wav", seconds=2.0, seed=7)
    print(f"{n_stems} stems of {stem_s:.0f} s stereo 44.1 kHz in {out}")

    from core.analysis import analyze

    analyze(str(small))  # warm-up (imports, filter caches), as a long-lived worker is
    start = time.perf_counter()
    for path in stems:
        analyze(str(path))
    serial = time.perf_counter() - start
    print(f"(1) serial, one process: {serial:.2f} s")

    with tempfile.TemporaryDirectory(prefix="codette-bench-") as tmp:
        stack = Stack(Path(tmp))
        try:
            events = Events(stack)
            # Warm both workers' processes with one tiny job each.
            warm = upload(stack, [small, write_mix(out / "warm_2s.wav", seconds=2.0, seed=8)])
            events.subscribe(batch_id=warm["batch_id"])
            wait_jobs(stack, events, warm, 0)

            # As a DAW front end does: one request per stem, 4 in flight, so the workers start on the
            # first stem while the others upload (one 760 MB request would hold every job back).
            mark = len(events.log)
            start = time.perf_counter()

            def submit(path: Path) -> dict[str, Any]:
                one = upload(stack, [path])
                events.subscribe(batch_id=one["batch_id"])
                return one

            with ThreadPoolExecutor(max_workers=4) as pool:
                batches = list(pool.map(submit, stems))
            uploaded = time.perf_counter() - start
            batch = {"jobs": [job for one in batches for job in one["jobs"]]}
            parallel = wait_jobs(stack, events, batch, mark) - start
            print(f"    (uploads done after {uploaded:.2f} s)")
            print(f"(1) API + 2 workers: {parallel:.2f} s   ratio {parallel / serial:.2f}x (target <= 0.6x)")

            # (1b) The same amount of new audio already in the blob store (a DAW re-analysing a
            # session after edits): only the queue and the workers are timed.
            fresh = [
                write_mix(
                    out / f"fresh_{i:02d}_{int(stem_s)}s.wav", seconds=stem_s, bpm=92 + 5 * i, seed=300 + i
                )
                for i in range(n_stems)
            ]
            hashes = []
            for path in fresh:
                with open(path, "rb") as handle:
                    r = requests.post(
                        f"{stack.url}/api/v1/blobs",
                        files={"file": (path.name, handle)},
                        headers=stack.headers,
                        timeout=600,
                    )
                r.raise_for_status()
                hashes.append(r.json()["sha256"])
            fresh_session = {
                "bpm": 120,
                "tracks": [
                    {
                        "track_id": f"f{i}",
                        "name": p.name,
                        "type": "synth",
                        "sha256": h,
                        "volume_db": -6.0,
                        "pan": 0.0,
                        "inserts": [],
                        "muted": False,
                    }
                    for i, (p, h) in enumerate(zip(fresh, hashes, strict=True))
                ],
            }
            requests.put(
                f"{stack.url}/api/v1/sessions/fresh", json=fresh_session, headers=stack.headers, timeout=30
            ).raise_for_status()
            events.subscribe(session_id="fresh")
            mark = len(events.log)
            start = time.perf_counter()
            requests.post(
                f"{stack.url}/api/v1/sessions/fresh/analyze", headers=stack.headers, timeout=30
            ).raise_for_status()
            done = events.wait(
                lambda e, d: e == "session.done" and d.get("session_id") == "fresh", since=mark
            )
            stored = done - start
            print(
                f"(1b) same work, blobs already stored, session analyze -> session.done: {stored:.2f} s   "
                f"ratio {stored / serial:.2f}x"
            )

            session = {
                "bpm": 120,
                "tracks": [
                    {
                        "track_id": f"t{i}",
                        "name": j["name"],
                        "type": "synth",
                        "sha256": j["sha256"],
                        "volume_db": -6.0,
                        "pan": 0.0,
                        "inserts": [],
                        "muted": False,
                    }
                    for i, j in enumerate(batch["jobs"])
                ],
            }
            requests.put(
                f"{stack.url}/api/v1/sessions/bench", json=session, headers=stack.headers, timeout=30
            ).raise_for_status()
            events.subscribe(session_id="bench")
            times = []
            for _ in range(6):
                mark = len(events.log)
                start = time.perf_counter()
                requests.post(
                    f"{stack.url}/api/v1/sessions/bench/analyze", headers=stack.headers, timeout=30
                ).raise_for_status()
                done = events.wait(
                    lambda e, d: e == "session.done" and d.get("session_id") == "bench", since=mark
                )
                times.append(done - start)
            unchanged = statistics.median(times[1:])
            print(
                f"(2) session of {n_stems} unchanged tracks, analyze -> session.done: "
                f"median {unchanged * 1000:.0f} ms"
                f" (first {times[0] * 1000:.0f} ms; target < 150 ms)"
            )

            latencies = []
            for _ in range(30):
                mark = len(events.log)
                start = time.perf_counter()
                one = upload(stack, [small])
                events.subscribe(batch_id=one["batch_id"])
                job_id = one["jobs"][0]["job_id"]
                done = events.wait(
                    lambda e, d, j=job_id: e == "job.done" and d.get("job_id") == j, since=mark
                )
                latencies.append(done - start)
            latencies.sort()
            print(
                f"(3) cached track, submit -> job.done: p50 {statistics.median(latencies) * 1000:.1f} ms  "
                f"p90 {latencies[int(0.9 * len(latencies))] * 1000:.1f} ms (target p50 < 20 ms)"
            )
            events.client.disconnect()
        finally:
            stack.close()


if __name__ == "__main__":
    main()
