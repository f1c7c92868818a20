"""DAW context over REST in-process (Flask test client) against a real Redis; no workers needed."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from config import Settings
from core.learning.tables import IMPLICIT_IGNORE_AFTER_ACTIONS
from service.context import DAW_ACTIONS
from tests.api.test_http import assert_error
from tests.conftest import auth, wav_bytes
from tests.seeded_sessions import forget_learning, seed_session_analysis, services_for


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sid() -> str:
    return "ctx-" + uuid.uuid4().hex[:8]


def post(client: FlaskClient, session_id: str, body: dict[str, Any], user: str = "alice") -> Any:
    return client.post(f"/api/v1/sessions/{session_id}/context", json=body, headers=auth(user))


def update(client: FlaskClient, session_id: str, body: dict[str, Any], user: str = "alice") -> dict[str, Any]:
    r = post(client, session_id, body, user)
    assert r.status_code == 200, r.get_data(as_text=True)
    return dict(r.json)


def test_a_sequence_of_updates_gives_state_intent_and_activity(client: FlaskClient) -> None:
    s = sid()
    first = update(client, s, {"transport": "playing", "position_s": 12.5})
    assert first["changed"] and first["context"]["state"] == "playing"
    assert {c["field"] for c in first["changes"]} == {"transport", "state"}
    again = update(client, s, {"transport": "playing", "position_s": 13.0})
    assert not again["changed"] and again["changes"] == []
    assert again["context"]["version"] == first["context"]["version"]
    assert again["context"]["position_s"] == 13.0  # tracked, but not a change on its own
    mixer = update(client, s, {"focused": "mixer", "selected_track": "vox"})
    assert mixer["context"]["state"] == "mixing" and mixer["context"]["intent"] == "mixing"
    for _ in range(12):
        last = update(client, s, {"action": "adjust_fader"})
    ctx = last["context"]
    assert ctx["activity"] == "active" and ctx["actions_per_minute"] == 12.0 and ctx["action_count"] == 12
    assert ctx["intent"] == "mixing" and ctx["intent_confidence"] > 0.7
    recording = update(client, s, {"transport": "recording", "armed_tracks": ["vox", "gtr"]})
    assert recording["context"]["state"] == "recording"
    assert recording["context"]["armed_tracks"] == ["gtr", "vox"]
    mastering = update(client, s, {"transport": "stopped", "focused": "Pro-L 2 (master)"})
    assert mastering["context"]["state"] == "mastering"
    cleared = update(client, s, {"focused": None})
    assert cleared["context"]["focused"] is None and cleared["context"]["state"] == "idle"
    got = client.get(f"/api/v1/sessions/{s}/context", headers=auth())
    assert got.status_code == 200 and got.json == cleared["context"]


def test_only_the_owner_reads_a_context(client: FlaskClient) -> None:
    s = sid()
    update(client, s, {"transport": "playing"})
    assert_error(client.get(f"/api/v1/sessions/{s}/context", headers=auth("bob")), 404, "not_found")
    update(client, s, {"transport": "recording"}, user="bob")  # bob's own session of that name
    assert client.get(f"/api/v1/sessions/{s}/context", headers=auth()).json["transport"] == "playing"
    assert_error(client.get(f"/api/v1/sessions/{sid()}/context", headers=auth()), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"transport": "paused"}, "transport"),
        ({"position_s": -1}, "position_s"),
        ({"armed_tracks": "vox"}, "armed_tracks"),
        ({"tempo": 120}, "tempo"),
        ({"session_id": "another"}, "session_id"),
        ({"action": ""}, "action"),
        ({"action": "rm -rf"}, "'rm -rf' is not one of ['add_clip'"),
    ],
)
def test_bad_updates_are_422_naming_the_field(
    client: FlaskClient, body: dict[str, Any], mentions: str
) -> None:
    r = post(client, sid(), body)
    assert r.status_code == 422 and mentions in r.json["error"]["message"], r.json


def test_the_documented_actions_are_accepted(client: FlaskClient) -> None:
    s = sid()
    for action in DAW_ACTIONS:
        update(client, s, {"action": action})
    assert update(client, s, {})["context"]["action_count"] == len(DAW_ACTIONS)


def put_session(client: FlaskClient, session_id: str, tracks: list[dict[str, str]]) -> None:
    r = client.post("/api/v1/blobs", data={"file": (io.BytesIO(wav_bytes()), "x.wav")}, headers=auth(),
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 201, r.json
    body = {"tracks": [{**t, "sha256": r.json["sha256"]} for t in tracks]}
    assert client.put(f"/api/v1/sessions/{session_id}", json=body, headers=auth()).status_code == 201


def test_the_selected_track_must_be_one_of_a_stored_session(client: FlaskClient) -> None:
    s = sid()
    update(client, s, {"selected_track": "nope"})  # the DAW reports before it stores the session: any name
    put_session(client, s, [{"track_id": "vox", "name": "Lead Vox"}, {"track_id": "bass", "name": "Bass"}])
    r = post(client, s, {"selected_track": "nope", "transport": "playing"})
    assert_error(
        r, 422, "invalid_parameter", mentions=f"selected_track 'nope' is not a track of session {s!r}"
    )
    assert "vox" in r.json["error"]["message"] and "bass" in r.json["error"]["message"]
    assert client.get(f"/api/v1/sessions/{s}/context", headers=auth()).json["transport"] == "stopped"
    assert update(client, s, {"selected_track": "vox"})["context"]["selected_track"] == "vox"  # its id
    assert (
        update(client, s, {"selected_track": "Lead Vox"})["context"]["selected_track"] == "Lead Vox"
    )  # name
    master = update(client, s, {"selected_track": "Master"})  # the master bus, a stem or not
    assert master["context"]["state"] == "mastering"
    assert update(client, s, {"selected_track": None})["context"]["selected_track"] is None
    assert_error(post(client, s, {"selected_track": "x" * 10_000}), 422, mentions="selected_track")


def test_bad_session_id_and_body(client: FlaskClient) -> None:
    assert_error(post(client, "bad id!", {}), 422, mentions="session_id")
    r = client.post(
        f"/api/v1/sessions/{sid()}/context", data="{", headers=auth(), content_type="application/json"
    )
    assert_error(r, 400, "malformed_json")


def test_suggestions_follow_the_context_and_limit(client: FlaskClient, settings: Settings) -> None:
    s = sid()
    assert_error(client.get(f"/api/v1/sessions/{s}/suggestions", headers=auth()), 404, "not_found")
    seed_session_analysis(services_for(settings), owner="alice", session_id=s)
    for bad in ("0", "51", "x", "-1", "\u0663", "\uff13"):  # Arabic-Indic and full-width digits
        r = client.get(f"/api/v1/sessions/{s}/suggestions?limit={bad}", headers=auth())
        assert_error(r, 422, mentions="limit")
    assert_error(client.get(f"/api/v1/sessions/{s}/suggestions", headers=auth("bob")), 404)
    plain = client.get(f"/api/v1/sessions/{s}/suggestions?limit=50", headers=auth()).json
    assert plain["status"] == "done" and len(plain["suggestions"]) == 5
    assert plain["suggestions"][0]["type"] == "compression"  # priority 2, high confidence
    assert client.get(f"/api/v1/sessions/{s}/suggestions", headers=auth()).json["suggestions"][:1]
    update(client, s, {"focused": "master limiter"})
    mastering = client.get(f"/api/v1/sessions/{s}/suggestions?limit=2", headers=auth()).json
    assert mastering["context"]["state"] == "mastering"
    assert mastering["suggestions"][0]["type"] == "limiting"
    assert "mastering_first" in mastering["suggestions"][0]["reasons"]
    update(client, s, {"focused": None, "selected_track": "bass"})
    selected = client.get(f"/api/v1/sessions/{s}/suggestions?limit=3", headers=auth()).json
    assert selected["suggestions"][0]["target"]["track_id"] == "bass"


def test_shown_and_not_acted_on_counts_as_ignored(client: FlaskClient, settings: Settings) -> None:
    services = services_for(settings)
    forget_learning(services)
    s = sid()
    seed_session_analysis(services, owner="alice", session_id=s)
    update(client, s, {"transport": "playing"})
    shown = client.get(f"/api/v1/sessions/{s}/suggestions?limit=3", headers=auth()).json["suggestions"]
    acted = shown[0]["id"]
    r = client.post("/api/v1/feedback", json={"suggestion_id": acted, "kind": "applied"}, headers=auth())
    assert r.status_code == 201
    for i in range(IMPLICIT_IGNORE_AFTER_ACTIONS):
        result = update(client, s, {"action": "zoom"})
        expected = 2 if i == IMPLICIT_IGNORE_AFTER_ACTIONS - 1 else 0
        assert result["implicit_ignored"] == expected, i
    report = client.get("/api/v1/users/me/learning-report", headers=auth()).json
    assert report["events"] == 3 and report["application_rate"] == pytest.approx(1 / 3, abs=1e-4)
    events = client.get("/api/v1/users/me/learning-data", headers=auth()).json["events"]
    assert [(e["suggestion_id"], e["kind"], e["implicit"]) for e in events] == [
        (acted, "applied", False),
        (shown[1]["id"], "ignored", True),
        (shown[2]["id"], "ignored", True),
    ]
    assert update(client, s, {"action": "zoom"})["implicit_ignored"] == 0  # once only
