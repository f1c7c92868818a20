"""The whole stack: a real Redis, two real Celery workers (w1@%h, w2@%h), the real API process, and
a real Socket.IO client. Nothing is mocked or eager here."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
import requests
import socketio

from config import Settings
from store.jobs import RedisJobStore as JobStore
from tests.conftest import TOKENS, auth, wav_bytes

pytestmark = pytest.mark.integration
TIMEOUT_S = 60


def poll(fetch: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        body = fetch()
        if done(body):
            return body
        assert time.monotonic() < deadline, f"timed out; last state: {body}"
        time.sleep(0.1)


def upload(api_url: str, *files: tuple[bytes, str], user: str = "alice") -> dict[str, Any]:
    r = requests.post(f"{api_url}/api/v1/analyses", files=[("files", (n, b)) for b, n in files],
                      headers=auth(user), timeout=30)  # fmt: skip
    assert r.status_code == 202, r.text
    return dict(r.json())


def get(api_url: str, path: str, user: str = "alice") -> dict[str, Any]:
    r = requests.get(f"{api_url}{path}", headers=auth(user), timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json())


def connect(api_url: str, user: str = "alice") -> tuple[socketio.Client, list[tuple[str, Any]]]:
    """A real Socket.IO client (websocket transport) recording every event it receives."""
    received: list[tuple[str, Any]] = []
    client = socketio.Client(reconnection=False)
    client.on("*", lambda event, data: received.append((event, data)))
    client.connect(api_url, auth={"token": TOKENS[user]}, transports=["websocket"], wait_timeout=10)
    return client, received


def wait_for(received: list[tuple[str, Any]], predicate: Callable[[str, Any], bool]) -> Any:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        for event, data in list(received):
            if predicate(event, data):
                return data
        time.sleep(0.05)
    raise AssertionError(f"no matching event; got {[e for e, _ in received]}")


def test_health_counts_both_workers(api_url: str, workers: list[str]) -> None:
    body = requests.get(f"{api_url}/health", timeout=5).json()
    assert body["status"] == "ok" and body["redis"] == "ok" and body["workers"] >= 2


def test_socketio_client_gets_job_done_for_a_real_upload(api_url: str, workers: list[str]) -> None:
    client, received = connect(api_url)
    try:
        batch = upload(api_url, (wav_bytes(seconds=3.0, seed=201), "loop.wav"))
        job_id = batch["jobs"][0]["job_id"]
        ack = client.call("subscribe", {"batch_id": batch["batch_id"]}, timeout=10)
        assert ack["ok"] and ack["snapshot"]["batch_id"] == batch["batch_id"]
        done = wait_for(received, lambda e, d: e == "job.done" and d["job_id"] == job_id)
        assert done["result"]["audio"]["duration_s"] == pytest.approx(3.0)
        assert done["result"]["loudness"]["integrated_lufs"] is not None
        wait_for(received, lambda e, d: e == "batch.done" and d["batch_id"] == batch["batch_id"])
        rest = get(api_url, f"/api/v1/jobs/{job_id}")
        assert rest["status"] == "done" and rest["result"] == done["result"]

        # A late subscriber (a reconnecting client) gets the snapshot replayed: nothing is missed.
        late, late_received = connect(api_url)
        try:
            assert late.call("subscribe", {"job_id": job_id}, timeout=10)["ok"]
            wait_for(late_received, lambda e, d: e == "job.done" and d["job_id"] == job_id)
        finally:
            late.disconnect()
    finally:
        client.disconnect()


def test_sockets_need_a_token_and_only_join_their_own_rooms(api_url: str, workers: list[str]) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        socketio.Client(reconnection=False).connect(api_url, auth={"token": "nope"}, transports=["websocket"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        socketio.Client(reconnection=False).connect(api_url, transports=["websocket"])
    batch = upload(api_url, (wav_bytes(seconds=0.5, seed=202), "a.wav"))
    bob, _ = connect(api_url, "bob")
    try:
        ack = bob.call("subscribe", {"batch_id": batch["batch_id"]}, timeout=10)
        assert ack == {"ok": False, "error": {"code": "not_found", "message": ack["error"]["message"]}}
        assert not bob.call("subscribe", {"batch_id": "x", "colour": 1}, timeout=10)["ok"]
    finally:
        bob.disconnect()


def test_two_workers_on_two_hostnames_share_a_batch(
    api_url: str, workers: list[str], stack_settings: Settings
) -> None:
    files = [(wav_bytes(seconds=4.0, seed=300 + i), f"t{i}.wav") for i in range(6)]
    batch = upload(api_url, *files)
    poll(lambda: get(api_url, f"/api/v1/batches/{batch['batch_id']}"), lambda b: b["status"] == "done")
    store = JobStore(
        redis.Redis.from_url(stack_settings.require_redis_url(), decode_responses=True), ttl_s=60
    )
    jobs = store.jobs(tuple(j["job_id"] for j in batch["jobs"]))
    assert all(j.status.value == "done" for j in jobs), [j.error for j in jobs]
    assert {j.worker for j in jobs} == set(workers)


def test_bad_audio_fails_clearly_and_cached_audio_is_not_analysed_again(
    api_url: str, workers: list[str]
) -> None:
    good = wav_bytes(seconds=1.0, seed=203)
    batch = upload(api_url, (b"not audio at all" * 10, "bad.wav"), (good, "good.wav"))
    state = poll(
        lambda: get(api_url, f"/api/v1/batches/{batch['batch_id']}"), lambda b: b["status"] == "done"
    )
    bad, ok = state["jobs"]
    assert bad["status"] == "failed" and bad["error"]["code"] == "unsupported_format"
    assert ok["status"] == "done" and not ok["cached"]
    again = upload(api_url, (good, "same.wav"))
    assert again["jobs"][0]["cached"] is True
    assert get(api_url, f"/api/v1/jobs/{again['jobs'][0]['job_id']}")["status"] == "done"


def test_a_session_is_analysed_through_a_chord(api_url: str, workers: list[str]) -> None:
    def blob(seed: int) -> str:
        files = {"file": ("x.wav", wav_bytes(seconds=2.0, seed=seed))}
        r = requests.post(f"{api_url}/api/v1/blobs", files=files, headers=auth(), timeout=30)
        assert r.status_code == 201, r.text
        return str(r.json()["sha256"])

    sid = f"song-{uuid.uuid4().hex[:8]}"
    tracks = [
        {
            "track_id": "kick",
            "name": "Kick",
            "type": "kick",
            "sha256": blob(401),
            "volume_db": 0.0,
            "pan": 0.0,
        },
        {"track_id": "bass", "name": "Bass", "type": "bass", "sha256": blob(402), "inserts": ["EQ Eight"]},
        {"track_id": "pad", "name": "Pad", "type": "synth", "sha256": blob(403), "muted": False},
    ]
    doc = {"bpm": 124, "genre": "house", "tracks": tracks}
    r = requests.put(f"{api_url}/api/v1/sessions/{sid}", json=doc, headers=auth(), timeout=10)
    assert r.status_code == 201, r.text
    client, received = connect(api_url)
    try:
        assert client.call("subscribe", {"session_id": sid}, timeout=10)["ok"]
        r = requests.post(f"{api_url}/api/v1/sessions/{sid}/analyze", headers=auth(), timeout=10)
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        wait_for(received, lambda e, d: e == "session.done" and d["job_id"] == job_id)
    finally:
        client.disconnect()
    analysis = get(api_url, f"/api/v1/sessions/{sid}/analysis")
    assert analysis["job_id"] == job_id and analysis["status"] == "done"
    result = analysis["result"]
    assert [t["status"] for t in result["tracks"]] == ["done"] * 3
    assert result["summary"]["analysed"] == 3 and result["session_analysis"] is not None

    r = requests.post(f"{api_url}/api/v1/sessions/{sid}/analyze", headers=auth(), timeout=10)
    second = poll(lambda: get(api_url, f"/api/v1/sessions/{sid}/analysis"),
                  lambda a: a["job_id"] == r.json()["job_id"] and a["status"] == "done")  # fmt: skip
    assert [t["cached"] for t in second["result"]["tracks"]] == [True] * 3


def test_events_reach_a_client_on_another_api_process(api_urls: list[str], workers: list[str]) -> None:
    """Upload through one API process, listen on another: events travel through Redis."""
    uploader, listener = api_urls
    client, received = connect(listener)
    try:
        batch = upload(uploader, (wav_bytes(seconds=1.0, seed=204), "x.wav"))
        job_id = batch["jobs"][0]["job_id"]
        assert client.call("subscribe", {"job_id": job_id}, timeout=10)["ok"]
        wait_for(received, lambda e, d: e == "job.done" and d["job_id"] == job_id)
        progress = [d for e, d in received if e == "job.progress" and d["job_id"] == job_id]
        assert all(0.0 <= d["progress"] <= 1.0 for d in progress)
    finally:
        client.disconnect()
