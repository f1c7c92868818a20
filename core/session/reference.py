"""A session's reference tracks: their average tonal balance and loudness, the mix's distance from them,
and the EQ moves that bring the mix toward them.

When a session names references, they replace the genre's tonal target (the way a reference-based
tonal-balance meter, e.g. iZotope Tonal Balance Control, builds its target from one reference or a
folder of them). Each reference's per-octave levels are aligned on their median before averaging,
so a loud master and a quiet one weigh the same in the shape; loudness is the plain mean in LU.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.bands import BAND_BY_NAME, BAND_NAMES
from core.errors import InvalidParameter
from core.results import TrackAnalysis
from core.suggestions.mastering import BandDeviation, target_deviations
from core.suggestions.model import Suggestion, make_suggestion
from core.suggestions.wording import band_verb, band_words
from core.targets import TONAL_SILENT_BELOW_DB, per_octave_db

#: A band further than this from the reference's average is outside (dB). Tighter than the genre
#: curves' 4-5 dB: a reference is a measured target, not a genre-wide approximation (house choice).
REFERENCE_TOLERANCE_DB = 3.0
#: The largest EQ move suggested toward a reference (dB): a broad bell; beyond it the arrangement
#: or the source differs from the reference, not the EQ.
MAX_REFERENCE_MOVE_DB = 6.0
#: Q of the suggested broad bell (about 2 octaves wide, one band and its neighbours' edges).
REFERENCE_MOVE_Q = 0.7
#: At most this many references are averaged (the request schema refuses more).
MAX_REFERENCES = 16


@dataclass(frozen=True)
class ReferenceTarget:
    """The average of a session's reference tracks.

    ``band_levels_db``: per-octave level of each of the seven bands, each reference aligned on its
    median level (0 dB) before averaging; ``integrated_lufs`` and ``range_lu``: the references'
    mean (None when no reference has a value); ``mix_lufs_diff``: the estimated mix minus the
    references' loudness (None without both).
    """

    sha256: tuple[str, ...]
    names: tuple[str, ...]
    band_levels_db: tuple[float, ...]
    integrated_lufs: float | None
    range_lu: float | None
    tolerance_db: float
    mix_lufs_diff: float | None = None


def _aligned_levels(analysis: TrackAnalysis) -> list[float] | None:
    levels = per_octave_db(tuple(b.energy_db for b in analysis.spectrum.bands))
    present = [v for v in levels if v is not None]
    if not present:
        return None
    floor = max(present) - TONAL_SILENT_BELOW_DB
    floored = [floor if v is None else max(v, floor) for v in levels]
    median = float(np.median(floored))
    return [v - median for v in floored]


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 2) if known else None


def reference_target(references: Sequence[tuple[str, TrackAnalysis]]) -> ReferenceTarget:
    """Average ``(sha256, analysis)`` references; InvalidParameter when none has any sound."""
    if not references or len(references) > MAX_REFERENCES:
        raise InvalidParameter(f"references: expected 1 to {MAX_REFERENCES}, got {len(references)}")
    shapes = [(sha, a, _aligned_levels(a)) for sha, a in references]
    heard = [(sha, a, s) for sha, a, s in shapes if s is not None]
    if not heard:
        raise InvalidParameter("references: every reference is silent")
    bands = tuple(round(float(np.mean([s[k] for _, _, s in heard])), 2) for k in range(len(BAND_NAMES)))
    return ReferenceTarget(
        sha256=tuple(sha for sha, _, _ in heard),
        names=tuple(a.name for _, a, _ in heard),
        band_levels_db=bands,
        integrated_lufs=_mean([a.loudness.integrated_lufs for _, a, _ in heard]),
        range_lu=_mean([a.loudness.range_lu for _, a, _ in heard]),
        tolerance_db=REFERENCE_TOLERANCE_DB,
    )


def reference_deviations(
    band_energy_db: tuple[float | None, ...], reference: ReferenceTarget
) -> tuple[BandDeviation, ...]:
    """Per-band deviation of a mix (or a bus track) from the references' average tonal balance."""
    return target_deviations(
        band_energy_db, target_levels_db=reference.band_levels_db, tolerance_db=reference.tolerance_db
    )


def label(reference: ReferenceTarget) -> str:
    """How the advice names the references: ``the reference 'x.wav'`` or ``the 3 references``."""
    if len(reference.names) == 1:
        return f"the reference {reference.names[0]!r}"
    return f"the {len(reference.names)} references"


def carrier_of(
    band: str, candidates: Mapping[str, tuple[str, TrackAnalysis, float]]
) -> tuple[str, str] | None:
    """The ``(track_id, type)`` with the most energy in ``band`` (fader included); None if all silent.

    ``candidates`` maps track_id to ``(type, analysis, volume_db)``.
    """
    best: tuple[float, str, str] | None = None
    for track_id, (type_, analysis, volume_db) in candidates.items():
        energy = next((b.energy_db for b in analysis.spectrum.bands if b.name == band), None)
        if energy is not None and (best is None or energy + volume_db > best[0]):
            best = (energy + volume_db, track_id, type_)
    return None if best is None else (best[1], best[2])


def reference_move(
    deviation: BandDeviation, *, track_id: str, track_type: str, reference: ReferenceTarget, on_mix: bool
) -> Suggestion | None:
    """A broad bell on ``track_id`` that moves ``deviation.band`` toward the reference; None if inside."""
    if not deviation.outside or deviation.deviation_db is None:
        return None
    cut = deviation.deviation_db > 0
    amount = min(abs(deviation.deviation_db), MAX_REFERENCE_MOVE_DB)
    band = BAND_BY_NAME[deviation.band]
    where = "The mix's" if on_mix else "This bus's"
    carrier = " (the track that carries most of that band)" if on_mix else ""
    return make_suggestion(
        "eq_cut" if cut else "eq_boost",
        track_id=track_id,
        track_type=track_type,
        band=deviation.band,
        parameters={
            "freq_hz": band.centre_hz,
            "gain_db": -amount if cut else amount,
            "q": REFERENCE_MOVE_Q,
        },
        priority=2,
        confidence=0.6,
        reason=f"{where} {band_words(deviation.band)[4:]} {band_verb(deviation.band)} "
        f"{deviation.deviation_db:+.1f} dB against "
        f"{label(reference)} (tolerance ±{reference.tolerance_db:g} dB): a broad "
        f"{'cut' if cut else 'boost'} here{carrier} moves it toward the reference.",
        evidence={
            "deviation_db": round(deviation.deviation_db, 2),
            ("deviation_db_above" if cut else "deviation_db_below"): (
                reference.tolerance_db if cut else -reference.tolerance_db
            ),
            "reference_db": deviation.target_db,
            "reference": "average" if len(reference.names) > 1 else reference.names[0],
        },
    )
