"""Parameter adaptation: start a user's suggestions where their "modified" feedback says they go."""

from __future__ import annotations

import math
from collections.abc import Mapping

from core.learning.events import MIX_TRACK_TYPE
from core.learning.profile import LearningProfile


def adapt_parameters(
    parameters: Mapping[str, float | int | str],
    *,
    suggestion_type: str,
    track_type: str | None,
    profile: LearningProfile | None,
) -> tuple[tuple[str, float | int | str], ...]:
    """The suggestion's parameters moved by the user's learned offsets, as sorted (name, value) pairs.

    Log-scale parameters (Hz, ms, Q, ratio) are multiplied by ``exp(offset)``; the others get
    ``+ offset``. Parameters the user never modified, and non-numeric ones, are returned unchanged.
    """
    track = track_type or MIX_TRACK_TYPE
    offsets = {
        o.parameter: o
        for o in (profile.offsets if profile is not None else ())
        if o.suggestion_type == suggestion_type and o.track_type == track
    }
    out: list[tuple[str, float | int | str]] = []
    for name, value in sorted(parameters.items()):
        o = offsets.get(name)
        if o is None or isinstance(value, str | bool):
            out.append((name, value))
        elif o.scale == "log":
            out.append((name, float(value) * math.exp(o.offset) if value > 0 else float(value)))
        else:
            out.append((name, float(value) + o.offset))
    return tuple(out)
