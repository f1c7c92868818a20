"""What a per-track rule sees: the track's context, spectrum helpers, and the suggestion builder."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from core.results import TrackAnalysis
from core.suggestions.model import ParamValue, Suggestion, make_suggestion
from core.suggestions.rules import TypeProfile

MIN_TEMPO_CONFIDENCE = 0.5


@dataclass(frozen=True)
class TrackContext:
    """What a rule knows besides the analysis."""

    track_id: str
    track_type: str
    profile: TypeProfile
    bpm: float | None
    genre: str
    platform: str | None
    inserts: tuple[str, ...]


def power(levels_db: Iterable[float | None]) -> np.ndarray:
    return np.array([0.0 if v is None else 10.0 ** (v / 10.0) for v in levels_db])


def to_db(p: float) -> float | None:
    return float(10.0 * np.log10(p)) if p > 1e-20 else None


def third_octaves(a: TrackAnalysis) -> tuple[np.ndarray, np.ndarray]:
    centres = np.array([t.centre_hz for t in a.spectrum.third_octave], dtype=float)
    return centres, power(t.level_db for t in a.spectrum.third_octave)


def share_db(a: TrackAnalysis, mask_fn: Callable[[np.ndarray], np.ndarray]) -> float | None:
    centres, p = third_octaves(a)
    total = float(p.sum())
    if total <= 0:
        return None
    return to_db(float(p[mask_fn(centres)].sum()) / total)


def peak_in(a: TrackAnalysis, lo_hz: float, hi_hz: float) -> tuple[float, float | None]:
    """(centre_hz, level_db) of the loudest 1/3 octave with centre in [lo, hi)."""
    centres, p = third_octaves(a)
    sel = np.flatnonzero((centres >= lo_hz) & (centres < hi_hz))
    if sel.size == 0:
        return float(np.sqrt(lo_hz * hi_hz)), None
    i = sel[int(np.argmax(p[sel]))]
    return float(centres[i]), to_db(float(p[i]))


def median_curve_db(a: TrackAnalysis, band: str) -> float | None:
    curves = a.spectrum.band_curves
    if band not in curves.names:
        return None
    vals = [v for v in curves.values_db[curves.names.index(band)] if v is not None]
    return float(np.median(vals)) if vals else None


def emit(
    type_: str,
    ctx: TrackContext,
    band: str | None,
    params: Mapping[str, ParamValue],
    priority: int,
    confidence: float,
    reason: str,
    evidence: Mapping[str, float | int | str | None],
) -> Suggestion:
    return make_suggestion(
        type_,
        track_id=ctx.track_id,
        track_type=ctx.track_type,
        band=band,
        parameters=params,
        priority=priority,
        confidence=confidence,
        reason=reason,
        evidence=evidence,
    )


# --- the rules -----------------------------------------------------------------------------------
