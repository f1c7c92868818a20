"""The REST API in-process (Flask test client) against a real Redis; no workers, so jobs stay queued."""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from api.app import create_app
from api.openapi import OPERATIONS, build_openapi
from api.schemas import validate
from config import Settings
from core.suggestions.tempo import MAX_BPM, MIN_BPM
from tests.conftest import auth, wav_bytes


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def upload(client: FlaskClient, *files: tuple[bytes, str], user: str = "alice", **form: str):
    data = {"files": [(io.BytesIO(b), name) for b, name in files], **form}
    return client.post("/api/v1/analyses", data=data, headers=auth(user), content_type="multipart/form-data")


def put_blob(client: FlaskClient, data: bytes, user: str = "alice") -> str:
    r = client.post("/api/v1/blobs", data={"file": (io.BytesIO(data), "x.wav")}, headers=auth(user),
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 201, r.json
    return str(r.json["sha256"])


def assert_error(response, status: int, code: str | None = None, *, mentions: str = "") -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code
    assert mentions in body["error"]["message"]


def test_health_reports_redis_workers_and_queues(client: FlaskClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    validate("Health", r.json)
    assert r.json["redis"] == "ok" and set(r.json["queues"]) == {"analysis", "learning"}
    assert r.json["blobs"] == "ok"


def test_health_is_degraded_and_names_the_blob_store_when_it_cannot_take_uploads(
    settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "unwritable"
    data.mkdir()
    (data / "blobs").write_bytes(b"")  # the blob directory's place is taken by a file
    r = create_app(replace(settings, data_dir=data)).test_client().get("/health")
    assert r.status_code == 200
    validate("Health", r.json)
    assert r.json["status"] == "degraded" and r.json["redis"] == "ok"
    assert r.json["blobs"].startswith("unavailable: blob directory") and "blobs" in r.json["blobs"]


def test_health_is_503_when_redis_is_down(settings: Settings) -> None:
    down = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0")).test_client()
    r = down.get("/health")
    assert r.status_code == 503 and r.json["redis"] == "unavailable"


@pytest.mark.parametrize(
    "op", [op for op in OPERATIONS if not op.public], ids=lambda op: f"{op.method} {op.path}"
)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer "])
def test_every_v1_route_needs_a_valid_bearer_token(client: FlaskClient, op, header: str | None) -> None:
    path = re.sub(r"\{\w+\}", "x", op.path)
    headers = {"Authorization": header} if header else {}
    r = client.open(path, method=op.method.upper(), headers=headers)
    assert_error(r, 401, "unauthorized")
    assert "wrong-token" not in r.get_data(as_text=True)


def test_upload_queues_one_job_per_file_and_only_the_owner_sees_them(client: FlaskClient) -> None:
    r = upload(client, (wav_bytes(seed=1), "kick.wav"), (wav_bytes(seed=2), "bass.wav"),
               track_types='["kick", "bass"]')  # fmt: skip
    assert r.status_code == 202, r.json
    validate("BatchCreated", r.json)
    assert [j["name"] for j in r.json["jobs"]] == ["kick.wav", "bass.wav"]
    assert not any(j["cached"] for j in r.json["jobs"])
    batch_id, job_id = r.json["batch_id"], r.json["jobs"][0]["job_id"]

    batch = client.get(f"/api/v1/batches/{batch_id}", headers=auth())
    assert batch.status_code == 200 and batch.json["status"] == "queued" and batch.json["total"] == 2
    validate("Batch", batch.json)
    job = client.get(f"/api/v1/jobs/{job_id}", headers=auth())
    assert job.json["status"] == "queued" and job.json["track_type"] == "kick"
    validate("Job", job.json)

    assert_error(client.get(f"/api/v1/jobs/{job_id}", headers=auth("bob")), 404, "not_found")
    assert_error(client.get(f"/api/v1/batches/{batch_id}", headers=auth("bob")), 404, "not_found")
    assert_error(client.get("/api/v1/jobs/nope", headers=auth()), 404, "not_found")


def test_identical_uploads_are_stored_once(client: FlaskClient, settings: Settings) -> None:
    data = wav_bytes(seed=3)
    a, b = put_blob(client, data), put_blob(client, data, user="bob")
    assert a == b
    assert [p.name for p in settings.blob_dir.rglob("*") if p.is_file()] == [a]


def test_client_file_names_are_display_names_only(client: FlaskClient, settings: Settings) -> None:
    r = upload(
        client, (wav_bytes(seed=4), "../../etc/\x07pass\x00wd"), (wav_bytes(seed=5), "/abs/..\\.hidden")
    )
    assert r.status_code == 202, r.json
    assert [j["name"] for j in r.json["jobs"]] == ["passwd", "hidden"]
    stored = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert all(p.parent.parent == settings.blob_dir for p in stored)


def test_limits_answer_413_with_a_clear_message(client: FlaskClient, settings: Settings) -> None:
    too_many = [
        (wav_bytes(seed=10 + i, seconds=0.1), f"{i}.wav") for i in range(settings.max_files_per_batch + 1)
    ]
    assert_error(upload(client, *too_many), 413, mentions="at most 4")
    big = b"\0" * (settings.max_file_bytes + 1)
    assert_error(upload(client, (big, "big.wav")), 413, "file_too_large", mentions="big.wav")
    huge = [(b"\0" * (settings.max_file_bytes - 10), f"{i}.wav") for i in range(3)]
    assert_error(upload(client, *huge), 413, "payload_too_large", mentions="upload limit")
    assert not [p for p in settings.blob_dir.rglob("*") if p.is_file()]  # nothing half-written remains


def test_upload_request_errors(client: FlaskClient) -> None:
    r = client.post("/api/v1/analyses", data=b"{}", headers=auth(), content_type="text/plain")
    assert_error(r, 415, "unsupported_media_type")
    r = client.post("/api/v1/analyses", data=b"{}", headers=auth(), content_type="application/json")
    assert_error(r, 422, mentions="tracks")  # JSON names stored blobs by hash: it needs "tracks"
    r = client.post(
        "/api/v1/analyses", data={"other": "x"}, headers=auth(), content_type="multipart/form-data"
    )
    assert_error(r, 400, "bad_request", mentions="files")
    one = (wav_bytes(seed=6), "a.wav")
    assert_error(upload(client, one, track_types="[kick"), 400, "malformed_json", mentions="track_types")
    assert_error(upload(client, one, track_types='["kick", "bass"]'), 422, mentions="2 entries for 1 files")
    assert_error(upload(client, one, track_types="[1]"), 422, mentions="$[0]")
    assert_error(upload(client, one, colour="red"), 422, mentions="colour")


def session_doc(sha256: str, **extra) -> dict:
    track = {"track_id": "t1", "name": "Kick", "type": "kick", "sha256": sha256}
    track.update(volume_db=-3.0, pan=0.0, inserts=["EQ"], muted=False)
    return {"bpm": 120, "genre": "house", "tracks": [track], **extra}


def test_sessions_are_validated_strictly(client: FlaskClient) -> None:
    sha = put_blob(client, wav_bytes(seed=7))
    url = f"/api/v1/sessions/s-{uuid.uuid4().hex}"

    def put(body, content_type="application/json", user="alice"):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return client.put(url, data=data, headers=auth(user), content_type=content_type)

    assert put(session_doc(sha)).status_code == 201
    assert put(session_doc(sha)).status_code == 200
    assert_error(put(session_doc(sha, colour="red")), 422, "validation_failed", mentions="colour")
    bad_pan = session_doc(sha)
    bad_pan["tracks"][0]["pan"] = "left"
    assert_error(put(bad_pan), 422, mentions="$.tracks[0].pan")
    assert_error(put('{"tracks": [}'), 400, "malformed_json")
    assert_error(put('{"tracks": [], "bpm": NaN}'), 400, "malformed_json")
    assert_error(put(session_doc(sha), content_type="text/plain"), 415)
    assert_error(put({"bpm": 120}), 422, mentions="tracks")
    assert_error(put(session_doc("0" * 64)), 422, mentions="$.tracks[0].sha256")
    assert_error(put(session_doc(sha), user="bob"), 422, mentions="sha256")  # alice's blob, not bob's
    twice = session_doc(sha)
    twice["tracks"].append(dict(twice["tracks"][0]))
    assert_error(put(twice), 422, mentions="$.tracks[1].track_id: duplicate")
    many = session_doc(sha)
    many["tracks"] = [dict(many["tracks"][0], track_id=f"t{i}") for i in range(9)]
    assert_error(put(many), 413, mentions="at most 8")
    assert client.get(url, headers=auth()).json["tracks"][0]["sha256"] == sha
    assert_error(client.get(url, headers=auth("bob")), 404)
    assert_error(client.post(url + "/analyze", headers=auth("bob")), 404)
    assert_error(client.get(url + "/analysis", headers=auth()), 404)
    assert_error(client.put("/api/v1/sessions/bad id!", json=session_doc(sha), headers=auth()), 422)


def test_the_openapi_bpm_range_is_the_one_the_server_enforces(client: FlaskClient) -> None:
    """The served document's Session.bpm accepts exactly what PUT accepts: core's tempo range (it
    allowed up to 999 while the server refused anything past 400 with a 422)."""
    doc = client.get("/api/v1/openapi.json", headers=auth()).json
    schema = Draft202012Validator({"$ref": "#/components/schemas/Session", "components": doc["components"]})
    sha = put_blob(client, wav_bytes(seed=9))
    url = f"/api/v1/sessions/s-{uuid.uuid4().hex}"
    for bpm in (MIN_BPM - 10, MIN_BPM - 0.01, MIN_BPM, 120, MAX_BPM, MAX_BPM + 0.01, 500, 999):
        body = session_doc(sha, bpm=bpm)
        documented = schema.is_valid(body)
        status = client.put(url, json=body, headers=auth()).status_code
        assert documented == (status in (200, 201)), (bpm, documented, status)
        assert documented == (MIN_BPM <= bpm <= MAX_BPM), bpm


def test_a_session_is_validated_once_at_put_against_the_one_session_model(client: FlaskClient) -> None:
    """Unknown genre, platform or track type and an out-of-range bpm are 422s naming the field."""
    sha = put_blob(client, wav_bytes(seed=8))
    url = f"/api/v1/sessions/s-{uuid.uuid4().hex}"
    assert_error(
        client.put(url, json=session_doc(sha, genre="polka"), headers=auth()), 422, mentions="$.genre"
    )
    assert_error(client.put(url, json=session_doc(sha, platform="vinyl"), headers=auth()), 422,
                 mentions="$.platform")  # fmt: skip
    assert_error(client.put(url, json=session_doc(sha, bpm=1000), headers=auth()), 422, mentions="bpm")
    bad_type = session_doc(sha)
    bad_type["tracks"][0]["type"] = "theremin"
    assert_error(client.put(url, json=bad_type, headers=auth()), 422, mentions="$.tracks[0].type")
    assert_error(client.get(url, headers=auth()), 404)  # nothing was stored
    assert_error(client.post(url + "/analyze", headers=auth()), 404)  # so nothing can be queued

    r = client.put(url, json=session_doc(sha, platform="spotify"), headers=auth())
    assert r.status_code == 201 and r.json["platform"] == "spotify"
    assert client.get(url, headers=auth()).json["platform"] == "spotify"


def test_openapi_document_matches_the_routes(app: Flask, client: FlaskClient) -> None:
    r = client.get("/api/v1/openapi.json", headers=auth())
    assert r.status_code == 200 and r.json == json.loads(json.dumps(build_openapi()))
    documented = {(m, p) for p, ops in r.json["paths"].items() for m in ops}
    served = {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule == "/health"  # the JSON API, not UI pages
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == served


def test_cors_allows_only_configured_origins(settings: Settings) -> None:
    client = create_app(replace(settings, cors_origins=("https://daw.example",))).test_client()
    ok = client.get("/health", headers={"Origin": "https://daw.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://daw.example"
    other = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options("/api/v1/analyses", headers={"Origin": "https://daw.example"})
    assert (
        preflight.status_code == 200 and "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    )


def test_upload_by_hash_sends_only_what_this_user_lacks(client: FlaskClient, settings: Settings) -> None:
    kick, bass = wav_bytes(seed=61), wav_bytes(seed=62)
    sha_kick = put_blob(client, kick)
    sha_bass = put_blob(client, bass, user="bob")
    asked = {"sha256": [sha_kick, sha_bass]}
    r = client.post("/api/v1/blobs/missing", json=asked, headers=auth())
    assert r.status_code == 200, r.json
    validate("BlobsMissing", r.json)
    assert r.json["missing"] == [sha_bass]  # stored, but by bob: alice must upload it herself

    tracks = [{"sha256": sha_kick, "name": "kick.wav", "type": "kick"}]
    r = client.post("/api/v1/analyses", json={"tracks": tracks}, headers=auth())
    assert r.status_code == 202, r.json
    validate("BatchCreated", r.json)
    assert [(j["name"], j["sha256"]) for j in r.json["jobs"]] == [("kick.wav", sha_kick)]
    job = client.get(f"/api/v1/jobs/{r.json['jobs'][0]['job_id']}", headers=auth())
    assert job.json["track_type"] == "kick"

    named_bobs = {"tracks": [*tracks, {"sha256": sha_bass}]}
    assert_error(client.post("/api/v1/analyses", json=named_bobs, headers=auth()), 404, "blob_not_found",
                 mentions="$.tracks[1].sha256")  # fmt: skip
    assert client.post("/api/v1/analyses", json=named_bobs, headers=auth("bob")).status_code == 404

    (settings.blob_dir / sha_kick[:2] / sha_kick).unlink()  # retention removed the bytes: missing again
    assert client.post("/api/v1/blobs/missing", json={"sha256": [sha_kick]}, headers=auth()).json == {
        "missing": [sha_kick]
    }


def test_upload_by_hash_requests_are_checked(client: FlaskClient, settings: Settings) -> None:
    post = client.post
    assert_error(post("/api/v1/blobs/missing", json={"sha256": ["abc"]}, headers=auth()), 422,
                 mentions="$.sha256[0]")  # fmt: skip
    assert_error(post("/api/v1/blobs/missing", json={"sha256": ["0" * 64] * 1025}, headers=auth()), 422)
    assert_error(post("/api/v1/analyses", json={"tracks": []}, headers=auth()), 422, mentions="$.tracks")
    assert_error(post("/api/v1/analyses", json={"tracks": [{"sha256": "0" * 64, "type": "kazoo"}]},
                      headers=auth()), 422, mentions="$.tracks[0].type")  # fmt: skip
    many = {"tracks": [{"sha256": "0" * 64}] * (settings.max_files_per_batch + 1)}
    assert_error(post("/api/v1/analyses", json=many, headers=auth()), 413)
    assert_error(post("/api/v1/analyses", data="{", content_type="application/json", headers=auth()), 400)


def test_a_body_cut_off_mid_file_leaves_nothing_on_disk(client: FlaskClient, settings: Settings) -> None:
    """File parts are written straight into the blob store's directory (store/staging.py); a client
    that goes away mid-file never gets its part stored, and the request's teardown deletes it."""
    data = wav_bytes(seed=21)
    head = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n"
    )
    r = client.post(
        "/api/v1/blobs",
        data=head + data[: len(data) // 2],  # no closing boundary
        headers=auth(),
        content_type="multipart/form-data; boundary=XyZ",
    )
    assert_error(r, 400, "bad_request", mentions="file")
    assert not [p.name for p in settings.blob_dir.rglob("*") if p.is_file()]
    assert put_blob(client, data)  # and the service goes on serving
