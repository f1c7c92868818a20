"""Many hosts (issue 13): two workers with separate data directories and no shared filesystem, one
SeaweedFS S3 server, Redis and the API. A 10-track batch and a session's analysis and re-analysis
finish; the workers read audio only from the object store; killing one worker (its whole process
tree, as when its host dies) in the middle of the batch loses nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from scripts.run_stack import free_port
from store.keys import RETENTION_LEASE
from tests.conftest import ROOT, auth, wav_bytes
from tests.resilience.calls import get, wait_batch
from tests.resilience.stack import Stack, children_of, wait_until
from tests.s3_server import S3Server, s3_server_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRACKS, SECONDS = 10, 6.0


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = s3_server_or_skip(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


def start_worker_on_host(
    stack: Stack, name: str, host_dir: Path, *, metrics_port: int
) -> subprocess.Popen[bytes]:
    """A worker whose CODETTE_DATA_DIR is its own directory: another host, as far as files go."""
    env = stack.env()
    env.update(CODETTE_DATA_DIR=str(host_dir), CODETTE_WORKER_METRICS_PORT=str(metrics_port))
    cmd = [
        sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "-Q", "analysis,learning",
        "-c", "1", "-n", f"{name}@%h", "--loglevel", "INFO", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    log_path = stack.root / "logs" / f"worker-{name}.log"
    stack.log_files.append(log_path)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
    stack.workers[name] = proc
    return proc


def kill_host(stack: Stack, name: str) -> None:
    """SIGKILL a worker and its pool processes at once: nothing runs its shutdown."""
    proc = stack.workers.pop(name)
    for pid in [*children_of(proc.pid), proc.pid]:
        os.kill(pid, signal.SIGKILL)
    proc.wait(10)


def files_under(path: Path) -> set[str]:
    return {p.name for p in path.rglob("*") if p.is_file()} if path.exists() else set()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of a Prometheus /metrics page: (name, labels) -> value."""
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}  # fmt: skip


def sample(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def log_lines(stack: Stack) -> list[dict[str, Any]]:
    """The workers' JSON log lines (other lines, e.g. Celery's banner, are skipped)."""
    lines = []
    for path in stack.log_files:
        if path.name.startswith("worker-") and path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    lines.append(json.loads(line))
    return lines


def job_field(stack: Stack) -> Callable[[str, str], str]:
    client = stack.redis()

    def read(job_id: str, field: str) -> str:
        return str(client.hget(f"codette:job:{job_id}", field) or "")

    return read


def analyse_session(url: str, session_id: str) -> dict[str, Any]:
    """POST .../analyze, then poll the session's analysis until that job is finished."""
    r = requests.post(f"{url}/api/v1/sessions/{session_id}/analyze", headers=auth(), timeout=10)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]

    def finished() -> dict[str, Any] | None:
        analysis = get(url, f"/api/v1/sessions/{session_id}/analysis")
        done = analysis["job_id"] == job_id and analysis["status"] in ("done", "failed")
        return analysis if done else None

    result: dict[str, Any] = wait_until(finished, what="the session analysis", timeout_s=90, every_s=0.2)
    return result


def test_workers_without_a_shared_filesystem_finish_everything_after_a_host_dies(
    make_stack: Callable[..., Stack], s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)  # reaches the API and worker processes through stack_env
    # A dead worker's message comes back after the visibility timeout: 10 s here (limits below it).
    stack = make_stack(task_soft_time_limit_s=7, task_time_limit_s=8, visibility_timeout_s=10)
    hosts = {name: stack.root / f"host-{name}" for name in ("w1", "w2")}
    metrics_ports = {name: free_port() for name in hosts}
    url = stack.start_api()
    for name, host_dir in hosts.items():
        start_worker_on_host(stack, name, host_dir, metrics_port=metrics_ports[name])
    for name in hosts:
        stack.wait_worker(name)
    field = job_field(stack)
    # Retention runs in the workers (worker/retention.py): one of them took the sweep's lease at start.
    lease = wait_until(lambda: stack.redis().get(RETENTION_LEASE), what="the retention lease", timeout_s=30)
    assert lease.split("@")[0] in hosts

    seeds = range(7100, 7100 + TRACKS)
    files = [(f"stem{seed}.wav", wav_bytes(seconds=SECONDS, seed=seed, channels=1)) for seed in seeds]
    request_id = f"many-hosts-{secrets.token_hex(6)}"
    r = requests.post(f"{url}/api/v1/analyses", files=[("files", f) for f in files],
                      headers={**auth(), "X-Request-Id": request_id}, timeout=60)  # fmt: skip
    assert r.status_code == 202, r.text
    assert r.headers["X-Request-Id"] == request_id
    batch = r.json()
    jobs = [j["job_id"] for j in batch["jobs"]]
    hashes = {j["job_id"]: j["sha256"] for j in batch["jobs"]}

    def running_on_w2() -> str | None:
        running = (j for j in jobs if field(j, "status") == "running")
        return next((j for j in running if field(j, "worker").startswith("w2@")), None)

    # w2 dies with its host while it analyses a track; its message goes back to the queue after the
    # visibility timeout, for w1 or the w2 a supervisor restarts at once on the same host.
    victim = wait_until(running_on_w2, what="a track running on w2", timeout_s=60, every_s=0.05)
    kill_host(stack, "w2")
    start_worker_on_host(stack, "w2", hosts["w2"], metrics_port=metrics_ports["w2"])

    final = wait_batch(url, batch["batch_id"], timeout_s=120)
    assert [j["status"] for j in final["jobs"]] == ["done"] * TRACKS, final
    assert stack.redis().scard(f"codette:batch:{batch['batch_id']}:finished") == TRACKS
    assert field(victim, "status") == "done"

    # The session: three stems from the batch and one new blob; analysed, then analysed again.
    pad = wav_bytes(seconds=SECONDS, seed=7199)
    extra = requests.post(f"{url}/api/v1/blobs", files={"file": ("pad.wav", pad)}, headers=auth(), timeout=30)
    assert extra.status_code == 201, extra.text
    stems = [("kick", hashes[jobs[0]]), ("bass", hashes[jobs[1]]), ("keys", hashes[jobs[2]]),
             ("pad", extra.json()["sha256"])]  # fmt: skip
    doc = {"bpm": 120, "genre": "house",
           "tracks": [{"track_id": t, "name": t, "type": t, "sha256": h} for t, h in stems]}  # fmt: skip
    r = requests.put(f"{url}/api/v1/sessions/song", json=doc, headers=auth(), timeout=10)
    assert r.status_code in (200, 201), r.text
    analyses = [analyse_session(url, "song") for _ in range(2)]
    assert [a["status"] for a in analyses] == ["done", "done"], analyses
    assert all(a["result"]["session_analysis"] is not None for a in analyses)
    assert [t["cached"] for t in analyses[1]["result"]["tracks"]] == [True] * 4

    # Audio only ever came from the object store: no host has a blob directory, the API process wrote
    # none, every stem is in the bucket, and each analysed track's bytes are in the cache of the
    # worker that analysed it (fetched and verified from S3).
    for host_dir in hosts.values():
        assert not (host_dir / "blobs").exists()
    assert not (stack.settings.data_dir / "blobs").exists()
    bucket = boto3.session.Session().client(
        "s3", endpoint_url=s3.endpoint_url, region_name=s3.region,
        aws_access_key_id=s3.access_key_id, aws_secret_access_key=s3.secret_access_key,
    )  # fmt: skip
    listing = bucket.list_objects_v2(Bucket=s3.bucket, Prefix="blobs/")["Contents"]
    assert set(hashes.values()) | {extra.json()["sha256"]} <= {o["Key"].rsplit("/", 1)[-1] for o in listing}
    cached = {name: files_under(host_dir / "blob-cache") for name, host_dir in hosts.items()}
    for job_id in jobs:
        worker = field(job_id, "worker").split("@")[0]
        assert worker in hosts, (job_id, worker)
        assert hashes[job_id] in cached[worker], (job_id, worker, cached)

    # Monitoring: the API's request series; w1's task, retry, queue and cache series; the request id
    # of the upload in the worker log line of every job it queued.
    api = scrape(f"{url}/metrics")
    assert (
        sample(api, "codette_http_requests_total", method="POST", route="/api/v1/analyses", status="202") == 1
    )
    assert sample(api, "codette_http_request_duration_seconds_count", method="POST", route="/api/v1/analyses",
                  status="202") == 1  # fmt: skip
    assert (sample(api, "codette_http_requests_total", method="GET", route="/api/v1/batches/<batch_id>",
                   status="200") or 0) >= 1  # fmt: skip
    w1 = scrape(f"http://127.0.0.1:{metrics_ports['w1']}/metrics")
    done = sample(w1, "codette_tasks_total", task="codette.analyze_track", outcome="done") or 0
    assert done >= 1
    assert (
        sample(w1, "codette_task_duration_seconds_count", task="codette.analyze_track", outcome="done")
        == done
    )
    assert sample(w1, "codette_task_retries_total", task="codette.analyze_track") == 0
    assert sample(w1, "codette_queue_depth", queue="analysis") == 0
    assert sample(w1, "codette_queue_oldest_message_age_seconds", queue="analysis") == 0
    assert (sample(w1, "codette_analysis_cache_lookups_total", result="miss") or 0) >= TRACKS
    assert (sample(w1, "codette_blob_local_copies_total", result="miss") or 0) >= 1
    started = [line for line in log_lines(stack) if line.get("task_name") == "codette.analyze_track"]
    for job_id in jobs:
        mine = [line for line in started if job_id in line["task_args"]]
        assert mine and all(line["request_id"] == request_id for line in mine), (job_id, mine)
