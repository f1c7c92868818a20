"""How a user mixes, from a DAW action history: pattern, efficiency with its reasons, and tips.

Patterns (after the mixing approaches described in Owsinski, "The Mixing Engineer's Handbook",
"where to start the mix"): ``top_down`` starts on the mix bus/master and works into the tracks;
``bottom_up`` builds from the rhythm section (kick, drums, bass) and ends on the bus;
``track_by_track`` finishes one track before the next; ``scattered`` hops between tracks;
``undetermined`` until an action names a track.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from core.errors import InvalidParameter
from core.results import to_dict

WorkflowPattern = Literal["top_down", "bottom_up", "track_by_track", "scattered", "undetermined"]

IDLE_GAP_S = 120.0
#: Share of actions that are solos above which mixing counts as solo-heavy.
SOLO_HEAVY = 0.15
#: Share of revisits (runs on a track beyond its first) at or below which mixing is track-by-track.
TRACK_BY_TRACK_REVISITS = 0.2
OPENING_SHARE = 0.25
FOUNDATION_TYPES = frozenset({"kick", "drums", "snare", "bass"})
BUS_TYPES = frozenset({"mix_bus", "master"})
#: Keywords of a track's name that stand for its type when the session declares none (first match).
NAME_TYPES: tuple[tuple[str, str], ...] = (
    ("master", "master"),
    ("bus", "mix_bus"),
    ("kick", "kick"),
    ("snare", "snare"),
    ("drum", "drums"),
    ("808", "bass"),
    ("bass", "bass"),
)
UNDO_ACTIONS = frozenset({"undo"})
SOLO_ACTIONS = frozenset({"solo", "solo_on", "solo_toggle"})


@dataclass(frozen=True)
class Action:
    t: float
    action: str
    track_id: str | None = None
    param: str | None = None


@dataclass(frozen=True)
class WorkflowStats:
    n_actions: int
    duration_s: float
    undo_ratio: float
    undo_loops: int
    solo_ratio: float
    idle_s: float
    idle_ratio: float
    track_switches: int
    revisit_ratio: float


@dataclass(frozen=True)
class WorkflowResult:
    pattern: WorkflowPattern
    efficiency: float
    reasons: tuple[str, ...]
    tips: tuple[str, ...]
    stats: WorkflowStats

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)  # type: ignore[no-any-return]


def parse_actions(history: Sequence[Mapping[str, Any]]) -> tuple[Action, ...]:
    """Validate ``[{t, action, track_id, param}]``; InvalidParameter names the bad entry. Sorted by t."""
    out = []
    for i, raw in enumerate(history):
        if not isinstance(raw, Mapping):
            raise InvalidParameter(f"history[{i}]: expected an object")
        t = raw.get("t")
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
            raise InvalidParameter(f"history[{i}].t: expected seconds >= 0, got {t!r}")
        action = raw.get("action")
        if not isinstance(action, str) or not action:
            raise InvalidParameter(f"history[{i}].action: expected a non-empty string, got {action!r}")
        tid, param = raw.get("track_id"), raw.get("param")
        for name, v in (("track_id", tid), ("param", param)):
            if v is not None and not isinstance(v, str):
                raise InvalidParameter(f"history[{i}].{name}: expected a string or null, got {v!r}")
        out.append(Action(float(t), action.lower(), tid, None if param is None else str(param)))
    return tuple(sorted(out, key=lambda a: a.t))


def _undo_loops(actions: Sequence[Action]) -> int:
    """Times a change was undone and the same parameter changed again (trial and error)."""
    loops = 0
    for k in range(1, len(actions) - 1):
        prev, cur, nxt = actions[k - 1], actions[k], actions[k + 1]
        if (
            cur.action in UNDO_ACTIONS
            and prev.action not in UNDO_ACTIONS
            and nxt.action == prev.action
            and (nxt.track_id, nxt.param) == (prev.track_id, prev.param)
        ):
            loops += 1
    return loops


def _pattern(actions: Sequence[Action], types: Mapping[str, str]) -> tuple[WorkflowPattern, float, list[str]]:
    tracked = [a.track_id for a in actions if a.track_id is not None]
    runs = [tid for k, tid in enumerate(tracked) if k == 0 or tid != tracked[k - 1]]
    revisits = (len(runs) - len(set(runs))) / len(runs) if runs else 0.0
    if not runs:
        return "undetermined", 0.0, ["no action names a track yet"]

    def kind(tid: str) -> str:
        return types.get(tid) or next((t for word, t in NAME_TYPES if word in tid.lower()), "other")

    opening = tracked[: max(1, math.ceil(len(tracked) * OPENING_SHARE))]
    closing = tracked[-max(1, math.ceil(len(tracked) * OPENING_SHARE)) :]
    bus_open = sum(kind(t) in BUS_TYPES for t in opening) / len(opening)
    found_open = sum(kind(t) in FOUNDATION_TYPES for t in opening) / len(opening)
    bus_close = sum(kind(t) in BUS_TYPES for t in closing) / len(closing)
    if bus_open >= 0.5:
        return "top_down", revisits, [f"{100 * bus_open:.0f}% of the first actions are on the mix bus/master"]
    if found_open >= 0.5 and bus_open == 0:
        why = f"{100 * found_open:.0f}% of the first actions are on kick/drums/bass"
        return "bottom_up", revisits, [why + (", bus last" if bus_close > 0 else "")]
    if revisits <= TRACK_BY_TRACK_REVISITS:
        return "track_by_track", revisits, [f"tracks are revisited in only {100 * revisits:.0f}% of visits"]
    return "scattered", revisits, [f"{len(runs) - 1} switches between tracks, {100 * revisits:.0f}% revisits"]


def analyze_workflow(
    history: Sequence[Mapping[str, Any]], *, track_types: Mapping[str, str] | None = None
) -> WorkflowResult:
    """Pattern, efficiency (0-1) with its reasons, and tips, from a DAW action history."""
    actions = parse_actions(history)
    types = dict(track_types or {})
    n = len(actions)
    duration = actions[-1].t - actions[0].t if n > 1 else 0.0
    undos = sum(a.action in UNDO_ACTIONS for a in actions)
    solos = sum(a.action in SOLO_ACTIONS for a in actions)
    gaps = [b.t - a.t for a, b in itertools.pairwise(actions)]
    idle = float(sum(g for g in gaps if g > IDLE_GAP_S))
    loops = _undo_loops(actions)
    pattern, revisits, why = _pattern(actions, types)
    stats = WorkflowStats(
        n_actions=n,
        duration_s=round(duration, 2),
        undo_ratio=round(undos / n, 3) if n else 0.0,
        undo_loops=loops,
        solo_ratio=round(solos / n, 3) if n else 0.0,
        idle_s=round(idle, 2),
        idle_ratio=round(idle / duration, 3) if duration > 0 else 0.0,
        track_switches=sum(
            1
            for a, b in itertools.pairwise(actions)
            if a.track_id and b.track_id and a.track_id != b.track_id
        ),
        revisit_ratio=round(revisits, 3),
    )
    efficiency, reasons, tips = 1.0, list(why), []
    if stats.undo_ratio > 0.05 or loops >= 2:
        pen = min(stats.undo_ratio * 1.5 + 0.03 * loops, 0.35)
        efficiency -= pen
        reasons.append(
            f"undo loops: {undos} undos ({100 * stats.undo_ratio:.0f}% of actions), "
            f"{loops} undo-and-retry cycles"
        )
        tips.append(
            "A/B with the plugin's bypass or snapshots instead of undo; decide on a move, then commit."
        )
    if stats.solo_ratio > SOLO_HEAVY:
        pen = min((stats.solo_ratio - SOLO_HEAVY) * 1.5, 0.25)
        efficiency -= pen
        reasons.append(f"solo-heavy mixing: {100 * stats.solo_ratio:.0f}% of actions are solos")
        tips.append("EQ and compress in the context of the mix; solo only to find a problem, not to fix it.")
    if stats.idle_ratio > 0.1:
        efficiency -= min(stats.idle_ratio * 0.5, 0.25)
        reasons.append(f"long idle gaps: {idle / 60:.0f} min in pauses over {IDLE_GAP_S / 60:.0f} min")
        tips.append(
            "Short, focused passes with breaks between them keep the ears fresh and the session moving."
        )
    if pattern == "scattered":
        efficiency -= 0.1
        tips.append("Work in passes: balance first, then one track or one group at a time.")
    if pattern == "top_down":
        tips.append("Top-down works best when the bus chain stays light; revisit it after the track moves.")
    return WorkflowResult(
        pattern, round(min(max(efficiency, 0.0), 1.0), 3), tuple(reasons), tuple(tips), stats
    )
