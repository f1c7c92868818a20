"""`make run`'s supervisor: a killed worker is restarted, the API keeps serving, Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests

from config import Settings
from scripts.run_stack import blob_store_words, free_port, stop_all
from tests.conftest import wav_bytes

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> dict[int, str]:
    """Direct children of ``pid`` with their command lines (from /proc)."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True)
    rows = (line.strip().split(maxsplit=1) for line in out.stdout.splitlines() if line.strip())
    return {int(p): args for p, args in rows}


def wait(predicate, *, timeout_s: float = 60.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def health(url: str) -> dict | None:  # type: ignore[type-arg]
    try:
        r = requests.get(f"{url}/health", timeout=2)
    except (requests.ConnectionError, requests.Timeout):  # gunicorn listens before its app loads
        return None
    return dict(r.json()) if r.status_code == 200 else None


def test_a_killed_worker_is_restarted_and_the_service_keeps_serving(tmp_path: Path) -> None:
    port = free_port()
    env = dict(
        os.environ, PORT=str(port), CODETTE_DATA_DIR=str(tmp_path), CODETTE_API_TOKENS="tester:t0ken-x"
    )
    env.pop("REDIS_URL", None)  # make run's own Redis, as a new user gets it
    # Into a file, not a pipe nobody reads until the end: a stack that logs more than the pipe's
    # 64 KB would block on its next line.
    log_path = tmp_path / "stack.log"
    log = log_path.open("wb")
    stack = subprocess.Popen(
        [sys.executable, "-m", "scripts.run_stack"], cwd=ROOT, env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        # Redis, a worker and the API (which loads Ask's model): a minute on an idle machine is
        # plenty; the suite's own load on 2 cores has taken it past that.
        wait(lambda: (h := health(url)) and h["workers"] >= 1, what="the stack to come up", timeout_s=180)
        worker = next(pid for pid, args in children_of(stack.pid).items() if "celery" in args)
        os.kill(worker, signal.SIGKILL)
        # The API keeps answering while the supervisor brings a new worker up.
        assert health(url) is not None
        new = wait(
            lambda: [p for p, a in children_of(stack.pid).items() if "celery" in a and p != worker],
            what="a new worker process",
        )
        assert new and stack.poll() is None
        auth = {"Authorization": "Bearer t0ken-x"}
        r = requests.post(f"{url}/api/v1/analyses", files=[("files", ("x.wav", wav_bytes(seed=7)))],
                          headers=auth, timeout=30)  # fmt: skip
        assert r.status_code == 202, r.text
        job_id = r.json()["jobs"][0]["job_id"]
        done = wait(
            lambda: (
                (j := requests.get(f"{url}/api/v1/jobs/{job_id}", headers=auth, timeout=5).json())["status"]
                in ("done", "failed")
                and j
            ),
            what="the job after the restart",
        )
        assert done["status"] == "done", done
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(timeout=60)
        log.close()
        output = log_path.read_text(errors="replace")
    assert stack.returncode == 0, output
    assert "worker exited with status -9; restarting it" in output
    assert "codette: stopped" in output
    assert f"Audio blobs: local directory {tmp_path / 'blobs'}" in output
    # Nothing is left behind: the API and make run's own Redis are gone with it.
    assert health(url) is None
    redis_url = output.split("(Redis: ", 1)[1].split(";", 1)[0]
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("REDIS_URL", "rediss://:secret@redis.example:6380/0", "ssl_cert_reqs=required"),
        ("CODETTE_MAX_UPLOAD_BYTES", "lots", "CODETTE_MAX_UPLOAD_BYTES='lots' is not an integer"),
    ],
)
def test_a_setting_it_cannot_use_stops_make_run_with_its_name_not_a_traceback(
    tmp_path: Path, name: str, value: str, named: str
) -> None:
    env = {**os.environ, "CODETTE_DATA_DIR": str(tmp_path / "data"), "PORT": str(free_port()), name: value}
    done = subprocess.run([sys.executable, "-m", "scripts.run_stack"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert "secret" not in done.stderr  # the URL, which may hold the password, is never echoed
    assert not (tmp_path / "data").exists()  # nothing started, nothing written


def test_a_port_in_use_stops_make_run_at_once_naming_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CODETTE_DATA_DIR": str(tmp_path / "data"), "PORT": str(port)}
        env.pop("REDIS_URL", None)
        done = subprocess.run([sys.executable, "-m", "scripts.run_stack"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"PORT={port}: 127.0.0.1:{port} is not free" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # nothing started, nothing written


def test_the_banner_names_the_object_store_a_stack_keeps_audio_in(tmp_path: Path) -> None:
    s3 = Settings(data_dir=tmp_path, blob_backend="s3", s3_endpoint="http://minio:9000", s3_bucket="mixes")
    assert blob_store_words(s3) == "S3 bucket 'mixes' at http://minio:9000"
    assert blob_store_words(Settings(data_dir=tmp_path)) == f"local directory {tmp_path / 'blobs'}"


STUBBORN = """
import signal, sys, time
def noted(signum, frame):
    open(sys.argv[1], "w").write(repr(time.monotonic()))
signal.signal(signal.SIGTERM, noted)
open(sys.argv[1] + ".up", "w").close()
time.sleep(120)
"""


def test_stop_all_signals_every_child_before_waiting_and_kills_those_that_ignore_it(tmp_path: Path) -> None:
    """Two children that note SIGTERM and keep running: both are signalled at once (their notes a
    moment apart, not a timeout apart, as stopping them in turn did) and both are killed."""
    notes = [tmp_path / "a", tmp_path / "b"]
    procs = [subprocess.Popen([sys.executable, "-c", STUBBORN, str(n)]) for n in notes]
    wait(lambda: all(Path(f"{n}.up").exists() for n in notes), timeout_s=30, what="children up")
    stop_all(procs, timeout_s=2.0)
    assert [p.returncode for p in procs] == [-signal.SIGKILL, -signal.SIGKILL]
    first, second = (float(n.read_text()) for n in notes)
    assert abs(second - first) < 1.0  # one at a time, the second would be signalled after the first's 2 s
