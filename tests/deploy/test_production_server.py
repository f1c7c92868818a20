"""The production layout for real: deploy/nginx.conf in front of gunicorn's gevent replica and the
threaded bulk tier, on loopback, with a private Redis (no workers: nothing here runs an analysis)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import requests
import socketio
import soundfile as sf

from scripts.run_stack import free_port, start_redis, stop, stop_all
from tests.conftest import share_ask_vectors

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "deploy-test-token-0123456789"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
GUNICORN = [sys.executable, "-m", "gunicorn", "deploy.wsgi:app"]

pytestmark = pytest.mark.integration


@dataclass
class Layout:
    proxy: str
    live: str
    bulk: str


def _wait_http(url: str, procs: list[subprocess.Popen[bytes]], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"a server exited with {proc.returncode}"
        try:
            if requests.get(f"{url}/health", timeout=5).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer /health within {timeout_s} s")


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    root = tmp_path_factory.mktemp("deploy")
    redis_port = free_port()
    procs: list[subprocess.Popen[bytes]] = [start_redis(root / "redis", port=redis_port, appendonly=False)]
    env = dict(os.environ)
    env.update(
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        CODETTE_DATA_DIR=str(share_ask_vectors(root / "data")),
        CODETTE_API_TOKENS=f"alice:{TOKEN}",
        PYTHONUNBUFFERED="1",
    )
    live_port, bulk_port, proxy_port = free_port(), free_port(), free_port()
    log = open(root / "servers.log", "ab")  # noqa: SIM115 - closed below
    try:
        for conf, port in (("gunicorn.conf.py", live_port), ("gunicorn-bulk.conf.py", bulk_port)):
            cmd = [*GUNICORN, "-c", f"deploy/{conf}", "--bind", f"127.0.0.1:{port}"]
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
            procs.append(proc)
        prefix = root / "nginx"
        prefix.mkdir()
        prefix.chmod(0o777)  # nginx's workers (user nobody) write buffered bodies here
        for parent in (root, *root.parents):
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        (prefix / "nginx.conf").write_text(conf.replace("listen 8080;", f"listen 127.0.0.1:{proxy_port};"))
        upstreams = (ROOT / "deploy" / "upstreams.conf").read_text()
        upstreams = upstreams.replace("api:5000", f"127.0.0.1:{live_port}")
        (prefix / "upstreams.conf").write_text(upstreams.replace("api-bulk:5000", f"127.0.0.1:{bulk_port}"))
        cmd = [
            NGINX,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            "stderr",
            "-g",
            "daemon off;",
        ]
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=log))
        urls = Layout(*(f"http://127.0.0.1:{p}" for p in (proxy_port, live_port, bulk_port)))
        _wait_http(urls.live, procs)
        _wait_http(urls.bulk, procs)
        _wait_http(urls.proxy, procs)
        yield urls
    finally:
        # gunicorn's quick shutdown (SIGQUIT), then its whole group: on SIGTERM it waits out
        # graceful_timeout (20 s) for the connections the slow-client tests leave open. nginx and
        # Redis stop on SIGTERM.
        # nginx, then both servers at once, then Redis (procs[0]).
        redis_proc, rest = procs[0], procs[1:]
        servers = [p for p in rest if p.args[: len(GUNICORN)] == GUNICORN]
        stop_all([p for p in rest if p not in servers], timeout_s=30)
        stop_all(servers, sig=signal.SIGQUIT, timeout_s=5)
        stop(redis_proc)
        log.close()


def _wav(seconds: float = 1.0, sr: int = 22_050) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    buf = io.BytesIO()
    sf.write(
        buf, (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32), sr, format="WAV", subtype="PCM_16"
    )
    return buf.getvalue()


def test_health_answers_through_the_proxy_without_naming_versions(layout: Layout) -> None:
    r = requests.get(f"{layout.proxy}/health", timeout=5)
    assert r.status_code == 200 and r.json()["redis"] == "ok"
    assert r.headers.get("Server") == "nginx"  # server_tokens off: no version


def test_metrics_are_served_by_each_server_but_never_through_the_proxy(layout: Layout) -> None:
    direct = requests.get(f"{layout.live}/metrics", timeout=5)
    assert direct.status_code == 200 and "codette_http_requests_total" in direct.text
    assert direct.headers["X-Request-Id"]
    assert requests.get(f"{layout.proxy}/metrics", timeout=5).status_code == 404


def test_socketio_connects_through_the_proxy_and_directly_over_websocket(layout: Layout) -> None:
    """The proxy keeps Host's port (Engine.IO checks Origin against it) and upgrades the connection."""
    for url in (layout.proxy, layout.live):
        client = socketio.Client(reconnection=False)
        try:
            client.connect(url, auth={"token": TOKEN}, transports=["websocket"], wait_timeout=10)
            assert client.connected and client.transport() == "websocket"
        finally:
            client.disconnect()


def test_socketio_long_polling_works_through_the_proxy(layout: Layout) -> None:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(layout.proxy, auth={"token": TOKEN}, transports=["polling"], wait_timeout=10)
        assert client.connected and client.transport() == "polling"
    finally:
        client.disconnect()


def test_an_upload_through_the_proxy_is_stored_by_the_bulk_tier(layout: Layout) -> None:
    data = _wav()
    r = requests.post(
        f"{layout.proxy}/api/v1/blobs",
        files={"file": ("take.wav", data)},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_body_over_the_proxy_limit_is_refused_before_it_is_sent(layout: Layout) -> None:
    port = int(layout.proxy.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            b"POST /api/v1/blobs HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 600000000\r\n\r\n"
        )
        head = s.recv(200)
    assert head.startswith(b"HTTP/1.1 413")


@pytest.mark.slow
def test_a_client_that_never_finishes_its_headers_is_cut_off_by_the_proxy(layout: Layout) -> None:
    """client_header_timeout 10 s: the connection is closed by the proxy, never reaching the API."""
    port = int(layout.proxy.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        s.settimeout(30)
        try:
            got = s.recv(200)  # nginx closes (b"") or answers 408 once the header timeout passes
        except ConnectionResetError:
            got = b""
    assert got == b"" or got.startswith(b"HTTP/1.1 408")
