"""The DAW context's vocabulary and rule tables: states, intents, activity bands, focus keywords.

core.context folds updates with these; every threshold here is an engineering choice, not a
standard (activity bands follow the prototype's vocabulary: idle, moderate, active, very_active).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Transport(StrEnum):
    STOPPED = "stopped"
    PLAYING = "playing"
    RECORDING = "recording"


class DawState(StrEnum):
    IDLE = "idle"
    PLAYING = "playing"
    RECORDING = "recording"
    MIXING = "mixing"
    MASTERING = "mastering"


class Intent(StrEnum):
    """Declaration order breaks ties between equal scores."""

    EXPLORING = "exploring"
    MIXING = "mixing"
    CREATING = "creating"
    EDITING = "editing"
    LEARNING = "learning"


class Activity(StrEnum):
    IDLE = "idle"
    MODERATE = "moderate"
    ACTIVE = "active"
    VERY_ACTIVE = "very_active"


class FocusKind(StrEnum):
    NONE = "none"
    MIXER = "mixer"
    EDITOR = "editor"
    PLUGIN = "plugin"
    MASTERING = "mastering"


# --- the tables -------------------------------------------------------------------------------

#: Action name -> the intent it is evidence for. Unknown actions count for activity only.
# fmt: off
ACTION_INTENT: Mapping[str, Intent] = {
    **dict.fromkeys(("adjust_fader", "adjust_pan", "adjust_plugin", "add_plugin", "remove_plugin",
                     "bypass_plugin", "adjust_send", "mute", "solo", "automate", "adjust_eq",
                     "adjust_compressor"), Intent.MIXING),
    **dict.fromkeys(("cut", "split", "trim", "move_clip", "quantize", "edit_notes", "fade", "crossfade",
                     "duplicate", "delete_clip", "nudge", "undo", "redo"), Intent.EDITING),
    **dict.fromkeys(("record", "add_track", "add_instrument", "draw_notes", "add_clip", "load_sample",
                     "arm_track"), Intent.CREATING),
    **dict.fromkeys(("open_help", "view_tutorial", "ask_codette", "read_tip"), Intent.LEARNING),
    **dict.fromkeys(("browse_presets", "browse_samples", "audition_preset", "switch_view", "zoom",
                     "select_track"), Intent.EXPLORING),
}
# fmt: on

#: Focus strings (case-insensitive substrings) that mean the user is on the master bus or its tools.
MASTERING_FOCUS_KEYWORDS: tuple[str, ...] = (
    "master",
    "limiter",
    "maximizer",
    "loudness",
    "lufs",
    "true peak",
    "pro-l",
    "ozone",
)
#: Focus strings naming a DAW view rather than a plugin.
VIEW_FOCUS: Mapping[str, FocusKind] = {"mixer": FocusKind.MIXER, "editor": FocusKind.EDITOR}

ANY = None  # wildcard in STATE_RULES


@dataclass(frozen=True)
class StateRule:
    state: DawState
    transports: frozenset[Transport] | None = ANY
    focus: frozenset[FocusKind] | None = ANY
    needs_recent_mix_action: bool = False


_PLAYING = frozenset({Transport.PLAYING})
#: First match wins. Recording beats everything (never disturb a take); mastering is a focus.
STATE_RULES: tuple[StateRule, ...] = (
    StateRule(DawState.RECORDING, transports=frozenset({Transport.RECORDING})),
    StateRule(DawState.MASTERING, focus=frozenset({FocusKind.MASTERING})),
    StateRule(DawState.MIXING, focus=frozenset({FocusKind.MIXER})),
    StateRule(DawState.MIXING, transports=_PLAYING, focus=frozenset({FocusKind.PLUGIN})),
    StateRule(DawState.MIXING, transports=_PLAYING, needs_recent_mix_action=True),
    StateRule(DawState.PLAYING, transports=_PLAYING),
    StateRule(DawState.IDLE),
)
#: A mixing action this recent (seconds) makes playback count as mixing.
RECENT_MIX_ACTION_S = 15.0

#: The state is evidence for an intent too, weighted like this many actions.
STATE_INTENT_HINT: Mapping[DawState, tuple[Intent, float]] = {
    DawState.IDLE: (Intent.EXPLORING, 1.0),
    DawState.PLAYING: (Intent.EXPLORING, 1.0),
    DawState.RECORDING: (Intent.CREATING, 3.0),
    DawState.MIXING: (Intent.MIXING, 2.0),
    DawState.MASTERING: (Intent.MIXING, 2.0),
}
#: Pseudo-count added to the total, so little evidence gives low confidence.
INTENT_SMOOTHING = 2.0

#: Sliding window of actions (seconds) used for activity and intent; at most MAX_ACTIONS kept.
ACTION_WINDOW_S = 60.0
MAX_ACTIONS = 240
#: (lower bound in actions per minute, activity), highest first.
ACTIVITY_THRESHOLDS: tuple[tuple[float, Activity], ...] = (
    (30.0, Activity.VERY_ACTIVE),
    (10.0, Activity.ACTIVE),
    (1.0, Activity.MODERATE),
    (0.0, Activity.IDLE),
)

#: Fields whose change is published in context.changed.
CHANGE_FIELDS: tuple[str, ...] = (
    "transport",
    "selected_track",
    "armed_tracks",
    "focused",
    "state",
    "intent",
    "activity",
)
MAX_NAME_CHARS = 200
