"""The range each suggestion parameter may take: what "modified" feedback is checked against, and
what learned parameters and offsets are clamped to.

The largest move per suggestion type comes from core.suggestions.rules.PARAMETER_LIMITS (a cut's
gain is -12..0 dB, a boost's 0..+6); frequencies from the band table's audible range; the rest from
PARAMETER_RANGES and UNIT_RANGES below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from core.bands import BANDS
from core.errors import InvalidParameter
from core.suggestions.rules import PARAMETER_LIMITS

Range = tuple[float, float]

#: 20 Hz - 20 kHz: the edges of the band table (core.bands).
AUDIBLE_HZ: Range = (BANDS[0].low_hz, BANDS[-1].high_hz)
#: The widest learned log offset (Hz, ms, Q, ratio): the three decades of the audible range. Linear
#: offsets are bounded by their own parameter's range instead.
MAX_LOG_OFFSET = math.log(AUDIBLE_HZ[1] / AUDIBLE_HZ[0])

#: Where a suggestion type sets a parameter outside its unit's usual range: DC removal is a
#: high-pass below the audible range (core.suggestions.track suggests 10 Hz).
TYPE_RANGES: Mapping[tuple[str, str], Range] = {
    ("cleanup", "freq_hz"): (1.0, AUDIBLE_HZ[1]),
}

#: Per parameter name, for any suggestion type (house choice: the span of common DAW plug-in
#: controls). gain_db falls back to the widest move PARAMETER_LIMITS allows any type (a gain move).
PARAMETER_RANGES: Mapping[str, Range] = {
    "gain_db": PARAMETER_LIMITS[("gain", "gain_db")],
    "q": (0.1, 40.0),
    "ratio": (1.0, 100.0),
    "width": (0.0, 2.0),
    "slope_db_per_octave": (6.0, 96.0),
    "max_gain_reduction_db": (0.0, 48.0),
}

#: By unit suffix, for the remaining names (checked in order: "_dbtp" before "_db").
#: Levels run from the 24-bit floor (-144 dB, as the session schema's volume_db) to +24 dB; LUFS
#: from BS.1770's absolute gate (-70) to full scale; times up to 5 s (delays, releases) or 60 s (decays).
UNIT_RANGES: tuple[tuple[str, Range], ...] = (
    ("_hz", AUDIBLE_HZ),
    ("_ms", (0.0, 5000.0)),
    ("_s", (0.0, 60.0)),
    ("_pct", (0.0, 100.0)),
    ("_lufs", (-70.0, 0.0)),
    ("_dbtp", (-144.0, 0.0)),
    ("_db", (-144.0, 24.0)),
)


def parameter_range(suggestion_type: str, parameter: str) -> Range | None:
    """The (low, high) a ``parameter`` of a ``suggestion_type`` may take; None when no table knows it."""
    found = PARAMETER_LIMITS.get((suggestion_type, parameter)) or TYPE_RANGES.get(
        (suggestion_type, parameter)
    )
    if found is not None:
        return found
    if parameter in PARAMETER_RANGES:
        return PARAMETER_RANGES[parameter]
    return next((r for suffix, r in UNIT_RANGES if parameter.endswith(suffix)), None)


def clamp_parameter(suggestion_type: str, parameter: str, value: float) -> float:
    """``value`` inside the parameter's range (unchanged when no range is known)."""
    limits = parameter_range(suggestion_type, parameter)
    if limits is None:
        return value
    return min(max(value, limits[0]), limits[1])


def bounded_offset(suggestion_type: str, parameter: str, offset: float, *, log_scale: bool) -> float:
    """A learned offset no wider than the parameter can move: its range's span (linear), or
    MAX_LOG_OFFSET (log ratio). Offsets folded from out-of-range feedback stored before
    feedback was range-checked come back inside."""
    if log_scale:
        bound = MAX_LOG_OFFSET
    else:
        limits = parameter_range(suggestion_type, parameter)
        bound = math.inf if limits is None else limits[1] - limits[0]
    return min(max(offset, -bound), bound)


def check_parameters(
    suggestion_type: str, before: Mapping[str, float], after: Mapping[str, float], *, where: str
) -> None:
    """Refuse (InvalidParameter, naming the parameter, the value and the range) a value in ``after``
    that the suggestion does not have (``before``), or that is not a finite number in its range (a
    value the suggestion itself holds is always accepted: a DAW may echo every parameter back)."""
    for name, value in after.items():
        if name not in before:
            known = ", ".join(sorted(before)) or "none"
            raise InvalidParameter(
                f"{where}.{name}: {suggestion_type} has no such parameter (it has {known})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidParameter(f"{where}.{name}={value!r} must be a finite number")
        limits = parameter_range(suggestion_type, name)
        if limits is not None and not limits[0] <= value <= limits[1] and value != before[name]:
            raise InvalidParameter(
                f"{where}.{name}={value!r} is outside {limits[0]:g}..{limits[1]:g}, "
                f"the range of {name} for {suggestion_type}"
            )
