"""DAW context through two real API processes and a real Socket.IO client (no mocks, no eager mode)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.conftest import auth
from tests.integration.test_stack import connect, wait_for

pytestmark = pytest.mark.integration


def post(api_url: str, session_id: str, body: dict[str, Any], user: str = "alice") -> dict[str, Any]:
    r = requests.post(
        f"{api_url}/api/v1/sessions/{session_id}/context", json=body, headers=auth(user), timeout=10
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_context_changed_reaches_the_room_only_when_something_changed(api_urls: list[str]) -> None:
    session_id = "live-" + uuid.uuid4().hex[:8]
    post(
        api_urls[0], session_id, {"transport": "stopped", "position_s": 0.0}
    )  # context alone makes the session
    client, received = connect(api_urls[1])
    try:
        ack = client.call("subscribe", {"session_id": session_id}, timeout=10)
        assert ack["ok"] and ack["room"] == f"session:alice:{session_id}"
        playing = {"transport": "playing", "position_s": 1.0}
        assert post(api_urls[0], session_id, playing)["changed"]
        assert not post(api_urls[0], session_id, {**playing, "position_s": 2.0})["changed"]  # same picture
        first = wait_for(received, lambda e, d: e == "context.changed")
        assert first["session_id"] == session_id and first["state"] == "playing"
        assert first["changes"][0] == {"field": "transport", "old": "stopped", "new": "playing"}
        # Over Socket.IO, on the other process: the ack carries the result, the room hears the change.
        ack = client.call("context.update", {"session_id": session_id, "focused": "mixer"}, timeout=10)
        assert ack["ok"] and ack["changed"] and ack["context"]["state"] == "mixing"
        same = client.call("context.update", {"session_id": session_id, "focused": "mixer"}, timeout=10)
        assert same["ok"] and not same["changed"]
        wait_for(received, lambda e, d: e == "context.changed" and d["state"] == "mixing")
        time.sleep(0.5)  # time for a stray duplicate to arrive
        changed = [d for e, d in received if e == "context.changed"]
        assert [d["state"] for d in changed] == ["playing", "mixing"]
        assert [d["version"] for d in changed] == [1, 2]  # the first update changed nothing
        bad = client.call("context.update", {"session_id": session_id, "transport": "paused"}, timeout=10)
        assert not bad["ok"] and "transport" in bad["error"]["message"]
        missing = client.call("context.update", {"focused": "mixer"}, timeout=10)
        assert not missing["ok"] and "session_id" in missing["error"]["message"]
        picture = requests.get(
            f"{api_urls[1]}/api/v1/sessions/{session_id}/context", headers=auth(), timeout=10
        )
        assert picture.json()["state"] == "mixing" and picture.json()["version"] == 2
    finally:
        client.disconnect()


def test_another_user_cannot_join_or_read_the_context(api_urls: list[str]) -> None:
    session_id = "own-" + uuid.uuid4().hex[:8]
    post(api_urls[0], session_id, {"transport": "playing"})
    r = requests.get(f"{api_urls[0]}/api/v1/sessions/{session_id}/context", headers=auth("bob"), timeout=10)
    assert r.status_code == 404
    client, _ = connect(api_urls[0], user="bob")
    try:
        ack = client.call("subscribe", {"session_id": session_id}, timeout=10)
        assert not ack["ok"] and ack["error"]["code"] == "not_found"
    finally:
        client.disconnect()


def test_concurrent_updates_from_two_processes_lose_nothing(api_urls: list[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    session_id = "race-" + uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: post(api_urls[i % 2], session_id, {"action": "adjust_fader"}), range(40)))
    picture = requests.get(f"{api_urls[0]}/api/v1/sessions/{session_id}/context", headers=auth(), timeout=10)
    assert picture.json()["action_count"] == 40 and len(picture.json()["actions"]) == 40
