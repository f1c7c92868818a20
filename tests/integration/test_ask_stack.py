"""Ask Codette on the whole stack: a session analysed by real workers, asked over REST and Socket.IO
on two API processes; the suggestion ids an answer cites are accepted by POST /api/v1/feedback."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.conftest import auth, wav_bytes
from tests.integration.test_stack import connect, get, poll

pytestmark = pytest.mark.integration
#: The first question loads the knowledge base, its index and (when installed) the model.
FIRST_ASK_TIMEOUT_S = 120


def blob(api_url: str, seed: int) -> str:
    files = {"file": ("x.wav", wav_bytes(seconds=3.0, seed=seed))}
    r = requests.post(f"{api_url}/api/v1/blobs", files=files, headers=auth(), timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["sha256"])


def test_ask_over_rest_and_socketio_is_grounded_in_the_analysed_session(
    api_urls: list[str], workers: list[str]
) -> None:
    first, second = api_urls
    sid = f"ask-{uuid.uuid4().hex[:8]}"
    # Two tones 10 Hz apart at equal level, centred: they mask each other in the bass band.
    tracks = [
        {"track_id": "gtr", "name": "Gtr", "type": "guitar", "sha256": blob(first, 501)},
        {"track_id": "keys", "name": "Keys", "type": "keys", "sha256": blob(first, 502)},
    ]
    r = requests.put(f"{first}/api/v1/sessions/{sid}", json={"bpm": 120, "tracks": tracks}, headers=auth(),
                     timeout=10)  # fmt: skip
    assert r.status_code == 201, r.text
    job_id = requests.post(f"{first}/api/v1/sessions/{sid}/analyze", headers=auth(), timeout=10).json()[
        "job_id"
    ]
    poll(lambda: get(first, f"/api/v1/sessions/{sid}/analysis"),
         lambda a: a["job_id"] == job_id and a["status"] == "done")  # fmt: skip

    body = {"question": "why does my mix sound muddy and boomy?", "session_id": sid}
    r = requests.post(f"{first}/api/v1/ask", json=body, headers=auth(), timeout=FIRST_ASK_TIMEOUT_S)
    assert r.status_code == 200, r.text
    rest = r.json()
    assert rest["grounded"] and rest["intent"] == "diagnose" and rest["session_id"] == sid
    assert set(rest["entities"]["problems"]) == {"mud", "boom"}
    assert "measurements" in rest["answer"] and rest["sources"]

    client, _ = connect(second)
    try:
        ack = client.call("ask", body, timeout=FIRST_ASK_TIMEOUT_S)
        assert ack["ok"], ack
        assert {k: v for k, v in ack.items() if k != "ok"} == rest  # same answer from either process
        bad = client.call("ask", {"question": ""}, timeout=10)
        assert not bad["ok"] and bad["error"]["code"] == "validation_failed"
    finally:
        client.disconnect()

    for suggestion_id in rest["suggestions"][:1]:
        feedback = {"suggestion_id": suggestion_id, "kind": "positive"}
        fb = requests.post(f"{second}/api/v1/feedback", json=feedback, headers=auth(), timeout=10)
        assert fb.status_code == 201, fb.text
