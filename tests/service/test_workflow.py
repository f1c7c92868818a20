"""The workflow of a session from its context actions, on in-memory ports: read, updated, announced."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from service.context import update_context
from service.messages import Event, WorkflowChanged
from service.ports import Ports
from service.sessions import put_session
from service.workflow import MAX_HISTORY, session_workflow
from tests.conftest import wav_bytes

TRACKS = [("kick", "kick"), ("bass", "bass"), ("vox", "vocals"), ("gtr", "guitar"), ("bus", "mix_bus")]


def workflow_events(ports: Ports) -> list[WorkflowChanged]:
    sent = ports.publisher.sent  # type: ignore[attr-defined]
    return [m for m, _ in sent if m.event is Event.WORKFLOW_CHANGED]


def act(ports: Ports, session_id: str, track: str, action: str, t: float) -> None:
    update_context(
        ports, owner="alice", session_id=session_id, data={"selected_track": track, "action": action}, now_s=t
    )


def test_drums_and_bass_first_and_the_bus_last_read_bottom_up_announced_on_change(ports: Ports) -> None:
    sha = ports.blobs.put_bytes(wav_bytes(seed=1))
    ports.jobs.add_blob("alice", sha)
    tracks = [{"track_id": tid, "name": tid.title(), "type": type_, "sha256": sha} for tid, type_ in TRACKS]
    put_session(ports, owner="alice", session_id="s", doc={"tracks": tracks})
    assert session_workflow(ports, owner="alice", session_id="s")["pattern"] == "undetermined"

    t = 1000.0
    for track in ("kick", "bass", "vox", "gtr", "bus"):  # the bus is named by its name, not its id
        for _ in range(5):
            act(ports, "s", track if track != "bus" else "Bus", "adjust_eq", t)
            t += 10.0
    workflow = session_workflow(ports, owner="alice", session_id="s")
    assert workflow["pattern"] == "bottom_up", workflow["reasons"]
    assert workflow["stats"]["n_actions"] == 25 and workflow["efficiency"] == 1.0
    assert "bus last" in workflow["reasons"][0]

    events = workflow_events(ports)
    assert events[-1].pattern == "bottom_up" and events[-1].session_id == "s"
    assert len(events) < 25  # only when the pattern or the tips change
    for _ in range(3):
        act(ports, "s", "Bus", "adjust_eq", t)
        t += 10.0
    assert len(workflow_events(ports)) == len(events)  # same pattern, same tips: nothing new


def test_solo_heavy_hopping_gets_its_tips_and_another_user_sees_nothing(ports: Ports) -> None:
    t = 0.0
    for k in range(24):
        act(ports, "hop", ["vox", "gtr", "keys", "pad"][k % 4], "solo" if k % 2 else "adjust_eq", t)
        t += 5.0
    workflow = session_workflow(ports, owner="alice", session_id="hop")  # context alone makes a session
    assert workflow["pattern"] == "scattered" and workflow["efficiency"] < 1.0
    assert any("solo" in r for r in workflow["reasons"]) and len(workflow["tips"]) >= 2
    assert workflow_events(ports)[-1].tips == workflow["tips"]
    with pytest.raises(NotFound):
        session_workflow(ports, owner="bob", session_id="hop")


def test_the_history_is_capped(ports: Ports) -> None:
    for k in range(MAX_HISTORY + 5):
        ports.contexts.append_action("alice", "cap", {"t": float(k), "action": "x"}, keep=MAX_HISTORY)
    history = ports.contexts.actions("alice", "cap")
    assert len(history) == MAX_HISTORY and history[0]["t"] == 5.0
