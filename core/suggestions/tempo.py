"""Tempo-synced times: delay times, reverb pre-delay and decay, compressor release.

A quarter note lasts 60 000 / bpm ms; dotted notes last 3/2 and triplets 2/3 of the straight value
(the standard delay-time formula, e.g. Owsinski, "The Mixing Engineer's Handbook", delay chapter).
"""

from __future__ import annotations

import math

from core.errors import InvalidParameter

#: Note values in quarter-note beats.
NOTE_BEATS: dict[str, float] = {
    "1/1": 4.0,
    "1/2": 2.0,
    "1/4": 1.0,
    "1/8": 0.5,
    "1/16": 0.25,
    "1/32": 0.125,
    "1/64": 0.0625,
}
MODIFIERS: dict[str, float] = {"straight": 1.0, "dotted": 1.5, "triplet": 2.0 / 3.0}
BEATS_PER_BAR = 4  # the session model assumes 4/4; the session input carries no metre
MIN_BPM, MAX_BPM = 20.0, 400.0


def check_bpm(bpm: float, *, field: str = "bpm") -> float:
    if isinstance(bpm, bool) or not isinstance(bpm, int | float) or not math.isfinite(bpm):
        raise InvalidParameter(f"{field}: expected a number, got {bpm!r}")
    if not MIN_BPM <= bpm <= MAX_BPM:
        raise InvalidParameter(f"{field}: {bpm} is outside {MIN_BPM:g}-{MAX_BPM:g} BPM")
    return float(bpm)


def note_ms(bpm: float, *, note: str = "1/4", modifier: str = "straight") -> float:
    """Duration of a note value at ``bpm`` in ms: 1/4 at 120 BPM is 500 ms."""
    check_bpm(bpm)
    if note not in NOTE_BEATS:
        raise InvalidParameter(f"note: {note!r} is not one of {', '.join(NOTE_BEATS)}")
    if modifier not in MODIFIERS:
        raise InvalidParameter(f"modifier: {modifier!r} is not one of {', '.join(MODIFIERS)}")
    return 60_000.0 / bpm * NOTE_BEATS[note] * MODIFIERS[modifier]


def bar_s(bpm: float) -> float:
    """Length of one 4/4 bar in seconds."""
    return note_ms(bpm, note="1/1") / 1000.0


def release_ms(
    bpm: float | None, *, note: str, default_ms: float, lo_ms: float = 30.0, hi_ms: float = 600.0
) -> float:
    """Compressor release timed to the groove: one ``note`` at ``bpm``, clamped.

    ``default_ms`` when there is no tempo.
    """
    if bpm is None:
        return default_ms
    return min(max(note_ms(bpm, note=note), lo_ms), hi_ms)


def pre_delay_ms(bpm: float | None, *, default_ms: float = 20.0) -> float:
    """Reverb pre-delay of a 1/64 note (31 ms at 120 BPM), clamped to 10-60 ms."""
    if bpm is None:
        return default_ms
    return min(max(note_ms(bpm, note="1/64"), 10.0), 60.0)
