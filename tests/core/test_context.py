"""core.context: a sequence of DAW updates gives the expected state, intent and activity, and a
change is reported only when a published field changed."""

from __future__ import annotations

import json

import pytest

from core.context import (
    ACTION_WINDOW_S,
    MAX_ACTIONS,
    RECENT_MIX_ACTION_S,
    Activity,
    ContextState,
    ContextUpdate,
    DawState,
    Intent,
    apply_update,
)
from core.errors import InvalidParameter

SID = "session-1"


def upd(**fields: object) -> ContextUpdate:
    return ContextUpdate.from_dict({"session_id": SID, **fields})


def run(steps: list[tuple[float, dict[str, object]]], state: ContextState | None = None):
    changes_seen = []
    for now_s, fields in steps:
        state, changes = apply_update(state, upd(**fields), now_s=now_s)
        changes_seen.append({c.field for c in changes})
    assert state is not None
    return state, changes_seen


def test_a_session_goes_from_idle_to_playing_mixing_mastering_and_recording():
    expected = [
        # (now, update, state, intent)
        (0.0, {}, DawState.IDLE, Intent.EXPLORING),
        (1.0, {"transport": "playing"}, DawState.PLAYING, Intent.EXPLORING),
        (2.0, {"focused": "mixer", "action": "adjust_fader"}, DawState.MIXING, Intent.MIXING),
        (3.0, {"focused": "FabFilter Pro-L 2", "action": "adjust_plugin"}, DawState.MASTERING, Intent.MIXING),
        (4.0, {"transport": "recording", "action": "record"}, DawState.RECORDING, Intent.CREATING),
        # stopped: the state follows at once, the intent follows the last minute's actions (2 mixing, 1 take)
        (5.0, {"transport": "stopped", "focused": "editor"}, DawState.IDLE, Intent.MIXING),
        (6.0, {"action": "cut"}, DawState.IDLE, Intent.MIXING),
        (7.0, {"action": "trim"}, DawState.IDLE, Intent.MIXING),  # a tie keeps declaration order
        (8.0, {"action": "split"}, DawState.IDLE, Intent.EDITING),
    ]
    state = None
    for now_s, fields, want_state, want_intent in expected:
        state, _ = apply_update(state, upd(**fields), now_s=now_s)
        assert (state.state, state.intent) == (want_state, want_intent), (now_s, fields)


def test_playback_with_a_recent_plugin_tweak_is_mixing_until_the_tweak_is_old():
    state, _ = run([(0.0, {"transport": "playing", "focused": "editor"}), (1.0, {"action": "adjust_plugin"})])
    assert state.state is DawState.MIXING
    later, changes = apply_update(state, upd(), now_s=1.0 + RECENT_MIX_ACTION_S + 0.5)
    assert later.state is DawState.PLAYING
    assert "state" in {c.field for c in changes}


@pytest.mark.parametrize(
    ("focused", "selected", "want"),
    [
        ("Limiter", None, DawState.MASTERING),
        ("Youlean Loudness Meter", None, DawState.MASTERING),
        ("mixer", "Master", DawState.MASTERING),
        ("mixer", "Vocals", DawState.MIXING),
        ("Valhalla Room", None, DawState.IDLE),  # a plugin while stopped is not mixing by itself
    ],
)
def test_focus_decides_mastering_and_mixing(focused: str, selected: str | None, want: DawState):
    fields: dict[str, object] = {"focused": focused}
    if selected:
        fields["selected_track"] = selected
    state, _ = apply_update(None, upd(**fields), now_s=0.0)
    assert state.state is want


def test_recording_wins_over_a_mastering_focus():
    state, _ = apply_update(None, upd(transport="recording", focused="limiter"), now_s=0.0)
    assert state.state is DawState.RECORDING


@pytest.mark.parametrize(
    ("n_actions", "want"),
    [
        (0, Activity.IDLE),
        (1, Activity.MODERATE),
        (9, Activity.MODERATE),
        (10, Activity.ACTIVE),
        (29, Activity.ACTIVE),
        (30, Activity.VERY_ACTIVE),
        (90, Activity.VERY_ACTIVE),
    ],
)
def test_activity_follows_actions_per_minute(n_actions: int, want: Activity):
    steps = [(i * 0.5, {"action": "zoom"}) for i in range(n_actions)]
    state, _ = run([(0.0, {}), *steps])
    assert state.activity is want
    assert state.actions_per_minute == pytest.approx(n_actions * 60.0 / ACTION_WINDOW_S)


def test_activity_falls_back_to_idle_when_the_window_empties():
    state, _ = run([(float(i), {"action": "cut"}) for i in range(12)])
    assert state.activity is Activity.ACTIVE
    quiet, changes = apply_update(state, upd(), now_s=11.0 + ACTION_WINDOW_S)
    assert quiet.activity is Activity.IDLE and quiet.actions == ()
    assert {c.field for c in changes} >= {"activity"}
    assert quiet.action_count == 12  # the running count survives the window (implicit feedback uses it)


@pytest.mark.parametrize(
    ("actions", "want"),
    [
        (["cut", "trim", "move_clip", "quantize"], Intent.EDITING),
        (["open_help", "view_tutorial", "ask_codette"], Intent.LEARNING),
        (["add_track", "add_instrument", "draw_notes"], Intent.CREATING),
        (["browse_presets", "audition_preset", "browse_samples"], Intent.EXPLORING),
    ],
)
def test_intent_follows_the_actions(actions: list[str], want: Intent):
    state, _ = run([(float(i), {"action": a}) for i, a in enumerate(actions)])
    assert state.intent is want


def test_intent_confidence_grows_with_evidence():
    few, _ = run([(0.0, {"action": "cut"}), (1.0, {"action": "trim"})])
    many, _ = run([(float(i), {"action": "cut"}) for i in range(20)])
    assert few.intent is many.intent is Intent.EDITING
    assert 0.0 < few.intent_confidence < many.intent_confidence < 1.0


def test_no_change_is_reported_when_nothing_published_changed():
    state, _ = run([(0.0, {"transport": "playing", "selected_track": "t1", "armed_tracks": ["t2", "t1"]})])
    version = state.version
    for now_s, fields in [
        (0.1, {"transport": "playing"}),
        (0.2, {"position_s": 12.5}),
        (0.3, {"armed_tracks": ["t1", "t2"]}),  # same set, other order
        (0.4, {}),
    ]:
        state, changes = apply_update(state, upd(**fields), now_s=now_s)
        assert changes == (), fields
    assert state.version == version
    assert state.position_s == 12.5  # tracked, though not a published change


def test_changes_name_exactly_the_fields_that_changed_and_bump_the_version():
    state, _ = run([(0.0, {"transport": "playing"})])
    nxt, changes = apply_update(state, upd(selected_track="t7"), now_s=1.0)
    assert [c.to_dict() for c in changes] == [{"field": "selected_track", "old": None, "new": "t7"}]
    assert nxt.version == state.version + 1
    cleared, changes = apply_update(
        nxt, ContextUpdate.from_dict({"session_id": SID, "selected_track": None}), now_s=2.0
    )
    assert cleared.selected_track is None
    assert [c.field for c in changes] == ["selected_track"]


def test_state_round_trips_through_json_exactly():
    state, _ = run(
        [
            (
                0.1,
                {"transport": "playing", "position_s": 1.0 / 3.0, "selected_track": "t1", "focused": "mixer"},
            ),
            (0.7, {"action": "adjust_fader", "armed_tracks": ["b", "a"]}),
            (1.3, {"action": "cut"}),
        ]
    )
    text = json.dumps(state.to_dict(), allow_nan=False)
    again = ContextState.from_dict(json.loads(text))
    assert again == state
    assert json.dumps(again.to_dict(), allow_nan=False) == text


def test_a_late_clock_does_not_move_time_backwards():
    state, _ = run([(10.0, {"action": "cut"})])
    late, _ = apply_update(state, upd(action="trim"), now_s=5.0)
    assert late.updated_at_s == 10.0
    assert [a.at_s for a in late.actions] == [10.0, 10.0]


def test_the_action_window_is_bounded():
    state, _ = run([(i * 0.001, {"action": "zoom"}) for i in range(MAX_ACTIONS + 50)])
    assert len(state.actions) == MAX_ACTIONS
    assert state.action_count == MAX_ACTIONS + 50


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"session_id": SID, "transport": "paused"}, "transport"),
        ({"session_id": SID, "position_s": -1}, "position_s"),
        ({"session_id": SID, "position_s": float("nan")}, "position_s"),
        ({"session_id": SID, "armed_tracks": "t1"}, "armed_tracks"),
        ({"session_id": SID, "selected_track": 3}, "selected_track"),
        ({"session_id": ""}, "session_id"),
    ],
)
def test_bad_updates_name_the_field(payload: dict[str, object], field: str):
    with pytest.raises(InvalidParameter, match=field):
        ContextUpdate.from_dict(payload)


def test_an_update_for_another_session_is_refused():
    with pytest.raises(InvalidParameter, match="session"):
        ContextUpdate.from_dict({"session_id": "a"}, session_id="b")
    state, _ = apply_update(None, upd(), now_s=0.0)
    with pytest.raises(InvalidParameter, match="session"):
        apply_update(state, ContextUpdate(session_id="other"), now_s=1.0)


def test_a_stored_state_missing_a_field_is_refused_by_name():
    data = ContextState(session_id=SID).to_dict()
    del data["intent"]
    with pytest.raises(InvalidParameter, match="intent"):
        ContextState.from_dict(data)
