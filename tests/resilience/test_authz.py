"""Authorization matrix: user B can neither read, subscribe to nor change user A's resources; no
token, a wrong token and a removed token are refused; tokens are compared in constant time and
never written to a log."""

from __future__ import annotations

import ast
import inspect
import re
import uuid

import pytest
import requests
import socketio

import api.auth
from api.app import create_app
from tests.conftest import TOKENS, auth, wav_bytes
from tests.resilience.calls import Listener, submit, wait_batch
from tests.resilience.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CAROL = ("carol", "carol-test-token-5555555555")


@pytest.fixture(scope="module")
def stack(make_stack) -> Stack:
    stack: Stack = make_stack(api_tokens={**TOKENS, CAROL[0]: CAROL[1]})
    stack.start_worker("w1")
    return stack


@pytest.fixture(scope="module")
def url(stack: Stack) -> str:
    return stack.start_api()


@pytest.fixture(scope="module")
def alices(url: str) -> dict[str, str]:
    """One of each of alice's resources: job, batch, blob, session, session analysis job."""
    batch = submit(url, [("a.wav", wav_bytes(seconds=1.0, seed=71))])
    wait_batch(url, batch["batch_id"])
    r = requests.post(f"{url}/api/v1/blobs", files={"file": ("s.wav", wav_bytes(seconds=1.0, seed=72))},
                      headers=auth(), timeout=10)  # fmt: skip
    sha256 = r.json()["sha256"]
    session_id = f"song-{uuid.uuid4().hex[:6]}"
    doc = {"tracks": [{"track_id": "kick", "sha256": sha256}]}
    assert requests.put(f"{url}/api/v1/sessions/{session_id}", json=doc, headers=auth(), timeout=10).ok
    r = requests.post(f"{url}/api/v1/sessions/{session_id}/analyze", headers=auth(), timeout=10)
    assert r.status_code == 202
    return {"job_id": batch["jobs"][0]["job_id"], "batch_id": batch["batch_id"], "sha256": sha256,
            "session_id": session_id, "session_job_id": r.json()["job_id"]}  # fmt: skip


def test_bob_cannot_read_or_change_alices_resources(url: str, alices: dict[str, str]) -> None:
    a = alices
    reads = [f"/api/v1/jobs/{a['job_id']}", f"/api/v1/jobs/{a['session_job_id']}",
             f"/api/v1/batches/{a['batch_id']}", f"/api/v1/sessions/{a['session_id']}",
             f"/api/v1/sessions/{a['session_id']}/analysis"]  # fmt: skip
    for path in reads:
        assert requests.get(url + path, headers=auth("alice"), timeout=10).status_code == 200, path
        r = requests.get(url + path, headers=auth("bob"), timeout=10)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (path, r.text)
    r = requests.post(f"{url}/api/v1/sessions/{a['session_id']}/analyze", headers=auth("bob"), timeout=10)
    assert r.status_code == 404
    # Bob may use the same session id (his own namespace) but never alice's blob.
    doc = {"tracks": [{"track_id": "kick", "sha256": a["sha256"]}]}
    r = requests.put(f"{url}/api/v1/sessions/{a['session_id']}", json=doc, headers=auth("bob"), timeout=10)
    assert r.status_code == 422 and "no blob" in r.json()["error"]["message"]
    assert (
        requests.get(f"{url}/api/v1/sessions/{a['session_id']}", headers=auth(), timeout=10).json()["tracks"]
        == doc["tracks"]
    )  # alice's document unchanged


def test_bob_cannot_subscribe_to_alices_rooms(url: str, alices: dict[str, str]) -> None:
    bob = Listener(url, user="bob").connect()
    try:
        for key in ("job_id", "batch_id", "session_id"):
            ack = bob.subscribe({key: alices[key if key != "job_id" else "job_id"]})
            assert ack["ok"] is False and ack["error"]["code"] == "not_found", (key, ack)
        assert bob.subscribe({"job_id": alices["session_job_id"]})["ok"] is False
        assert not bob.events  # no replayed snapshot either
    finally:
        bob.close()


def test_every_v1_route_refuses_missing_and_wrong_tokens(url: str, stack: Stack) -> None:
    app = create_app(stack.settings)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")]
    assert len(rules) >= 8
    for rule in rules:
        path = re.sub(r"<[^>]+>", "x", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for headers in (
                {},
                {"Authorization": "Bearer " + TOKENS["alice"] + "x"},
                {"Authorization": "Basic x"},
            ):
                r = requests.request(method, url + path, headers=headers, timeout=10)
                assert r.status_code == 401, (method, path, headers, r.status_code)
                assert r.json()["error"]["code"] == "unauthorized"
    for bad in ({"token": "nope"}, {}, {"token": TOKENS["alice"][:-1]}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            socketio.Client(reconnection=False).connect(
                url, auth=bad, transports=["websocket"], wait_timeout=5
            )


def test_a_removed_token_is_refused_after_a_restart(stack: Stack, url: str) -> None:
    carol = {"Authorization": f"Bearer {CAROL[1]}"}
    assert requests.get(f"{url}/api/v1/openapi.json", headers=carol, timeout=10).status_code == 200
    other = stack.start_api(tokens=TOKENS)  # the operator removed carol
    try:
        r = requests.get(f"{other}/api/v1/openapi.json", headers=carol, timeout=10)
        assert r.status_code == 401
        with pytest.raises(socketio.exceptions.ConnectionError):
            socketio.Client(reconnection=False).connect(
                other, auth={"token": CAROL[1]}, transports=["websocket"]
            )
        assert requests.get(f"{other}/api/v1/openapi.json", headers=auth(), timeout=10).status_code == 200
    finally:
        stack.stop_api(other)


def test_tokens_are_compared_in_constant_time() -> None:
    source = inspect.getsource(api.auth)
    assert "hmac.compare_digest" in source
    tree = ast.parse(source)
    compares = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    names = {n.id for c in compares for n in ast.walk(c) if isinstance(n, ast.Name)}
    assert not names & {"token", "presented", "expected"}, "a token is compared with == or in"


def test_no_token_ever_reaches_a_log(stack: Stack, url: str, alices) -> None:
    # Run last in this module: every request above (good, wrong and removed tokens) has been logged.
    logs = stack.logs()
    assert "GET /api/v1" in logs or "/api/v1" in logs, "the API's request log was not captured"
    for token in [*TOKENS.values(), CAROL[1], TOKENS["alice"] + "x", TOKENS["alice"][:-1]]:
        assert token not in logs
        assert token[:12] not in logs
