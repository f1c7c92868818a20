"""The Python client sends large files straight to object storage (presigned multipart URLs).

A real API (Werkzeug serving the app over HTTP, S3 backend), a real Redis and a real SeaweedFS; the
client reaches the API through a counting proxy, so the test sees that the audio bypassed it.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from api.app import create_app
from client import Codette
from client.rest import ClientError, sha256_file
from config import Settings
from tests.client.test_upload_by_hash import CountingProxy
from tests.conftest import TOKENS, wav_bytes
from tests.s3_server import S3Server, s3_server_or_skip

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = s3_server_or_skip(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


def serve(settings: Settings) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def s3_api(settings: Settings, s3: S3Server) -> Iterator[str]:
    s3_settings = replace(
        settings, blob_backend="s3", s3_endpoint=s3.endpoint_url, s3_bucket=s3.bucket, s3_region=s3.region,
        s3_access_key_id=s3.access_key_id, s3_secret_access_key=s3.secret_access_key,
        s3_prefix=f"t-{secrets.token_hex(4)}/", max_file_bytes=64 << 20, max_upload_bytes=64 << 20,
    )  # fmt: skip
    yield from serve(s3_settings)


@pytest.fixture
def local_api(settings: Settings) -> Iterator[str]:
    yield from serve(settings)


def test_a_large_file_goes_to_object_storage_not_through_the_api(s3_api: str, tmp_path: Path) -> None:
    big = tmp_path / "long take.wav"
    big.write_bytes(wav_bytes(seconds=1.0, seed=7500) + os.urandom(20 << 20))  # two 16 MiB parts
    small = tmp_path / "short.wav"
    small.write_bytes(wav_bytes(seconds=0.5, seed=7501))
    host, port = s3_api.removeprefix("http://").split(":")
    proxy = CountingProxy((host, int(port)))
    try:
        with Codette(proxy.url, TOKENS["alice"], direct_upload_bytes=1 << 20) as codette:
            sent = codette.upload([big, small])
            assert (sent.uploaded, sent.reused) == (2, 0)
            assert codette.api.missing([sha256_file(big), sha256_file(small)]) == []
            assert codette.upload([big, small]).reused == 2
        through_api = proxy.take()
    finally:
        proxy.close()
    # the small file went through the API; the 20 MB one only announced its hash and size
    assert small.stat().st_size < through_api < small.stat().st_size + (256 << 10)


def test_without_an_object_store_the_client_uploads_through_the_api(local_api: str, tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    path.write_bytes(wav_bytes(seconds=1.0, seed=7502))
    with Codette(local_api, TOKENS["alice"], direct_upload_bytes=1) as codette:
        assert codette.upload([path]).uploaded == 1
        assert codette.direct_upload_bytes is None  # learnt from the 409: no second attempt
        assert codette.api.missing([sha256_file(path)]) == []


def test_a_file_over_the_limit_is_refused_by_name_before_any_byte_is_sent(
    s3_api: str, tmp_path: Path
) -> None:
    """A direct upload announces only a hash and a size: the client names the file in the 413."""
    big = tmp_path / "whole album.wav"
    with open(big, "wb") as f:
        f.truncate((64 << 20) + 1)
    with (
        Codette(s3_api, TOKENS["alice"], direct_upload_bytes=1 << 20) as codette,
        pytest.raises(ClientError) as refused,
    ):
        codette.upload([big])
    assert refused.value.code == "file_too_large" and refused.value.status == 413
    message = refused.value.message
    assert message.startswith("whole album.wav: ") and f"limit of 1 to {64 << 20} bytes" in message, message
