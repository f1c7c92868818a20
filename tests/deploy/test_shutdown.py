"""Stopping an API server with a Socket.IO client connected: the server drops the connection and
exits, instead of waiting out gunicorn's graceful_timeout for a websocket that never ends by itself
(deploy/shutdown.py). Both servers: the production one (gevent, graceful_timeout 20 s) and
`make run`'s (gthread, 5 s)."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio

from config import Settings
from scripts.run_stack import api_command, free_port, start_redis, stop
from tests.conftest import ROOT, TOKENS, share_ask_vectors


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start_redis(tmp_path_factory.mktemp("redis"), port=port, appendonly=False)
    yield f"redis://127.0.0.1:{port}/0"
    stop(proc)


def production(port: int, settings: Settings) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
            "deploy.wsgi:app"]  # fmt: skip


def make_run(port: int, settings: Settings) -> list[str]:
    return api_command(dataclasses.replace(settings, host="127.0.0.1", port=port))


@pytest.mark.parametrize(
    ("command", "graceful_s"), [(production, 20.0), (make_run, 5.0)], ids=["gevent", "gthread"]
)
def test_sigterm_closes_socketio_connections_and_exits_before_the_graceful_timeout(
    command, graceful_s: float, redis_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    settings = Settings(
        redis_url=redis_url, data_dir=share_ask_vectors(tmp_path / "data"), api_tokens=dict(TOKENS)
    )
    tokens = ",".join(f"{u}:{t}" for u, t in TOKENS.items())
    env = dict(os.environ, REDIS_URL=redis_url, CODETTE_DATA_DIR=str(settings.data_dir), PORT=str(port),
               CODETTE_API_TOKENS=tokens, PYTHONUNBUFFERED="1")  # fmt: skip
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command(port, settings), cwd=ROOT, env=env, stdout=log, stderr=log,
                                start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    client = socketio.Client(reconnection=False)
    reasons: list[str] = []
    client.on("disconnect", reasons.append)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/health", timeout=1).status_code in (200, 503):
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        client.connect(url, auth={"token": TOKENS["alice"]}, transports=["websocket"])
        assert client.connected
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=graceful_s + 30)
        took = time.monotonic() - started
        logs = log_path.read_text()
        assert "closing 1 Socket.IO connection(s) before exiting" in logs, logs
        # the behaviour is all or nothing: without the close it is the whole graceful_timeout
        assert took < 0.8 * graceful_s, (took, logs)
        deadline = time.monotonic() + 5
        while client.connected and time.monotonic() < deadline:
            time.sleep(0.1)
        # a dropped transport, which a client reconnects after; not Socket.IO's "server disconnect",
        # which tells it to stay away (tests/resilience/test_api_restart.py reconnects through it)
        assert not client.connected and reasons == [client.reason.TRANSPORT_ERROR], reasons
    finally:
        client.disconnect()
        stop(proc, sig=signal.SIGKILL, timeout_s=5)
