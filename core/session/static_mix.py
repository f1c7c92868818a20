"""The static mix first: band moves judged with the session's fader moves made.

An engineer sets the faders before carving: a part 8 dB too loud outshines the bass, and the
conflict reads as a band problem until the fader comes down. A masking or dominance cut that is
gone once the level moves are applied is their symptom; advising both would take the band down
twice. One that remains keeps its own size and rank.

The carriers' cuts (low mids, presence, bass: core.session.mud, presence, low_end) are not judged
this way: a +6 dB bell at 320 Hz makes a part both muddy and louder, and on sessions-dev the fader
move then took the mud cut away in 5 of 12 cases (`python -m bench advice`: mud 12/15 -> 7/15),
where the cut is the fix and the level the symptom.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from core.results import TrackAnalysis
from core.session.masking import MaskingConflict, detect_dominance, detect_masking
from core.session.mixdown import StemGrid
from core.suggestions.model import Suggestion


def fader_moves(moves: Sequence[Suggestion]) -> dict[str, float]:
    """The level moves among ``moves``: track id -> gain (dB)."""
    return {
        s.target.track_id: float(s.parameters["gain_db"])
        for s in moves
        if s.type == "gain" and isinstance(s.parameters.get("gain_db"), float | int)
    }


def faded_grid(grid: StemGrid, gains: Mapping[str, float]) -> StemGrid:
    """``grid`` (band power after the fader) with each stem's gain move applied."""
    scale = np.array([10.0 ** (gains.get(t, 0.0) / 10.0) for t in grid.track_ids])
    return dataclasses.replace(grid, power=grid.power * scale[:, np.newaxis, np.newaxis])


def band_key(s: Suggestion) -> tuple[str, str | None]:
    return (s.target.track_id, s.target.band)


def static_mix_first(
    grid: StemGrid,
    analyses: Mapping[str, TrackAnalysis],
    levels: Sequence[Suggestion],
    dominance: Sequence[Suggestion],
    conflicts: Sequence[MaskingConflict],
) -> tuple[tuple[Suggestion, ...], tuple[MaskingConflict, ...]]:
    """The dominance cuts and masking conflicts still advised once the fader moves among ``levels``
    are made: by either rule on the faded grid (a dominance may read as a plain overlap once faded)."""
    gains = fader_moves(levels)
    if not gains:
        return tuple(dominance), tuple(conflicts)
    faded = faded_grid(grid, gains)
    kept = {band_key(s) for s in detect_dominance(faded, analyses)}
    kept |= {band_key(c.remedy) for c in detect_masking(faded, analyses).conflicts}
    return (
        tuple(s for s in dominance if band_key(s) in kept),
        tuple(c for c in conflicts if band_key(c.remedy) in kept),
    )
