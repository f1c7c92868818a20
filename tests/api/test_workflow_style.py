"""References, workflow and style over the real stack: the API in-process, Celery eager, a real Redis.

A session with a bright reference gets a move toward more high end; an action history that starts on
the drums and bass and ends on the bus reads bottom-up (and is announced as workflow.changed); a user
with three EDM sessions at 128 BPM has that style, and their next session without a declared genre
is judged against the EDM target; the style travels with the learning data and is cleared with it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from api.app import create_app
from api.openapi import build_openapi
from config import Settings
from service.messages import Event
from store.wiring import build_stores
from tests.conftest import auth, wav_bytes
from tests.fakes import RecordingPublisher
from tests.service.test_references_style import pink
from worker.app import CodetteCelery, create_celery


@pytest.fixture
def user() -> str:
    """A new user per test: the style is learnt from every session a user ever analysed."""
    return "u" + uuid.uuid4().hex[:10]


@pytest.fixture
def celery_app(settings: Settings, user: str) -> CodetteCelery:
    settings = dataclasses.replace(
        settings, api_tokens={**settings.api_tokens, user: f"{user}-token-0123456789"}
    )
    ports = build_stores(settings, publisher=RecordingPublisher())
    return create_celery(settings, ports=ports, task_always_eager=True, task_eager_propagates=True)


@pytest.fixture
def client(celery_app: CodetteCelery) -> FlaskClient:
    return create_app(celery_app.ports.settings, ports=celery_app.ports).test_client()


DOC = json.loads(json.dumps(build_openapi()))


def schema_errors(name: str, value: Any) -> list[str]:
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": DOC["components"]}
    )
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(json.dumps(value)))
    ]


def headers(user: str) -> dict[str, str]:
    return auth(user) if user in ("alice", "bob") else {"Authorization": f"Bearer {user}-token-0123456789"}


def blob(client: FlaskClient, data: bytes, user: str) -> str:
    r = client.post("/api/v1/blobs", data={"file": (io.BytesIO(data), "x.wav")}, headers=headers(user),
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 201, r.json
    return str(r.json["sha256"])


def analysed(client: FlaskClient, user: str, session_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    r = client.put(f"/api/v1/sessions/{session_id}", json=doc, headers=headers(user))
    assert r.status_code in (200, 201), r.json
    assert client.post(f"/api/v1/sessions/{session_id}/analyze", headers=headers(user)).status_code == 202
    job = client.get(f"/api/v1/sessions/{session_id}/analysis", headers=headers(user)).json
    assert job["status"] == "done", job
    return dict(job["result"]["session_analysis"])


def test_a_session_with_a_bright_reference_gets_a_move_toward_more_high_end(
    client: FlaskClient, user: str
) -> None:
    dark = blob(client, pink(seconds=3.0, seed=11, lowpass_hz=2500.0), user)
    bright = blob(client, pink(seconds=3.0, seed=12), user)
    tracks = [{"track_id": "syn", "type": "synth", "sha256": dark}]
    analysis = analysed(client, user, "refd", {"tracks": tracks, "references": [bright]})
    moves = [s for t in analysis["tracks"] for s in t["suggestions"] if "reference" in s["evidence"]]
    highs = [s for s in moves if s["target"]["band"] in ("presence", "brilliance")]
    assert highs and all(s["type"] == "eq_boost" and s["parameters"]["gain_db"] > 0 for s in highs)
    assert analysis["reference"]["sha256"] == [bright] and schema_errors("SessionAnalysis", analysis) == []
    assert client.get("/api/v1/sessions/refd", headers=headers(user)).json["references"] == [bright]

    other = blob(client, wav_bytes(seed=13), "bob")  # not this user's: 404, nothing stored
    r = client.put(
        "/api/v1/sessions/refd2", json={"tracks": tracks, "references": [other]}, headers=headers(user)
    )
    assert r.status_code == 404 and r.json["error"]["code"] == "blob_not_found"
    too_many = [f"{k:064x}" for k in range(17)]
    r = client.put(
        "/api/v1/sessions/refd2", json={"tracks": tracks, "references": too_many}, headers=headers(user)
    )
    assert r.status_code == 422 and "references" in r.json["error"]["message"]


def test_drums_and_bass_first_and_the_bus_last_read_bottom_up(
    client: FlaskClient, celery_app: CodetteCelery, user: str
) -> None:
    assert client.get("/api/v1/sessions/flow/workflow", headers=headers(user)).status_code == 404
    for track in ("kick", "drums", "bass", "vox", "gtr", "keys", "master"):
        for action in ("adjust_fader", "adjust_eq", "adjust_compressor"):
            body = {"selected_track": track, "action": action}
            r = client.post("/api/v1/sessions/flow/context", json=body, headers=headers(user))
            assert r.status_code == 200, r.json
    r = client.get("/api/v1/sessions/flow/workflow", headers=headers(user))
    assert r.status_code == 200 and r.json["pattern"] == "bottom_up", r.json
    assert r.json["stats"]["n_actions"] == 21 and r.json["session_id"] == "flow"
    sent = celery_app.ports.publisher.sent  # type: ignore[attr-defined]
    changed = [
        m for m, rooms in sent if m.event is Event.WORKFLOW_CHANGED and rooms == [f"session:{user}:flow"]
    ]
    assert changed and changed[-1].pattern == "bottom_up"
    assert schema_errors("SessionWorkflow", r.json) == []
    assert schema_errors("WorkflowChangedEvent", changed[-1].to_dict()) == []
    assert client.get("/api/v1/sessions/flow/workflow", headers=auth("bob")).status_code == 404


def test_three_edm_sessions_at_128_are_the_style_and_the_genre_default(
    client: FlaskClient, user: str
) -> None:
    sha = blob(client, wav_bytes(seconds=1.0, seed=14), user)
    empty = client.get("/api/v1/users/me/style", headers=headers(user)).json
    assert empty["sessions"] == 0 and empty["usual_genre"] is None and empty["user_id"] == user
    tracks = [
        {"track_id": "k", "type": "kick", "sha256": sha},
        {"track_id": "b", "type": "bass", "sha256": sha},
    ]
    for k in range(3):
        analysed(client, user, f"edm{k}", {"bpm": 128, "genre": "edm", "tracks": tracks})
    style = client.get("/api/v1/users/me/style", headers=headers(user)).json
    assert (
        style["sessions"] == 3
        and style["tempo_median_bpm"] == 128
        and style["usual_genre"] == "Electronic/EDM"
        and style["usual_bpm"] == 128
    )
    assert schema_errors("UserStyle", style) == []
    new = analysed(client, user, "new", {"tracks": [{"track_id": "x", "type": "other", "sha256": sha}]})
    assert (new["genre_used"], new["genre_source"]) == ("Electronic/EDM", "style")

    data = client.get("/api/v1/users/me/learning-data", headers=headers(user)).json
    assert len(data["style"]["sessions"]) == 4
    assert client.put("/api/v1/users/me/learning-data", json=data, headers=headers(user)).json == data
    cleared = {k: v for k, v in data.items() if k != "style"}
    assert (
        client.put("/api/v1/users/me/learning-data", json=cleared, headers=headers(user)).status_code == 200
    )
    assert client.get("/api/v1/users/me/style", headers=headers(user)).json["sessions"] == 0


def test_the_openapi_document_types_the_new_routes_and_event() -> None:
    doc = DOC
    workflow = doc["paths"]["/api/v1/sessions/{session_id}/workflow"]["get"]["responses"]["200"]
    assert workflow["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SessionWorkflow"
    }
    style = doc["paths"]["/api/v1/users/me/style"]["get"]["responses"]["200"]
    assert style["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/UserStyle"}
    assert (
        doc["x-socketio"]["server_events"]["workflow.changed"] == "#/components/schemas/WorkflowChangedEvent"
    )
    assert "references" in doc["components"]["schemas"]["Session"]["properties"]
