"""The measures a suggestion cites, re-measured from any analysis of its track.

Each name here is an evidence key a rule in core.suggestions writes; the computation is the rule's
own (the same helpers and tables), so "before" equals the evidence and "after" is comparable.
"""

from __future__ import annotations

import numpy as np

from core.bands import BAND_NAMES
from core.results import TrackAnalysis
from core.suggestions.model import Suggestion
from core.suggestions.rules import TYPE_PROFILES
from core.suggestions.track_context import peak_in, share_db, sounding_dynamics, third_octaves, to_db
from core.targets import per_octave_levels_db

#: Always reported, whatever the suggestion cites: the level a listener hears and the peaks.
ALWAYS = ("integrated_lufs", "true_peak_dbtp")


def _excess_db(a: TrackAnalysis, band: str | None) -> float | None:
    if band is None or band not in BAND_NAMES:
        return None
    levels = per_octave_levels_db(tuple(b.energy_db for b in a.spectrum.bands))
    i = BAND_NAMES.index(band)
    if i == 0 or i == len(BAND_NAMES) - 1:
        return None
    here, lo, hi = levels[i], levels[i - 1], levels[i + 1]
    return None if here is None or lo is None or hi is None else float(min(here - lo, here - hi))


def _sibilance_db(a: TrackAnalysis) -> float | None:
    centres, p = third_octaves(a)
    mid = p[(centres >= 1000) & (centres <= 3150)]
    _, sib = peak_in(a, 4500, 10500)
    mid_db = to_db(float(mid.mean())) if mid.size else None
    return None if sib is None or mid_db is None else sib - mid_db


def _presence_deficit_db(a: TrackAnalysis) -> float | None:
    levels = per_octave_levels_db(tuple(b.energy_db for b in a.spectrum.bands))
    up, pres = levels[BAND_NAMES.index("upper_mid")], levels[BAND_NAMES.index("presence")]
    if up is None or pres is None:
        return None
    return -float(10 * np.log10(0.5 * (10 ** (up / 10) + 10 ** (pres / 10))))


def track_measures(a: TrackAnalysis, *, track_type: str, band: str | None = None) -> dict[str, float | None]:
    """Every measure the track rules cite, by evidence key (None where undefined, e.g. silence)."""
    profile = TYPE_PROFILES[track_type]
    low_pass = profile.low_pass_hz
    sounding_crest, sounding_rms = sounding_dynamics(a)
    share = next((b.share for b in a.spectrum.bands if b.name == band), None)
    return {
        "integrated_lufs": a.loudness.integrated_lufs,
        "true_peak_dbtp": a.loudness.true_peak_dbtp,
        "loudness_range_lu": a.loudness.range_lu,
        "peak_dbfs": a.dynamics.peak_dbfs,
        "rms_dbfs": a.dynamics.rms_dbfs,
        "crest_factor_db": a.dynamics.crest_factor_db,
        "sounding_crest_db": sounding_crest,
        "sounding_rms_dbfs": sounding_rms,
        "clipped_samples": float(a.dynamics.clipped_samples),
        "dc_offset_abs": abs(a.dynamics.dc_offset),
        "noise_floor_dbfs": a.dynamics.noise_floor_dbfs,
        "share_below_db": share_db(a, lambda c: c < profile.high_pass_hz),
        "share_above_db": None if low_pass is None else share_db(a, lambda c: c > low_pass),
        "excess_db": _excess_db(a, band),
        "band_share": share,
        "sibilance_db": _sibilance_db(a),
        "presence_deficit_db": _presence_deficit_db(a),
        "width": None if a.stereo is None else a.stereo.width,
        "correlation": None if a.stereo is None else a.stereo.correlation,
    }


def cited_measures(a: TrackAnalysis, suggestion: Suggestion, *, track_type: str) -> dict[str, float | None]:
    """The measures ``suggestion`` cites (plus ALWAYS), measured on ``a``; rounded to 0.01."""
    every = track_measures(a, track_type=track_type, band=suggestion.target.band)
    keys = [k for k in every if k in suggestion.evidence or k in ALWAYS]
    return {k: (None if every[k] is None else round(float(every[k]), 2)) for k in keys}  # type: ignore[arg-type]
