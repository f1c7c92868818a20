"""Direct uploads to object storage through the API (in-process app, real Redis, real SeaweedFS)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from api.app import create_app
from api.blob_uploads import SCHEMAS
from api.openapi import build_openapi
from config import Settings
from tests.api.test_http import assert_error
from tests.conftest import auth
from tests.s3_server import S3Server, s3_server_or_skip

PART = 16 << 20  # the object store's default part size


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = s3_server_or_skip(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture
def client(settings: Settings, s3: S3Server) -> FlaskClient:
    s3_settings = replace(
        settings, blob_backend="s3", s3_endpoint=s3.endpoint_url, s3_bucket=s3.bucket, s3_region=s3.region,
        s3_access_key_id=s3.access_key_id, s3_secret_access_key=s3.secret_access_key,
        s3_prefix=f"t-{secrets.token_hex(4)}/", max_file_bytes=64 << 20, max_upload_bytes=64 << 20,
    )  # fmt: skip
    return create_app(s3_settings).test_client()


def post(client: FlaskClient, path: str, body: dict[str, Any], user: str = "alice") -> Any:
    return client.post(f"/api/v1/blobs/uploads{path}", json=body, headers=auth(user))


def put_parts(upload: dict[str, Any], data: bytes, numbers: dict[int, str]) -> None:
    for number, url in numbers.items():
        chunk = data[(number - 1) * upload["part_bytes"] : number * upload["part_bytes"]]
        requests.put(url, data=chunk, timeout=30).raise_for_status()


def missing(client: FlaskClient, sha256: str, user: str) -> list[str]:
    r = client.post("/api/v1/blobs/missing", json={"sha256": [sha256]}, headers=auth(user))
    assert r.status_code == 200, r.json
    return list(r.json["missing"])


def test_a_presigned_upload_resumed_then_completed_becomes_the_users_blob(client: FlaskClient) -> None:
    data = secrets.token_bytes(PART + 4321)
    sha256 = hashlib.sha256(data).hexdigest()
    r = post(client, "", {"sha256": sha256, "size": len(data)})
    assert r.status_code == 201, r.json
    upload = r.json
    assert len(upload["part_urls"]) == 2 and upload["part_bytes"] == PART
    ref = {k: upload[k] for k in ("sha256", "size", "key", "upload_id")}
    put_parts(upload, data, {1: upload["part_urls"][0]})  # the connection drops after part 1

    assert_error(post(client, "/complete", ref), 422, "upload_incomplete", mentions=f"{PART} of {len(data)}")
    r = post(client, "/parts", {**ref, "part_bytes": upload["part_bytes"]})
    assert r.status_code == 200, r.json
    assert r.json["received_parts"] == [1] and r.json["received_bytes"] == PART
    assert list(r.json["part_urls"]) == ["2"]
    put_parts(upload, data, {2: r.json["part_urls"]["2"]})

    assert_error(post(client, "/complete", ref, user="bob"), 404, "not_found")  # not bob's upload
    assert missing(client, sha256, "alice") == [sha256]
    r = post(client, "/complete", ref)
    assert r.status_code == 201, r.json
    assert r.json == {"sha256": sha256, "size": len(data)}
    assert missing(client, sha256, "alice") == [] and missing(client, sha256, "bob") == [sha256]


def test_bytes_that_are_not_the_announced_ones_are_refused(client: FlaskClient) -> None:
    claimed = hashlib.sha256(b"what the client said it would send").hexdigest()
    sent = secrets.token_bytes(1000)
    upload = post(client, "", {"sha256": claimed, "size": len(sent)}).json
    put_parts(upload, sent, {1: upload["part_urls"][0]})
    ref = {k: upload[k] for k in ("sha256", "size", "key", "upload_id")}
    assert_error(post(client, "/complete", ref), 422, "hash_mismatch", mentions=claimed)
    assert missing(client, claimed, "alice") == [claimed]


def test_limits_and_bad_bodies(client: FlaskClient) -> None:
    sha256 = hashlib.sha256(b"x").hexdigest()
    assert_error(post(client, "", {"sha256": sha256, "size": (64 << 20) + 1}), 413, "file_too_large")
    assert_error(
        post(client, "", {"sha256": "ab" * 10, "size": 1}), 422, "validation_failed", mentions="$.sha256"
    )
    assert_error(post(client, "", {"sha256": sha256, "size": 0}), 422, "validation_failed", mentions="$.size")
    r = client.post("/api/v1/blobs/uploads", data="x", headers=auth(), content_type="text/plain")
    assert_error(r, 415)
    assert_error(
        client.post("/api/v1/blobs/uploads", json={"sha256": sha256, "size": 1}), 401, "unauthorized"
    )


def test_without_the_object_store_direct_uploads_are_a_clear_409(settings: Settings) -> None:
    local = create_app(settings).test_client()
    sha256 = hashlib.sha256(b"x").hexdigest()
    r = local.post("/api/v1/blobs/uploads", json={"sha256": sha256, "size": 1}, headers=auth())
    assert_error(r, 409, "direct_uploads_unavailable", mentions="CODETTE_BLOB_BACKEND=s3")


def test_the_openapi_document_describes_the_routes_and_the_answers_match() -> None:
    doc = build_openapi()
    for path in ("/api/v1/blobs/uploads", "/api/v1/blobs/uploads/parts", "/api/v1/blobs/uploads/complete"):
        assert "post" in doc["paths"][path]
    assert set(SCHEMAS) <= set(doc["components"]["schemas"])
    body = doc["paths"]["/api/v1/blobs/uploads"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/BlobUploadStart"
