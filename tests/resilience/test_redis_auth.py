"""Redis with a password (issue 14): a local process without it can neither read keys nor publish an
event a client receives; `make run` generates the password, keeps it in the data directory (0600) and
every process uses it; the data directory, blobs and the append-only file are the service user's alone.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry

from scripts.run_stack import PASSWORD_FILE, free_port, stop
from service.messages import job_room
from tests.conftest import ROOT, wav_bytes
from tests.resilience.calls import Listener, submit
from tests.resilience.stack import Stack, wait_until

pytestmark = [pytest.mark.integration]


def forged_done(job_id: str) -> str:
    """A job.done for ``job_id`` exactly as python-socketio's Redis manager publishes an emit."""
    data = {"job_id": job_id, "result": {"forged": True}}
    return json.dumps({"method": "emit", "event": "job.done", "data": data, "namespace": "/",
                       "room": job_room(job_id), "skip_sid": None, "callback": None,
                       "host_id": uuid.uuid4().hex})  # fmt: skip


def no_password(port: int) -> redis.Redis:
    """A local client without the password (and without redis-py's retries, which only cost time)."""
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, retry=Retry(NoBackoff(), 0))


def refused(call) -> bool:  # type: ignore[no-untyped-def]
    try:
        call()
    except (redis.AuthenticationError, redis.ResponseError) as exc:
        return (
            "NOAUTH" in str(exc) or "Authentication" in str(exc) or isinstance(exc, redis.AuthenticationError)
        )
    return False


def test_without_the_password_nothing_is_read_and_no_event_reaches_a_client(make_stack) -> None:
    stack: Stack = make_stack(redis_password=uuid.uuid4().hex)
    url = stack.start_api()
    listener = Listener(url).connect()
    try:
        batch = submit(url, [("a.wav", wav_bytes(seconds=0.5, seed=9))])  # no worker: the job stays queued
        job_id = batch["jobs"][0]["job_id"]
        assert listener.subscribe({"job_id": job_id})["ok"]
        channel = stack.settings.socketio_channel

        stranger = no_password(stack.redis_port)
        assert refused(lambda: stranger.keys("codette:*"))
        assert refused(lambda: stranger.hgetall(f"codette:job:{job_id}"))
        assert refused(lambda: stranger.publish(channel, forged_done(job_id)))
        assert refused(stranger.ping)
        stranger.close()
        time.sleep(1.0)
        assert not listener.of("job.done"), listener.events

        # Control: the same message with the password does reach the client (the channel is right).
        insider = stack.redis()
        wait_until(lambda: insider.pubsub_numsub(channel)[0][1] >= 1, what="the API subscribed", timeout_s=20)
        assert insider.publish(channel, forged_done(job_id)) >= 1
        listener.wait(lambda ls: len(ls.of("job.done")) == 1, what="the control event", timeout_s=10)
        insider.close()
    finally:
        listener.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_run_generates_a_password_every_process_uses_and_keeps_its_files_private(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = dict(os.environ, PORT=str(port), CODETTE_DATA_DIR=str(data), CODETTE_API_TOKENS="tester:t0ken-x",
               CODETTE_WORKER_CONCURRENCY="1")  # fmt: skip
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "scripts.run_stack"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    output: list[str] = []

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line.decode(errors="replace"))

    threading.Thread(target=drain, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                r = requests.get(f"{url}/health", timeout=2)
            except (requests.ConnectionError, requests.Timeout):  # gunicorn listens before its app loads
                return False
            return r.status_code == 200 and r.json()["workers"] >= 1

        wait_until(up, what="make run's stack with a worker", timeout_s=90, every_s=0.3)
        printed = "".join(output)
        redis_port = int(re.search(r"Redis: redis://127\.0\.0\.1:(\d+)/0", printed).group(1))  # type: ignore[union-attr]
        password = (data / PASSWORD_FILE).read_text().strip()
        assert len(password) >= 32 and password not in printed
        assert mode(data / PASSWORD_FILE) == 0o600 and mode(data) == 0o700

        stranger = no_password(redis_port)
        assert refused(lambda: stranger.keys("*"))
        assert refused(lambda: stranger.publish("codette-socketio", "{}"))
        stranger.close()
        insider = redis.Redis(host="127.0.0.1", port=redis_port, password=password, socket_timeout=5)
        assert insider.ping()
        insider.close()

        auth = {"Authorization": "Bearer t0ken-x"}
        files = [("files", ("x.wav", wav_bytes(seconds=0.5, seed=8)))]
        r = requests.post(f"{url}/api/v1/analyses", files=files, headers=auth, timeout=30)
        assert r.status_code == 202, r.text
        job_id = r.json()["jobs"][0]["job_id"]

        def finished() -> bool:
            body = requests.get(f"{url}/api/v1/jobs/{job_id}", headers=auth, timeout=5).json()
            return body["status"] == "done"

        wait_until(finished, what="the job done by the worker (through the password)", timeout_s=60)
        stored = [p for p in data.rglob("*") if p.is_file()]
        dirs = [p for p in data.rglob("*") if p.is_dir()]
        assert any("blobs" in p.parts for p in stored) and any("appendonly" in p.name for p in stored)
        assert all(mode(p) == 0o600 for p in stored), {
            str(p): oct(mode(p)) for p in stored if mode(p) != 0o600
        }
        assert all(mode(p) == 0o700 for p in dirs), {str(p): oct(mode(p)) for p in dirs if mode(p) != 0o700}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            stop(proc, sig=signal.SIGKILL)
