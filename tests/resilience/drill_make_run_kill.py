"""A drill, run by hand (not collected by pytest): `make run`'s own stack, a 20-job batch, SIGKILL of
the worker's main process mid-batch; prints when every job was done, /health's stale_jobs, and
whether job.done came once each with one batch.done.

    .venv/bin/python -m tests.resilience.drill_make_run_kill

tests/resilience/test_dead_worker.py proves the same on the resilience Stack in the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

from scripts.run_stack import free_port
from tests.conftest import ROOT, TOKENS, auth, wav_bytes
from tests.resilience.calls import Listener
from tests.resilience.stack import children_of, wait_until

JOBS, SECONDS = 20, 20.0


def main() -> int:
    port = free_port()
    data = Path(tempfile.mkdtemp()) / "data"
    env = dict(
        os.environ, PORT=str(port), CODETTE_DATA_DIR=str(data), CODETTE_API_TOKENS=f"alice:{TOKENS['alice']}"
    )
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "scripts.run_stack"]
    stack = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def health() -> dict[str, int]:
        try:
            return dict(requests.get(f"{url}/health", timeout=2).json())
        except (requests.ConnectionError, ValueError):
            return {}

    def batch_state(batch_id: str) -> dict[str, object]:
        return dict(requests.get(f"{url}/api/v1/batches/{batch_id}", headers=auth(), timeout=5).json())

    try:
        wait_until(
            lambda: health().get("workers", 0) >= 1, what="make run's stack", timeout_s=180, every_s=0.3
        )
        listener = Listener(url).connect()
        files = [
            ("files", (f"t{i}.wav", wav_bytes(seconds=SECONDS, seed=7000 + i, channels=1)))
            for i in range(JOBS)
        ]
        created = requests.post(f"{url}/api/v1/analyses", files=files, headers=auth(), timeout=60).json()
        batch_id, job_ids = created["batch_id"], [j["job_id"] for j in created["jobs"]]
        ack = listener.subscribe({"batch_id": batch_id})
        if not ack.get("ok"):
            print("subscribe failed:", ack)
            return 1
        wait_until(lambda: any(j["status"] == "running" for j in batch_state(batch_id)["jobs"]),  # type: ignore[attr-defined]
                   what="a job running", timeout_s=60, every_s=0.05)  # fmt: skip
        worker = next(p for p in children_of(stack.pid) if "celery" in Path(f"/proc/{p}/cmdline").read_text())
        os.kill(worker, signal.SIGKILL)
        killed, stale = time.monotonic(), 0

        def announced() -> bool:  # a job stored done just before the kill is announced on redelivery
            done = {d["job_id"] for d in listener.of("job.done")}
            return set(job_ids) <= done and bool(listener.of("batch.done"))

        while batch_state(batch_id)["status"] != "done" or not announced():
            stale = max(stale, health().get("stale_jobs", 0))
            if time.monotonic() - killed > 300:
                print("not done 300 s after the kill")
                return 1
            time.sleep(0.5)
        done_s = time.monotonic() - killed
        time.sleep(2.0)
        counts = Counter(d["job_id"] for d in listener.of("job.done"))
        once = counts == Counter(dict.fromkeys(job_ids, 1))
        if not once:
            print("job.done counts:", {j: counts.get(j, 0) for j in job_ids}, "events:", len(listener.events))
        print(f"make run, {JOBS} jobs, worker main process SIGKILLed: all done {done_s:.1f} s after the kill;"
              f" /health stale_jobs up to {stale}; job.done once each: {once};"
              f" batch.done: {len(listener.of('batch.done'))}")  # fmt: skip
        listener.close()
        return 0 if once and len(listener.of("batch.done")) == 1 else 1
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(90)


if __name__ == "__main__":
    sys.exit(main())
