"""A private, breakable stack for resilience tests: its own Redis (append-only, on its own data dir),
real Celery workers and real API processes, each of which a test may kill, stop or restart.

Unlike the session-wide fixtures in tests/conftest.py, nothing here is shared between test modules:
a test that SIGKILLs a worker or stops Redis never disturbs another test's stack.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import redis
import requests

from config import Settings
from scripts.run_stack import api_command, free_port, redis_url, start_redis, stop, stop_all, wait_for_redis
from store.keys import WORKERS as WORKERS_KEY
from tests.conftest import ROOT, TOKENS, share_ask_vectors, stack_env, wav_bytes
from tests.resilience.calls import submit, wait_batch
from tests.resilience.tls import TlsTerminator, tls_url


def wait_until(check: Callable[[], Any], *, what: str, timeout_s: float = 60.0, every_s: float = 0.1) -> Any:
    """Call ``check`` until it returns something truthy; that value, or TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not true after {timeout_s} s")
        time.sleep(every_s)


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (Celery's prefork pool processes), read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """tests.conftest.stack_env plus the limits, so a test's Settings reach the subprocesses."""
    return stack_env(
        settings,
        CODETTE_MAX_UPLOAD_BYTES=str(settings.max_upload_bytes),
        CODETTE_MAX_FILE_BYTES=str(settings.max_file_bytes),
        CODETTE_MAX_FILES_PER_BATCH=str(settings.max_files_per_batch),
        CODETTE_MAX_TRACKS_PER_SESSION=str(settings.max_tracks_per_session),
        CODETTE_MAX_DURATION_S=str(settings.max_duration_s),
        CODETTE_MAX_JSON_BYTES=str(settings.max_json_bytes),
        CODETTE_MAX_ACTIVE_JOBS_PER_USER=str(settings.max_active_jobs_per_user),
        CODETTE_ADMITTED_JOBS_PER_USER=str(settings.admitted_jobs_per_user),
        **extra,
    )


@dataclass
class Stack:
    """One Redis, named workers and API processes, with logs under ``root/logs``."""

    root: Path
    settings: Settings
    redis_port: int = 0
    redis_proc: subprocess.Popen[bytes] | None = None
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    apis: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)  # port -> process
    log_files: list[Path] = field(default_factory=list)
    redis_password: str | None = None
    #: TLS in front of Redis (tests/resilience/tls.py): every process reaches it through rediss://.
    tls: TlsTerminator | None = None

    @classmethod
    def create(
        cls, root: Path, *, redis_password: str | None = None, tls: bool = False, **overrides: Any
    ) -> Stack:
        """A stack under ``root``; ``redis_password`` makes its Redis require one (in every REDIS_URL);
        ``tls`` puts TLS in front of it, and every REDIS_URL is then a certificate-checking rediss://."""
        root.mkdir(parents=True, exist_ok=True)
        (root / "logs").mkdir(exist_ok=True)
        port = free_port()
        terminator = TlsTerminator(port).start() if tls else None
        base = Settings(
            redis_url=(
                redis_url(port, redis_password)
                if terminator is None
                else tls_url(terminator.port, redis_password)
            ),
            data_dir=share_ask_vectors(root / "data"),
            api_tokens=dict(TOKENS),
            worker_concurrency=1,
            task_soft_time_limit_s=10,
            task_time_limit_s=12,
            visibility_timeout_s=15,
        )
        stack = cls(
            root=root,
            settings=replace(base, **overrides),
            redis_port=port,
            redis_password=redis_password,
            tls=terminator,
        )
        stack.start_redis()
        return stack

    # --- Redis ------------------------------------------------------------------------------

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.require_redis_url(), decode_responses=True,
                                    socket_connect_timeout=2, socket_timeout=10)  # fmt: skip

    def start_redis(self) -> None:
        """Start (or restart) Redis on the same port and data dir, append-only."""
        self.redis_proc = start_redis(
            self.root / "redis", port=self.redis_port, appendonly=True, password=self.redis_password
        )

    def stop_redis(self, sig: int = signal.SIGTERM) -> None:
        if self.redis_proc is not None:
            stop(self.redis_proc, sig=sig, timeout_s=10)
            self.redis_proc = None

    # --- workers ----------------------------------------------------------------------------

    def _log(self, name: str) -> Any:
        path = self.root / "logs" / f"{name}.log"
        self.log_files.append(path)
        return open(path, "ab")

    def env(self, **extra: str) -> dict[str, str]:
        return settings_env(self.settings, **extra)

    def start_worker(self, name: str, *, concurrency: int = 1, wait: bool = True) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
            "-Q", "analysis,learning", "-c", str(concurrency), "-n", f"{name}@%h", "--loglevel", "INFO",
            "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        log = self._log(f"worker-{name}")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), stdout=log, stderr=log)
        self.workers[name] = proc
        if wait:
            self.wait_worker(name, concurrency=concurrency)
        return proc

    def wait_worker(self, name: str, *, concurrency: int = 1) -> None:
        proc = self.workers[name]
        client = self.redis()

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"worker {name} exited with {proc.returncode}")
            names = client.zrange(WORKERS_KEY, 0, -1)
            return any(n.startswith(f"{name}@") for n in names) and len(children_of(proc.pid)) >= concurrency

        try:
            wait_until(ready, what=f"worker {name}", timeout_s=60)
        finally:
            client.close()

    def pool_children(self, name: str) -> list[int]:
        return children_of(self.workers[name].pid)

    def stop_worker(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.workers.pop(name)
        stop(proc, sig=sig, timeout_s=30)

    # --- API processes ----------------------------------------------------------------------

    def start_api(self, *, port: int | None = None, tokens: Mapping[str, str] | None = None) -> str:
        port = port or free_port()
        settings = self.settings if tokens is None else replace(self.settings, api_tokens=dict(tokens))
        env = settings_env(settings, PORT=str(port), CODETTE_HOST="127.0.0.1")
        log = self._log(f"api-{port}")
        cmd = api_command(replace(settings, host="127.0.0.1", port=port))  # `make run`'s server
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        self.apis[port] = proc
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"API on {port} exited with {proc.returncode}")
            try:
                return requests.get(url + "/health", timeout=2).status_code in (200, 503)
            except (requests.ConnectionError, requests.Timeout):  # gunicorn listens before its app loads
                return False

        wait_until(up, what=f"API on port {port}", timeout_s=30)
        return url

    def stop_api(self, url: str, sig: int = signal.SIGTERM) -> int:
        port = int(url.rsplit(":", 1)[1])
        stop(self.apis.pop(port), sig=sig, timeout_s=10)
        return port

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_files if p.exists())

    def close(self) -> None:
        # the APIs (no new work), then the workers, then Redis; each group at once (stop_all)
        apis, self.apis = list(self.apis.values()), {}
        stop_all(apis, timeout_s=10)
        workers, self.workers = list(self.workers.values()), {}
        stop_all(workers, sig=signal.SIGTERM, timeout_s=30)
        self.stop_redis()
        if self.tls is not None:
            self.tls.close()


def ensure_redis(stack: Stack) -> None:
    """Restart Redis if a failed test left it stopped."""
    if stack.redis_proc is None or stack.redis_proc.poll() is not None:
        stack.start_redis()
    wait_for_redis(stack.settings.require_redis_url())


def check_quick_restarts(stack: Stack, url: str, *, seed: int, in_flight_max: int) -> None:
    """Redis stopped and started three times within a few seconds while 12 analyses are queued: the
    worker "w1" must still be running, all but the ``in_flight_max`` jobs in flight must finish, and
    new work must flow (worker/broker.py: kombu once stopped the worker here)."""
    worker = stack.workers["w1"]
    files = [(f"r{i}.wav", wav_bytes(seconds=45.0, seed=seed + i, channels=1)) for i in range(12)]
    batch = submit(url, files)
    try:
        for pause_s in (0.5, 1.5, 0.8):
            time.sleep(pause_s)
            stack.stop_redis()
            time.sleep(pause_s)
            stack.start_redis()
    finally:
        ensure_redis(stack)
    final = wait_batch(url, batch["batch_id"], timeout_s=90)
    assert worker.poll() is None, "the worker process stopped"
    done = [j for j in final["jobs"] if j["status"] == "done"]
    assert len(done) >= len(final["jobs"]) - in_flight_max, final["jobs"]
    again = submit(url, [("after.wav", wav_bytes(seconds=2.0, seed=seed + 100))])
    assert wait_batch(url, again["batch_id"])["status"] == "done"
