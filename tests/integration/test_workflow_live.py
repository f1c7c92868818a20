"""workflow.changed through two real API processes and a real Socket.IO client (no mocks, no eager mode)."""

from __future__ import annotations

import itertools
import time
import uuid

import pytest
import requests

from tests.conftest import auth
from tests.integration.test_stack import connect, wait_for

pytestmark = pytest.mark.integration


def test_actions_from_rest_and_socketio_turn_the_workflow_bottom_up_and_the_room_hears_it(
    api_urls: list[str],
) -> None:
    session_id = "flow-" + uuid.uuid4().hex[:8]
    url = f"{api_urls[0]}/api/v1/sessions/{session_id}/context"
    assert requests.post(url, json={"transport": "playing"}, headers=auth(), timeout=10).status_code == 200
    client, received = connect(api_urls[1])
    try:
        assert client.call("subscribe", {"session_id": session_id}, timeout=10)["ok"]
        for track in ("kick", "drums", "bass"):  # REST, on one process
            for action in ("adjust_fader", "adjust_eq"):
                body = {"selected_track": track, "action": action}
                assert requests.post(url, json=body, headers=auth(), timeout=10).status_code == 200
        for track in ("vox", "keys", "master"):  # Socket.IO, on the other
            for action in ("adjust_fader", "adjust_eq"):
                update = {"session_id": session_id, "selected_track": track, "action": action}
                assert client.call("context.update", update, timeout=10)["ok"]
        last = wait_for(received, lambda e, d: e == "workflow.changed" and d["pattern"] == "bottom_up")
        assert last["session_id"] == session_id and "kick/drums/bass" in last["reasons"][0]
        time.sleep(0.5)  # time for a stray duplicate to arrive
        changes = [d for e, d in received if e == "workflow.changed"]
        assert len(changes) < 12  # announced on a change of pattern or tips, not per action
        assert all(a != b for a, b in itertools.pairwise(changes))
        rest = requests.get(
            f"{api_urls[0]}/api/v1/sessions/{session_id}/workflow", headers=auth(), timeout=10
        )
        assert rest.json()["pattern"] == "bottom_up" and rest.json()["stats"]["n_actions"] == 12
    finally:
        client.disconnect()
