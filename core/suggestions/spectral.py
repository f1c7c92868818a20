"""Spectral rules for one track: rumble, hiss, build-ups, dullness, sibilance, bass translation."""

from __future__ import annotations

import numpy as np

from core.bands import BAND_BY_NAME, BAND_NAMES, band_for
from core.results import TrackAnalysis
from core.suggestions.model import ParamValue, Suggestion
from core.suggestions.rules import THRESHOLDS, has_plugin
from core.suggestions.track_context import (
    TrackContext,
    emit,
    median_curve_db,
    peak_in,
    share_db,
    third_octaves,
    to_db,
)
from core.targets import per_octave_levels_db


def check_rumble(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    corner = ctx.profile.high_pass_hz
    share = share_db(a, lambda c: c < corner)
    if share is None or share < THRESHOLDS.rumble_share_db:
        return None
    excess = share - THRESHOLDS.rumble_share_db
    slope = 24 if share >= THRESHOLDS.rumble_steep_db else 12
    band = band_for(corner * 0.99)
    return emit(
        "high_pass",
        ctx,
        band.name if band else None,
        {"freq_hz": corner, "slope_db_per_octave": slope},
        2,
        0.6 + excess / 40,
        f"{share:.1f} dB of the track's power lies below {corner:g} Hz, where a "
        f"{ctx.track_type} track has no useful content (rumble, handling noise, spill).",
        {"share_below_db": share, "share_below_db_above": THRESHOLDS.rumble_share_db, "corner_hz": corner},
    )


def check_hiss(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    corner = ctx.profile.low_pass_hz
    if corner is None:
        return None
    share = share_db(a, lambda c: c > corner)
    if share is None or share < THRESHOLDS.hiss_share_db:
        return None
    return emit(
        "low_pass",
        ctx,
        "brilliance",
        {"freq_hz": corner, "slope_db_per_octave": 12},
        3,
        0.5 + (share - THRESHOLDS.hiss_share_db) / 40,
        f"{share:.1f} dB of the power lies above {corner:g} Hz: hiss or spill on a {ctx.track_type} track.",
        {"share_above_db": share, "share_above_db_above": THRESHOLDS.hiss_share_db, "corner_hz": corner},
    )


def check_buildups(a: TrackAnalysis, ctx: TrackContext) -> list[Suggestion]:
    levels = per_octave_levels_db(tuple(b.energy_db for b in a.spectrum.bands))
    out = []
    for i in range(1, len(BAND_NAMES) - 1):
        name = BAND_NAMES[i]
        here, lo, hi = levels[i], levels[i - 1], levels[i + 1]
        if name in ctx.profile.core_bands or here is None or lo is None or hi is None:
            continue
        excess = min(here - lo, here - hi)  # above both neighbours
        if excess < THRESHOLDS.bump_db:
            continue
        band = BAND_BY_NAME[name]
        freq, _ = peak_in(a, band.low_hz, band.high_hz)
        gain = -min(max(excess / 2.0, 2.0), 6.0)
        out.append(
            emit(
                "eq_cut",
                ctx,
                name,
                {"freq_hz": freq, "gain_db": gain, "q": 1.4},
                3,
                0.5 + (excess - THRESHOLDS.bump_db) / 20,
                f"The {name} band ({band.low_hz:g}-{band.high_hz:g} Hz) sits {excess:.1f} dB per "
                f"octave above both neighbours, outside where a {ctx.track_type} track lives: a build-up.",
                {"excess_db": excess, "excess_db_above": THRESHOLDS.bump_db, "peak_hz": freq},
            )
        )
    return out


def check_dull(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    if not ctx.profile.wants_presence:
        return None
    levels = per_octave_levels_db(tuple(b.energy_db for b in a.spectrum.bands))
    up, pres = levels[BAND_NAMES.index("upper_mid")], levels[BAND_NAMES.index("presence")]
    if up is None or pres is None:
        return None
    deficit = -float(10 * np.log10(0.5 * (10 ** (up / 10) + 10 ** (pres / 10))))
    if deficit < THRESHOLDS.dull_db:
        return None
    gain = min(2.0 + (deficit - THRESHOLDS.dull_db) / 2.0, 4.0)
    return emit(
        "eq_boost",
        ctx,
        "presence",
        {"freq_hz": 5000.0, "gain_db": gain, "q": 0.7},
        3,
        0.45 + (deficit - THRESHOLDS.dull_db) / 30,
        f"2-6 kHz sits {deficit:.1f} dB per octave below the mids: the {ctx.track_type} track "
        "lacks presence.",
        {"presence_deficit_db": deficit, "presence_deficit_db_above": THRESHOLDS.dull_db},
    )


def check_sibilance(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    if not ctx.profile.sibilant:
        return None
    centres, p = third_octaves(a)
    mid = p[(centres >= 1000) & (centres <= 3150)]
    freq, sib_db = peak_in(a, 4500, 10500)
    mid_db = to_db(float(mid.mean())) if mid.size else None
    if sib_db is None or mid_db is None:
        return None
    excess = sib_db - mid_db - THRESHOLDS.sibilance_db
    if excess < 0:
        return None
    band = band_for(freq)
    band_name = band.name if band else "presence"
    level = median_curve_db(a, band_name)
    if level is None:
        level = next((b.energy_db for b in a.spectrum.bands if b.name == band_name), None)
    params: dict[str, ParamValue] = {"freq_hz": freq, "gain_db": -min(3.0 + excess / 2.0, 8.0)}
    if level is not None:
        params["threshold_db"] = level
    has_de_esser = has_plugin(ctx.inserts, "de_esser")
    return emit(
        "de_ess",
        ctx,
        band_name,
        params,
        2,
        0.6 + excess / 20 - (0.25 if has_de_esser else 0.0),
        f"Sibilance: the 1/3 octave at {freq:g} Hz is {sib_db - mid_db:+.1f} dB against the "
        f"1-3 kHz average; a de-esser centred there, acting on the loud moments only"
        + (" (a de-esser is inserted: lower its threshold)." if has_de_esser else "."),
        {"sibilance_db": sib_db - mid_db, "sibilance_db_above": THRESHOLDS.sibilance_db, "peak_hz": freq},
    )


def check_translation(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    if ctx.track_type != "bass":
        return None
    levels = per_octave_levels_db(tuple(b.energy_db for b in a.spectrum.bands))
    bass = levels[BAND_NAMES.index("bass")]
    if bass is None:
        return None
    gap = bass  # levels are relative to the mid band
    if gap < THRESHOLDS.translation_db:
        return None
    return emit(
        "saturation",
        ctx,
        "mid",
        {"drive_db": min(3.0 + (gap - THRESHOLDS.translation_db) / 5, 8.0), "mix_pct": 30.0},
        3,
        0.55,
        f"The mids sit {gap:.0f} dB per octave below the bass band: harmonics from gentle saturation "
        f"let the bass line read on small speakers.",
        {"bass_over_mid_db": gap, "bass_over_mid_db_above": THRESHOLDS.translation_db},
    )
