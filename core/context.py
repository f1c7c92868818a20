"""DAW context: what the user is doing now (state, intent, activity), as a pure fold over updates.

The service keeps one ``ContextState`` per session (JSON via ``to_dict``/``from_dict``, exact round
trip) and calls ``apply_update(state, update, now_s=...)`` for every ``context.update``; it publishes
``context.changed`` only when the returned ``changes`` are non-empty. An update with no fields is a
tick: it only lets time pass (actions leave the window, activity may fall to idle).

Published changes cover transport, selection, armed tracks, focus, state, intent and activity.
The play-head position and the action window are tracked but are not changes on their own: the
DAW streams positions many times a second and the room does not need to hear about each one.

Every rule lives in the tables of core.context_rules: action kinds, focus keywords, the ordered state rules,
the intent evidence and the activity thresholds. The thresholds are engineering choices, not a
standard: activity bands follow the prototype's vocabulary (idle, moderate, active, very_active).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from core.context_rules import (
    ACTION_INTENT,
    ACTION_WINDOW_S,
    ACTIVITY_THRESHOLDS,
    ANY,
    CHANGE_FIELDS,
    INTENT_SMOOTHING,
    MASTERING_FOCUS_KEYWORDS,
    MAX_ACTIONS,
    MAX_NAME_CHARS,
    RECENT_MIX_ACTION_S,
    STATE_INTENT_HINT,
    STATE_RULES,
    VIEW_FOCUS,
    Activity,
    FocusKind,
    Intent,
    Transport,
)
from core.context_rules import DawState as DawState  # re-exported: callers name the state from here
from core.errors import InvalidParameter

# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRecord:
    name: str
    at_s: float


@dataclass(frozen=True)
class ContextUpdate:
    """One ``context.update``. None means "not sent"; ``cleared`` names fields sent as null."""

    session_id: str
    transport: Transport | None = None
    position_s: float | None = None
    selected_track: str | None = None
    armed_tracks: tuple[str, ...] | None = None
    focused: str | None = None
    action: str | None = None
    cleared: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, session_id: str | None = None) -> ContextUpdate:
        """Validate a payload; raise InvalidParameter naming the bad field. Unknown keys are ignored.

        ``session_id`` (from the URL) wins over, and must agree with, the payload's.
        """
        if not isinstance(data, Mapping):
            raise InvalidParameter(f"context update must be an object, not {type(data).__name__}")
        sid = data.get("session_id", session_id)
        if session_id is not None and sid != session_id:
            raise InvalidParameter(f"session_id {sid!r} does not match the session {session_id!r}")
        cleared = frozenset(k for k in ("selected_track", "focused") if k in data and data[k] is None)
        transport = data.get("transport")
        if transport is not None and transport not in Transport._value2member_map_:
            raise InvalidParameter(f"transport {transport!r} is not one of {', '.join(Transport)}")
        position = data.get("position_s")
        if position is not None and (
            isinstance(position, bool)
            or not isinstance(position, int | float)
            or not math.isfinite(position)
            or position < 0
        ):
            raise InvalidParameter(f"position_s {position!r} must be a finite number >= 0")
        armed = data.get("armed_tracks")
        if armed is not None:
            if not isinstance(armed, list | tuple):
                raise InvalidParameter(f"armed_tracks {armed!r} must be a list of track ids")
            armed = tuple(sorted({_name(a, "armed_tracks[]") for a in armed}))
        return cls(
            session_id=_name(sid, "session_id"),
            transport=Transport(transport) if transport is not None else None,
            position_s=float(position) if position is not None else None,
            selected_track=_optional_name(data.get("selected_track"), "selected_track"),
            armed_tracks=armed,
            focused=_optional_name(data.get("focused"), "focused"),
            action=_optional_name(data.get("action"), "action"),
            cleared=cleared,
        )


@dataclass(frozen=True)
class Change:
    field: str
    old: str | tuple[str, ...] | None
    new: str | tuple[str, ...] | None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": _plain(self.old), "new": _plain(self.new)}


@dataclass(frozen=True)
class ContextState:
    """The current picture of one session; ``version`` grows by one with every published change."""

    session_id: str
    transport: Transport = Transport.STOPPED
    position_s: float = 0.0
    selected_track: str | None = None
    armed_tracks: tuple[str, ...] = ()
    focused: str | None = None
    state: DawState = DawState.IDLE
    intent: Intent = Intent.EXPLORING
    intent_confidence: float = 0.0
    activity: Activity = Activity.IDLE
    actions_per_minute: float = 0.0
    actions: tuple[ActionRecord, ...] = ()
    action_count: int = 0
    updated_at_s: float = 0.0
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "transport": self.transport.value,
            "position_s": self.position_s,
            "selected_track": self.selected_track,
            "armed_tracks": list(self.armed_tracks),
            "focused": self.focused,
            "state": self.state.value,
            "intent": self.intent.value,
            "intent_confidence": self.intent_confidence,
            "activity": self.activity.value,
            "actions_per_minute": self.actions_per_minute,
            "actions": [{"name": a.name, "at_s": a.at_s} for a in self.actions],
            "action_count": self.action_count,
            "updated_at_s": self.updated_at_s,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContextState:
        """Inverse of ``to_dict``; raises InvalidParameter naming a missing or bad field."""
        try:
            return cls(
                session_id=str(data["session_id"]),
                transport=Transport(data["transport"]),
                position_s=float(data["position_s"]),
                selected_track=data["selected_track"],
                armed_tracks=tuple(data["armed_tracks"]),
                focused=data["focused"],
                state=DawState(data["state"]),
                intent=Intent(data["intent"]),
                intent_confidence=float(data["intent_confidence"]),
                activity=Activity(data["activity"]),
                actions_per_minute=float(data["actions_per_minute"]),
                actions=tuple(ActionRecord(str(a["name"]), float(a["at_s"])) for a in data["actions"]),
                action_count=int(data["action_count"]),
                updated_at_s=float(data["updated_at_s"]),
                version=int(data["version"]),
            )
        except KeyError as exc:
            raise InvalidParameter(f"context state lacks field {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise InvalidParameter(f"context state has a bad value: {exc}") from exc


# --- the fold ---------------------------------------------------------------------------------


def new_state(session_id: str, *, now_s: float) -> ContextState:
    """The picture of a session nobody has reported on yet."""
    return ContextState(session_id=session_id, updated_at_s=now_s)


def apply_update(
    state: ContextState | None, update: ContextUpdate, *, now_s: float
) -> tuple[ContextState, tuple[Change, ...]]:
    """Fold one update into the session's state.

    Parameters
    ----------
    state : the previous state, or None for a new session.
    update : the validated update (``ContextUpdate.from_dict``).
    now_s : server time in seconds (any monotonic or epoch clock, used consistently). A time
        earlier than the state's last update is treated as equal to it (clock skew across processes).

    Returns
    -------
    (new_state, changes) : ``changes`` is empty when nothing in CHANGE_FIELDS changed; the
        version grows only when it is not.
    """
    prev = state if state is not None else new_state(update.session_id, now_s=now_s)
    if prev.session_id != update.session_id:
        raise InvalidParameter(f"update for session {update.session_id!r} applied to {prev.session_id!r}")
    now = max(now_s, prev.updated_at_s)

    actions = prev.actions
    action_count = prev.action_count
    if update.action is not None:
        actions = (*actions, ActionRecord(update.action, now))
        action_count += 1
    horizon = now - ACTION_WINDOW_S
    if actions and (actions[0].at_s <= horizon or len(actions) > MAX_ACTIONS):
        actions = tuple(a for a in actions if a.at_s > horizon)[-MAX_ACTIONS:]

    transport = update.transport if update.transport is not None else prev.transport
    selected = _pick(update.selected_track, prev.selected_track, "selected_track" in update.cleared)
    focused = _pick(update.focused, prev.focused, "focused" in update.cleared)
    armed = update.armed_tracks if update.armed_tracks is not None else prev.armed_tracks

    daw_state = classify_state(
        transport=transport, focused=focused, selected_track=selected, actions=actions, now_s=now
    )
    intent, confidence = estimate_intent(actions, state=daw_state)
    apm = len(actions) * 60.0 / ACTION_WINDOW_S
    nxt = replace(
        prev,
        transport=transport,
        position_s=update.position_s if update.position_s is not None else prev.position_s,
        selected_track=selected,
        armed_tracks=armed,
        focused=focused,
        state=daw_state,
        intent=intent,
        intent_confidence=confidence,
        activity=classify_activity(apm),
        actions_per_minute=apm,
        actions=actions,
        action_count=action_count,
        updated_at_s=now,
    )
    changes = diff(prev, nxt)
    if changes:
        nxt = replace(nxt, version=prev.version + 1)
    return nxt, changes


def diff(old: ContextState, new: ContextState) -> tuple[Change, ...]:
    """The published fields that differ, in CHANGE_FIELDS order."""
    out = []
    for name in CHANGE_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out.append(Change(name, a, b))
    return tuple(out)


def classify_focus(focused: str | None, *, selected_track: str | None = None) -> FocusKind:
    """Mastering if the focus (or the selected track) names the master bus or a mastering tool."""
    for text in (focused, selected_track):
        if text and any(k in text.lower() for k in MASTERING_FOCUS_KEYWORDS):
            return FocusKind.MASTERING
    if not focused:
        return FocusKind.NONE
    return VIEW_FOCUS.get(focused.lower(), FocusKind.PLUGIN)


def classify_state(
    *,
    transport: Transport,
    focused: str | None,
    selected_track: str | None,
    actions: tuple[ActionRecord, ...],
    now_s: float,
) -> DawState:
    """The first STATE_RULES entry that matches."""
    focus = classify_focus(focused, selected_track=selected_track)
    recent_mix = any(
        ACTION_INTENT.get(a.name) is Intent.MIXING and a.at_s >= now_s - RECENT_MIX_ACTION_S
        for a in reversed(actions)
    )
    for rule in STATE_RULES:
        if rule.transports is not ANY and transport not in rule.transports:
            continue
        if rule.focus is not ANY and focus not in rule.focus:
            continue
        if rule.needs_recent_mix_action and not recent_mix:
            continue
        return rule.state
    return DawState.IDLE


def estimate_intent(actions: tuple[ActionRecord, ...], *, state: DawState) -> tuple[Intent, float]:
    """Intent with the most evidence (actions in the window + the state's hint); confidence in [0, 1)."""
    scores = dict.fromkeys(Intent, 0.0)
    hint, weight = STATE_INTENT_HINT[state]
    scores[hint] += weight
    for a in actions:
        intent = ACTION_INTENT.get(a.name)
        if intent is not None:
            scores[intent] += 1.0
    best = max(Intent, key=lambda i: scores[i])  # max keeps the first of equals: declaration order
    total = sum(scores.values())
    return best, round(scores[best] / (total + INTENT_SMOOTHING), 3)


def classify_activity(actions_per_minute: float) -> Activity:
    for lower, activity in ACTIVITY_THRESHOLDS:
        if actions_per_minute >= lower:
            return activity
    return Activity.IDLE


# --- helpers ----------------------------------------------------------------------------------


def _pick(sent: str | None, previous: str | None, cleared: bool) -> str | None:
    if cleared:
        return None
    return sent if sent is not None else previous


def _name(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_CHARS:
        raise InvalidParameter(
            f"{field_name} {value!r} must be a non-empty string of at most {MAX_NAME_CHARS} characters"
        )
    return value


def _optional_name(value: Any, field_name: str) -> str | None:
    return None if value is None else _name(value, field_name)


def _plain(value: str | tuple[str, ...] | None) -> str | list[str] | None:
    if isinstance(value, tuple):
        return list(value)
    return None if value is None else str(value)  # a StrEnum becomes its plain value
