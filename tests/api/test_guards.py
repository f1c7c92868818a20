"""What a request may cost, refused before work (api/guards.py, api/schemas.py), and the security headers."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.errors import MalformedJson, ValidationFailed
from api.schemas import MAX_DEPTH, MAX_IMPORT_EVENTS, MAX_ITEMS, loads, too_deep, validate
from config import Settings
from tests.conftest import auth, wav_bytes

JSON = {**auth(), "Content-Type": "application/json"}


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(replace(settings, max_json_bytes=64 * 1024))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def error(response, status: int, code: str | None = None, mentions: str = "") -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json["error"]
    if code:
        assert body["code"] == code, body
    assert mentions in body["message"], body
    return dict(body)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


JSON_ROUTES = [
    ("put", "/api/v1/sessions/s1"),
    ("post", "/api/v1/sessions/s1/context"),
    ("post", "/api/v1/feedback"),
    ("put", "/api/v1/users/me/learning-data"),
    ("post", "/api/v1/ask"),
]


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_deep_nesting_is_a_400_on_every_json_route(client: FlaskClient, method: str, path: str) -> None:
    for depth in (MAX_DEPTH + 1, 30_000):  # 30,000 levels: 60 kB, under the limit
        body = '{"tracks": ' + nested(depth) + "}"
        r = getattr(client, method)(path, data=body, headers=JSON)
        error(r, 400, "malformed_json", mentions="nested more than")


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_a_body_past_the_json_limit_is_a_413_before_it_is_read(
    client: FlaskClient, method: str, path: str
) -> None:
    body = json.dumps({"tracks": [], "genre": "x" * 70_000})
    r = getattr(client, method)(path, data=body, headers=JSON)
    error(r, 413, "payload_too_large", mentions="limit of 65536 bytes")


def test_a_chunked_body_stops_at_the_json_limit(client: FlaskClient) -> None:
    body = io.BytesIO(b'{"tracks": [], "genre": "' + b"x" * 200_000 + b'"}')
    r = client.put("/api/v1/sessions/s1", input_stream=body, headers={**JSON, "Transfer-Encoding": "chunked"},
                   environ_overrides={"wsgi.input_terminated": True})  # fmt: skip
    error(r, 413, "payload_too_large", mentions="JSON limit of 65536 bytes")
    assert body.tell() <= 65536 + 8192  # read up to the limit, not the whole body


def test_non_utf8_json_is_refused(client: FlaskClient) -> None:
    doc = json.dumps({"tracks": []})
    for encoding in ("utf-16", "utf-16-le", "utf-32"):
        r = client.put("/api/v1/sessions/s1", data=doc.encode(encoding), headers=JSON)
        assert r.status_code == 400, (encoding, r.json)
    r = client.put("/api/v1/sessions/s1", data=doc.encode("utf-16"),
                   headers={**auth(), "Content-Type": "application/json; charset=utf-16"})  # fmt: skip
    error(r, 415, "unsupported_media_type", mentions="utf-16")
    r = client.put("/api/v1/sessions/s1", data=doc.encode(),
                   headers={**auth(), "Content-Type": "application/json; charset=UTF-8"})  # fmt: skip
    assert r.status_code == 201, r.json


def test_every_request_list_has_a_maximum(client: FlaskClient) -> None:
    big = create_app(replace(client.application.extensions["codette"].settings, max_json_bytes=1 << 20))
    track = {"track_id": "t", "sha256": "0" * 64}
    r = big.test_client().put(
        "/api/v1/sessions/s1", json={"tracks": [track] * (MAX_ITEMS + 1)}, headers=auth()
    )
    error(r, 422, mentions=f"$.tracks: {MAX_ITEMS + 1} items; at most {MAX_ITEMS}")
    r = client.post("/api/v1/sessions/s1/context", json={"armed_tracks": ["a"] * 257}, headers=auth())
    error(r, 422, mentions="$.armed_tracks: 257 items; at most 256")
    params = {f"p{i}": 1.0 for i in range(65)}
    body = {"suggestion_id": "s", "kind": "modified", "parameters_after": params}
    error(client.post("/api/v1/feedback", json=body, headers=auth()), 422, mentions="65 fields; at most 64")
    data = {"format": "codette.learning", "version": 1, "user_id": "alice", "profile": {},
            "events": [{}] * (MAX_IMPORT_EVENTS + 1)}  # fmt: skip
    r = big.test_client().put("/api/v1/users/me/learning-data", json=data, headers=auth())
    error(r, 422, mentions=f"$.events: {MAX_IMPORT_EVENTS + 1} items")


def test_a_repeated_form_field_is_a_400(client: FlaskClient) -> None:
    data = {
        "files": [(io.BytesIO(wav_bytes(seconds=0.2, seed=5)), "a.wav")],
        "track_types": ['["kick"]', '["bass"]'],
    }
    r = client.post("/api/v1/analyses", data=data, headers=auth(), content_type="multipart/form-data")
    error(r, 400, "bad_request", mentions="'track_types' was sent 2 times")


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    answers = [client.get("/health"), client.get("/api/v1/jobs/nope", headers=auth()),
               client.get("/api/v1/openapi.json", headers=auth()),
               client.put("/api/v1/sessions/s1", data="[", headers=JSON)]  # fmt: skip
    for r in answers:
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "no-store"
    page = client.get("/")
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_loads_never_raises_past_malformed_json() -> None:
    hostile = [
        b"\xff\xfe{\x00}\x00",
        b"\x80",
        nested(50_000).encode(),
        b'["' + b"[" * 10_000 + b'"]',
        b"NaN",
        b"",
    ]
    for text in hostile:
        with contextlib.suppress(MalformedJson):
            loads(text, what="x")
    assert loads(b'["' + b"[" * 10_000 + b'"]', what="x") == ["[" * 10_000]  # brackets in strings are text
    assert not too_deep('{"a": "[[[[[", "b": [[1]]}', 3) and too_deep('{"a": [[["]"]]]}', 3)


def test_a_deep_payload_that_arrives_parsed_is_refused_without_recursion() -> None:
    deep: list[object] = []
    inner = deep
    for _ in range(100_000):  # as a Socket.IO event could carry it: already parsed
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    with pytest.raises(ValidationFailed, match="nested more than"):
        validate("Subscribe", {"job_id": deep})
    assert validate("Subscribe", {"job_id": "abc"}) == {"job_id": "abc"}
