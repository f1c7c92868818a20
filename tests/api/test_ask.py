"""POST /api/v1/ask in-process against a real Redis: grounded answers, validation, feedback on cited ids."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.openapi import build_openapi
from config import Settings
from core.session import analyze_session
from service.messages import JobKind, JobStatus
from service.model import Job, new_id
from service.suggestions import index_session_suggestions
from tests.api.test_http import assert_error
from tests.conftest import auth
from tests.core.session_fixtures import muddy_session_entries
from tests.seeded_sessions import services_for


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    app: Flask = create_app(settings)
    return app.test_client()


def store_muddy_session(settings: Settings, *, owner: str = "alice") -> str:
    """A done session job whose result is the real session step on a guitar and a pad built to mask."""
    entries = muddy_session_entries()
    doc = {"bpm": 120, "tracks": [t for t, _ in entries]}
    analysis = analyze_session(doc, {t["track_id"]: a for t, a in entries})
    session_id = "ask-" + uuid.uuid4().hex[:8]
    result = {"session_id": session_id, "tracks": [], "summary": {}, "session_analysis": analysis.to_dict()}
    services = services_for(settings)
    job = Job(new_id(), owner, kind=JobKind.SESSION, status=JobStatus.DONE, progress=1.0, stage="done",
              session_id=session_id)  # fmt: skip
    key = services.jobs.put_session_result(job.job_id, json.loads(json.dumps(result)))
    services.jobs.put_session_input(job.job_id, doc)
    services.jobs.create_job(replace(job, result_key=key))
    services.jobs.set_latest_session_job(owner, session_id, job.job_id)
    index_session_suggestions(services, owner=owner, result=result)  # as the session job does
    return session_id


def ask(client: FlaskClient, body: dict[str, Any], user: str = "alice") -> Any:
    return client.post("/api/v1/ask", json=body, headers=auth(user))


def test_ask_without_a_session_answers_from_knowledge(client: FlaskClient) -> None:
    r = ask(client, {"question": "what is true peak?"})
    assert r.status_code == 200, r.json
    body = r.json
    assert body["intent"] == "explain" and body["suggestions"] == [] and body["evidence"] == []
    assert body["sources"] and body["sources"][0]["citations"]
    assert "term.true_peak" in [s["id"] for s in body["sources"]]


def test_grounded_answer_names_tracks_and_band_and_its_ids_take_feedback(
    client: FlaskClient, settings: Settings
) -> None:
    sid = store_muddy_session(settings)
    r = ask(client, {"question": "why is my mix muddy?", "session_id": sid})
    assert r.status_code == 200, r.json
    body = r.json
    assert body["grounded"] and body["session_id"] == sid and body["intent"] == "diagnose"
    assert "Rhythm Gtr" in body["answer"] and "Warm Pad" in body["answer"] and "low mid" in body["answer"]
    assert body["evidence"][0]["field"] == "session.masking" and body["evidence"][0]["band"] == "low_mid"
    assert body["suggestions"]
    # The ids an answer cites are accepted by the existing feedback endpoint.
    fb = client.post("/api/v1/feedback", json={"suggestion_id": body["suggestions"][0], "kind": "applied"},
                     headers=auth())  # fmt: skip
    assert fb.status_code == 201, fb.json
    # Focused on one track of the session.
    r = ask(client, {"question": "is this track muddy?", "session_id": sid, "track_id": "kick"})
    assert r.status_code == 200 and "do not show mud" in r.json["answer"]


def test_ask_validates_and_keeps_sessions_private(client: FlaskClient, settings: Settings) -> None:
    assert_error(ask(client, {}), 422, "validation_failed")
    assert_error(ask(client, {"question": "x", "colour": 1}), 422, "validation_failed")
    assert_error(ask(client, {"question": "x", "track_id": "kick"}), 422, "validation_failed")
    r = client.post("/api/v1/ask", data="{", headers={**auth(), "Content-Type": "application/json"})
    assert_error(r, 400, "malformed_json")
    assert client.post("/api/v1/ask", json={"question": "x"}).status_code == 401
    sid = store_muddy_session(settings)
    assert_error(
        ask(client, {"question": "why muddy", "session_id": sid, "track_id": "nope"}),
        404,
        "not_found",
        mentions=f"track 'nope' is not in the analysis of session {sid!r}",
    )
    # Bob cannot ground on Alice's session: to him it is unknown, a 404 like any unknown session id.
    assert_error(ask(client, {"question": "why is my mix muddy?", "session_id": sid}, user="bob"), 404)
    assert_error(ask(client, {"question": "why?", "session_id": "never-stored"}), 404, "not_found")


def test_openapi_describes_ask() -> None:
    doc = build_openapi()
    op = doc["paths"]["/api/v1/ask"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskRequest")
    assert "AskAnswer" in doc["components"]["schemas"] and doc["x-socketio"]["client_events"]["ask"]
