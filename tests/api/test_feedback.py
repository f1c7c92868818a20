"""Feedback, the learning report and learning data over REST in-process, against a real Redis.

No workers run here: the queued rebuild never happens, so every report below is the read path
folding the feedback stream itself (what a client sees before, or without, the learning task).
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from config import Settings
from core.suggestions import Suggestion
from store.keys import profile as profile_key
from store.wiring import redis_client
from tests.api.test_http import assert_error
from tests.conftest import auth
from tests.seeded_sessions import forget_learning, seed_session_analysis, services_for


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seeded(settings: Settings) -> dict[str, Suggestion]:
    services = services_for(settings)
    forget_learning(services)
    return seed_session_analysis(services, owner="alice", session_id="fb-" + uuid.uuid4().hex[:8])


def send(client: FlaskClient, body: dict[str, Any], user: str = "alice") -> Any:
    return client.post("/api/v1/feedback", json=body, headers=auth(user))


def report(client: FlaskClient, user: str = "alice") -> dict[str, Any]:
    r = client.get("/api/v1/users/me/learning-report", headers=auth(user))
    assert r.status_code == 200, r.json
    return dict(r.json)


def test_feedback_is_logged_and_the_report_counts_it_at_once(
    client: FlaskClient, seeded: dict[str, Suggestion]
) -> None:
    eq = seeded["eq_cut:vox"]
    assert report(client)["events"] == 0
    r = send(client, {"suggestion_id": eq.id, "kind": "applied", "rating": 5, "comment": "nice"})
    assert r.status_code == 201 and r.json["ok"]
    assert r.json["event"]["suggestion_type"] == "eq_cut" and r.json["event"]["track_type"] == "vocals"
    modified = {
        "suggestion_id": eq.id,
        "kind": "modified",
        "parameters_after": {"freq_hz": 300.0, "gain_db": -4},
    }
    assert send(client, modified).status_code == 201
    body = report(client)
    assert body["events"] == 2 and body["application_rate"] == 1.0 and body["satisfaction"] == 1.0
    assert body["most_effective"][0]["suggestion_type"] == "eq_cut"
    assert report(client, "bob")["events"] == 0


@pytest.mark.parametrize(
    ("patch", "status", "mentions"),
    [
        ({"kind": "loved"}, 422, "kind"),
        ({"rating": 6}, 422, "rating"),
        ({"rating": "5"}, 422, "rating"),
        ({"comment": "x" * 2001}, 422, "comment"),
        ({"extra": 1}, 422, "extra"),
        ({"kind": "modified"}, 422, "parameters_after"),
        ({"parameters_after": {"freq_hz": 200.0}}, 422, "parameters_after"),
        ({"parameters_after": {"freq_hz": "low"}, "kind": "modified"}, 422, "parameters_after"),
        (
            {"suggestion_id": "sug_0000000000000000"},
            404,
            "suggestion 'sug_0000000000000000' not found (not one of your analyses)",
        ),
    ],
)
def test_bad_feedback_names_the_field(
    client: FlaskClient, seeded: dict[str, Suggestion], patch: dict[str, Any], status: int, mentions: str
) -> None:
    body = {"suggestion_id": seeded["compression:vox"].id, "kind": "applied", **patch}
    assert_error(send(client, body), status, mentions=mentions)
    assert report(client)["events"] == 0


@pytest.mark.parametrize(
    ("after", "mentions"),
    [
        ({"gain_db": 1e308, "freq_hz": -5}, "gain_db"),  # the black-box report, verbatim
        ({"freq_hz": -5}, "freq_hz=-5 is outside 20..20000"),
        ({"freq_hz": 25000}, "freq_hz=25000 is outside 20..20000"),
        ({"gain_db": -30}, "gain_db=-30 is outside -12..0"),
        ({"gain_db": 2.5}, "gain_db=2.5 is outside -12..0"),  # a cut that boosts
        ({"q": 1e6}, "q=1000000.0 is outside 0.1..40"),
        ({"attack_ms": 10.0}, "attack_ms: eq_cut has no such parameter (it has freq_hz, gain_db, q)"),
    ],
)
def test_modified_parameters_outside_their_range_are_refused(
    client: FlaskClient, seeded: dict[str, Suggestion], after: dict[str, float], mentions: str
) -> None:
    body = {"suggestion_id": seeded["eq_cut:vox"].id, "kind": "modified", "parameters_after": after}
    assert_error(send(client, body), 422, "invalid_parameter", mentions=mentions)
    assert report(client)["events"] == 0


def test_feedback_at_the_limits_keeps_adapted_suggestions_within_them(
    client: FlaskClient, settings: Settings, seeded: dict[str, Suggestion]
) -> None:
    """Fifty "modified" at the edge of every range: accepted, and the adapted cut stays a cut of at
    most 12 dB at an audible frequency, rounded as the suggestions are."""
    after = {"gain_db": -12.0, "freq_hz": 20000.0, "q": 0.1}
    for _ in range(50):
        r = send(
            client, {"suggestion_id": seeded["eq_cut:vox"].id, "kind": "modified", "parameters_after": after}
        )
        assert r.status_code == 201, r.json
    session = "fb-lim-" + uuid.uuid4().hex[:8]
    seed_session_analysis(services_for(settings), owner="alice", session_id=session)
    r = client.get(f"/api/v1/sessions/{session}/suggestions?limit=50", headers=auth())
    assert r.status_code == 200, r.json
    cut = next(s for s in r.json["suggestions"] if s["id"] == seeded["eq_cut:vox"].id)
    params = cut["parameters"]
    assert -12.0 <= params["gain_db"] <= 0.0 and 20.0 <= params["freq_hz"] <= 20000.0
    assert params["gain_db"] == round(params["gain_db"], 1) and params["freq_hz"] == round(params["freq_hz"])
    assert 0.1 <= params["q"] == round(params["q"], 2)
    assert cut["suggested_parameters"] == {"freq_hz": 350.0, "gain_db": -3.0, "q": 1.4}
    tips = " ".join(t["message"] for t in report(client)["tips"])
    assert "gain_db -9.0 from" in tips and "e+" not in tips


def test_feedback_on_another_users_suggestion_is_404(
    client: FlaskClient, seeded: dict[str, Suggestion]
) -> None:
    r = send(client, {"suggestion_id": seeded["compression:vox"].id, "kind": "negative"}, user="bob")
    assert_error(r, 404, "not_found")
    assert_error(client.post("/api/v1/feedback", data="{}", headers=auth()), 415)


def test_learning_data_round_trips_exactly(client: FlaskClient, seeded: dict[str, Suggestion]) -> None:
    for kind, key in [
        ("applied", "eq_cut:vox"),
        ("negative", "compression:vox"),
        ("positive", "eq_cut:bass"),
    ]:
        assert send(client, {"suggestion_id": seeded[key].id, "kind": kind, "rating": 4}).status_code == 201
    send(client, {"suggestion_id": seeded["eq_cut:vox"].id, "kind": "modified",
                  "parameters_after": {"freq_hz": 280.0, "q": 2.0}})  # fmt: skip
    exported = client.get("/api/v1/users/me/learning-data", headers=auth()).get_data()
    before = report(client)
    put = client.put("/api/v1/users/me/learning-data", data=exported, headers=auth(),
                     content_type="application/json")  # fmt: skip
    assert put.status_code == 200, put.json
    assert json.loads(put.get_data()) == json.loads(exported)
    again = client.get("/api/v1/users/me/learning-data", headers=auth()).get_data()
    assert again == exported  # byte for byte: export -> import -> export
    assert report(client) == before and before["events"] == 4


def test_import_is_validated(client: FlaskClient, seeded: dict[str, Suggestion]) -> None:
    send(client, {"suggestion_id": seeded["eq_cut:vox"].id, "kind": "applied"})
    good = client.get("/api/v1/users/me/learning-data", headers=auth()).json

    def put(data: Any, user: str = "alice") -> Any:
        return client.put("/api/v1/users/me/learning-data", json=data, headers=auth(user))

    bad_rating = copy.deepcopy(good)
    bad_rating["events"][0]["rating"] = 9
    assert_error(put(bad_rating), 422, mentions="events[0].rating")
    tampered = copy.deepcopy(good)
    tampered["profile"]["events"] = 7
    assert_error(put(tampered), 422, mentions="not the fold")
    assert_error(put({**good, "format": "other"}), 422, mentions="format")
    assert_error(put(good, user="bob"), 422, mentions="not you")
    assert report(client)["events"] == 1 and report(client, "bob")["events"] == 0


def test_a_missing_or_stale_profile_is_rebuilt_from_the_log(
    client: FlaskClient, settings: Settings, seeded: dict[str, Suggestion]
) -> None:
    for _ in range(3):
        send(client, {"suggestion_id": seeded["compression:vox"].id, "kind": "negative"})
    first = report(client)
    redis_client(settings).delete(profile_key("alice"))
    assert report(client) == first
    send(client, {"suggestion_id": seeded["eq_cut:vox"].id, "kind": "applied"})
    assert report(client)["events"] == 4  # the stored profile was one event behind the log


def test_learning_moves_the_ranking_for_that_user_only(
    client: FlaskClient, settings: Settings, seeded: dict[str, Suggestion]
) -> None:
    services = services_for(settings)
    seed_session_analysis(services, owner="bob", session_id="fb-bob")
    session = "fb-alice-" + uuid.uuid4().hex[:8]
    seed_session_analysis(services, owner="alice", session_id=session)  # the same suggestions
    for i in range(10):
        send(
            client, {"suggestion_id": seeded["eq_cut:vox" if i % 2 else "eq_cut:bass"].id, "kind": "applied"}
        )
        send(client, {"suggestion_id": seeded["compression:vox"].id, "kind": "negative"})

    def order(user: str, session_id: str) -> list[str]:
        r = client.get(f"/api/v1/sessions/{session_id}/suggestions?limit=50", headers=auth(user))
        return [f"{s['type']}:{s['target']['track_id']}" for s in r.json["suggestions"]]

    alice, bob = order("alice", session), order("bob", "fb-bob")
    assert alice.index("compression:vox") > max(alice.index("eq_cut:vox"), alice.index("eq_cut:bass"))
    assert bob.index("compression:vox") < min(bob.index("eq_cut:vox"), bob.index("eq_cut:bass"))
