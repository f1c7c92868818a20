"""Suggestions for one track, derived from its analysis, its type and the session context.

Each rule reads measurements and returns zero or one suggestion with the evidence it fired on;
nothing here is a fixed list per type (the type only picks the table row of core.suggestions.rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from core.bands import BAND_BY_NAME, BAND_NAMES, band_for
from core.errors import InvalidParameter
from core.results import TrackAnalysis
from core.suggestions import tempo
from core.suggestions.mastering import platform_suggestions, tonal_balance_suggestions
from core.suggestions.model import BUS_TYPES, TRACK_TYPES, Suggestion, make_suggestion, resolve
from core.suggestions.rules import THRESHOLDS, TYPE_PROFILES, TypeProfile, has_plugin
from core.targets import DEFAULT_GENRE, GENRE_TARGETS, canonical_genre, per_octave_levels_db

#: A detected tempo is used for timing only at or above this confidence.
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


def _power(levels_db: Iterable[float | None]) -> np.ndarray:
    return np.array([0.0 if v is None else 10.0 ** (v / 10.0) for v in levels_db])


def _db(p: float) -> float | None:
    return float(10.0 * np.log10(p)) if p > 1e-20 else None


def _third_octaves(a: TrackAnalysis) -> tuple[np.ndarray, np.ndarray]:
    centres = np.array([t.centre_hz for t in a.spectrum.third_octave], dtype=float)
    return centres, _power(t.level_db for t in a.spectrum.third_octave)


def _share_db(a: TrackAnalysis, mask_fn: Callable[[np.ndarray], np.ndarray]) -> float | None:
    centres, p = _third_octaves(a)
    total = float(p.sum())
    if total <= 0:
        return None
    return _db(float(p[mask_fn(centres)].sum()) / total)


def _peak_in(a: TrackAnalysis, lo_hz: float, hi_hz: float) -> tuple[float, float | None]:
    """(centre_hz, level_db) of the loudest 1/3 octave with centre in [lo, hi)."""
    centres, p = _third_octaves(a)
    sel = np.flatnonzero((centres >= lo_hz) & (centres < hi_hz))
    if sel.size == 0:
        return float(np.sqrt(lo_hz * hi_hz)), None
    i = sel[int(np.argmax(p[sel]))]
    return float(centres[i]), _db(float(p[i]))


def _median_curve_db(a: TrackAnalysis, band: str) -> float | None:
    curves = a.spectrum.band_curves
    if band not in curves.names:
        return None
    vals = [v for v in curves.values_db[curves.names.index(band)] if v is not None]
    return float(np.median(vals)) if vals else None


def _s(
    type_: str,
    ctx: TrackContext,
    band: str | None,
    params: dict,
    priority: int,
    confidence: float,
    reason: str,
    evidence: dict,
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


def _rumble(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    corner = ctx.profile.high_pass_hz
    share = _share_db(a, lambda c: c < corner)
    if share is None or share < THRESHOLDS.rumble_share_db:
        return None
    excess = share - THRESHOLDS.rumble_share_db
    slope = 24 if share >= THRESHOLDS.rumble_steep_db else 12
    band = band_for(corner * 0.99)
    return _s(
        "high_pass",
        ctx,
        band.name if band else None,
        {"freq_hz": corner, "slope_db_per_octave": slope},
        2,
        0.6 + excess / 40,
        f"{share:.1f} dB of the track's power lies below {corner:g} Hz, where a "
        f"{ctx.track_type} track has no useful content (rumble, handling noise, spill).",
        {"share_below_db": share, "corner_hz": corner},
    )


def _hiss(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    corner = ctx.profile.low_pass_hz
    if corner is None:
        return None
    share = _share_db(a, lambda c: c > corner)
    if share is None or share < THRESHOLDS.hiss_share_db:
        return None
    return _s(
        "low_pass",
        ctx,
        "brilliance",
        {"freq_hz": corner, "slope_db_per_octave": 12},
        3,
        0.5 + (share - THRESHOLDS.hiss_share_db) / 40,
        f"{share:.1f} dB of the power lies above {corner:g} Hz: hiss or spill on a {ctx.track_type}.",
        {"share_above_db": share, "corner_hz": corner},
    )


def _buildups(a: TrackAnalysis, ctx: TrackContext) -> list[Suggestion]:
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
        freq, _ = _peak_in(a, band.low_hz, band.high_hz)
        gain = -min(max(excess / 2.0, 2.0), 6.0)
        out.append(
            _s(
                "eq_cut",
                ctx,
                name,
                {"freq_hz": freq, "gain_db": gain, "q": 1.4},
                3,
                0.5 + (excess - THRESHOLDS.bump_db) / 20,
                f"The {name} band ({band.low_hz:g}-{band.high_hz:g} Hz) sits {excess:.1f} dB per "
                f"octave above both neighbours, outside where a {ctx.track_type} track lives: a build-up.",
                {"excess_db": excess, "peak_hz": freq},
            )
        )
    return out


def _dull(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
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
    return _s(
        "eq_boost",
        ctx,
        "presence",
        {"freq_hz": 5000.0, "gain_db": gain, "q": 0.7},
        3,
        0.45 + (deficit - THRESHOLDS.dull_db) / 30,
        f"2-6 kHz sits {deficit:.1f} dB per octave below the mids: the {ctx.track_type} lacks presence.",
        {"presence_deficit_db": deficit},
    )


def _sibilance(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    if not ctx.profile.sibilant:
        return None
    centres, p = _third_octaves(a)
    mid = p[(centres >= 1000) & (centres <= 3150)]
    freq, sib_db = _peak_in(a, 4500, 10500)
    mid_db = _db(float(mid.mean())) if mid.size else None
    if sib_db is None or mid_db is None:
        return None
    excess = sib_db - mid_db - THRESHOLDS.sibilance_db
    if excess < 0:
        return None
    band = band_for(freq)
    band_name = band.name if band else "presence"
    level = _median_curve_db(a, band_name)
    if level is None:
        level = next((b.energy_db for b in a.spectrum.bands if b.name == band_name), None)
    params: dict = {"freq_hz": freq, "gain_db": -min(3.0 + excess / 2.0, 8.0)}
    if level is not None:
        params["threshold_db"] = level
    return _s(
        "de_ess",
        ctx,
        band_name,
        params,
        2,
        0.6 + excess / 20,
        f"Sibilance: the 1/3 octave at {freq:g} Hz is {sib_db - mid_db:+.1f} dB against the "
        f"1-3 kHz average; a de-esser centred there, acting on the loud moments only.",
        {"sibilance_db": sib_db - mid_db, "peak_hz": freq},
    )


def _compression(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    crest, rms = a.dynamics.crest_factor_db, a.dynamics.rms_dbfs
    cmax = ctx.profile.crest_max_db
    if ctx.track_type in BUS_TYPES or crest is None or rms is None or crest <= cmax:
        return None
    threshold = rms + 0.5 * cmax
    ratio = min(max((crest - 0.5 * cmax) / (0.5 * cmax), 1.5), 8.0)
    release = tempo.release_ms(
        ctx.bpm, note=ctx.profile.release_note, default_ms=ctx.profile.release_default_ms
    )
    has_comp = has_plugin(ctx.inserts, "compressor")
    lra = a.loudness.range_lu
    reason = (
        f"Crest factor {crest:.1f} dB (peaks far above the body; {cmax:g} dB is usual for a "
        f"{ctx.track_type}); threshold between RMS and peaks, ratio to bring peaks to ~{cmax:g} dB"
        + (f", release {release:.0f} ms timed to {ctx.bpm:g} BPM" if ctx.bpm else "")
        + (" (a compressor is already inserted: check its settings)" if has_comp else "")
        + "."
    )
    return _s(
        "compression",
        ctx,
        None,
        {
            "threshold_db": threshold,
            "ratio": ratio,
            "attack_ms": ctx.profile.attack_ms,
            "release_ms": release,
        },
        2 if ctx.track_type in ("vocals", "bass") else 3,
        0.5 + min((crest - cmax) / 20, 0.4) - (0.2 if has_comp else 0.0),
        reason,
        {"crest_factor_db": crest, "rms_dbfs": rms, "loudness_range_lu": lra},
    )


def _clipping(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    d = a.dynamics
    if ctx.track_type in BUS_TYPES:
        return None
    if d.clipped_samples <= 0 and (d.peak_dbfs is None or d.peak_dbfs < THRESHOLDS.clip_peak_dbfs):
        return None
    return _s(
        "cleanup",
        ctx,
        None,
        {"process": "declip"},
        1,
        0.9 if d.clipped_samples > 0 else 0.6,
        f"{d.clipped_samples} clipped samples, peak {d.peak_dbfs} dBFS: re-export or re-record lower, "
        f"or repair with a declipper.",
        {"clipped_samples": d.clipped_samples, "peak_dbfs": d.peak_dbfs},
    )


def _dc(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    dc = a.dynamics.dc_offset
    if abs(dc) < THRESHOLDS.dc_offset:
        return None
    return _s(
        "cleanup",
        ctx,
        None,
        {"process": "dc_removal", "freq_hz": 10.0},
        2,
        0.85,
        f"DC offset {dc:+.4f} of full scale wastes headroom and clicks at edits.",
        {"dc_offset": dc},
    )


def _noise(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    nf, gaps = a.dynamics.noise_floor_dbfs, a.dynamics.silence_ratio
    if (
        nf is None
        or nf < THRESHOLDS.noise_floor_dbfs
        or gaps < THRESHOLDS.gap_ratio
        or ctx.track_type in BUS_TYPES
    ):
        return None
    release = tempo.release_ms(ctx.bpm, note="1/16", default_ms=100.0)
    return _s(
        "cleanup",
        ctx,
        None,
        {"process": "gate", "threshold_db": nf + 6.0, "attack_ms": 1.0, "release_ms": release},
        3,
        0.6,
        f"Noise floor {nf:.1f} dBFS is audible in the gaps ({100 * gaps:.0f}% of the track): gate "
        f"6 dB above it or use noise reduction.",
        {"noise_floor_dbfs": nf, "silence_ratio": gaps},
    )


def _stereo(a: TrackAnalysis, ctx: TrackContext) -> list[Suggestion]:
    st, out = a.stereo, []
    if st is not None and st.correlation is not None and st.correlation < THRESHOLDS.phase_correlation:
        out.append(
            _s(
                "phase_fix",
                ctx,
                None,
                {"action": "check_polarity_and_alignment"},
                1,
                0.6 + min(-st.correlation, 0.35),
                f"Left/right correlation {st.correlation:.2f}: the channels partly cancel in mono "
                f"({st.mono_loss_db} dB lost).",
                {"correlation": st.correlation, "mono_loss_db": st.mono_loss_db},
            )
        )
    if (
        ctx.profile.mono_low_end
        and st is not None
        and st.width is not None
        and st.width > THRESHOLDS.low_end_width
    ):
        out.append(
            _s(
                "stereo_width",
                ctx,
                "bass",
                {"mono_below_hz": 120.0, "width": 0.0},
                2,
                0.7,
                f"Width {st.width:.2f} on a {ctx.track_type}: keep the low end mono for punch and "
                f"mono/vinyl compatibility.",
                {"width": st.width},
            )
        )
    if ctx.profile.wants_width and (
        st is None or (st.width is not None and st.width < THRESHOLDS.mono_width)
    ):
        w = None if st is None else st.width
        out.append(
            _s(
                "stereo_width",
                ctx,
                None,
                {"width": 1.3},
                5,
                0.35,
                f"The {ctx.track_type} is {'a mono file' if st is None else f'nearly mono (width {w:.2f})'}: "
                f"widen, double or pan it to leave the centre to vocals, kick and bass.",
                {"width": w},
            )
        )
    return out


def _ambience(a: TrackAnalysis, ctx: TrackContext) -> list[Suggestion]:
    st = a.stereo
    dry = st is None or (st.width is not None and st.width < 0.1)
    if not dry:
        return []
    g = GENRE_TARGETS[ctx.genre]
    out = []
    if "reverb" in ctx.profile.ambience and not has_plugin(ctx.inserts, "reverb"):
        decay = 1.5 if ctx.bpm is None else min(max(g.reverb_decay_beats * 60.0 / ctx.bpm, 0.6), 4.0)
        pre = tempo.pre_delay_ms(ctx.bpm)
        out.append(
            _s(
                "reverb",
                ctx,
                None,
                {"pre_delay_ms": pre, "decay_s": decay, "send_db": -18.0},
                4,
                0.45,
                f"The {ctx.track_type} is dry (no reverb insert, {'mono' if st is None else 'width < 0.1'}); "
                + (
                    f"pre-delay 1/64 note and decay {g.reverb_decay_beats:g} beats at {ctx.bpm:g} BPM."
                    if ctx.bpm
                    else "no tempo, so default times."
                ),
                {"width": None if st is None else st.width},
            )
        )
    if "delay" in ctx.profile.ambience and ctx.bpm is not None and not has_plugin(ctx.inserts, "delay"):
        t = tempo.note_ms(ctx.bpm, note=g.delay_note, modifier=g.delay_modifier)
        label = g.delay_note + ("" if g.delay_modifier == "straight" else f" {g.delay_modifier}")
        out.append(
            _s(
                "delay",
                ctx,
                None,
                {"time_ms": t, "note": label, "feedback_pct": 20.0, "send_db": -20.0},
                5,
                0.4,
                f"A tempo-synced {label} delay ({t:.0f} ms at {ctx.bpm:g} BPM, the {ctx.genre} default) "
                f"adds depth to a dry {ctx.track_type} without washing it out.",
                {"bpm": ctx.bpm},
            )
        )
    return out


def _translation(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    if ctx.track_type != "bass":
        return None
    levels = per_octave_levels_db(tuple(b.energy_db for b in a.spectrum.bands))
    bass = levels[BAND_NAMES.index("bass")]
    if bass is None:
        return None
    gap = bass  # levels are relative to the mid band
    if gap < THRESHOLDS.translation_db:
        return None
    return _s(
        "saturation",
        ctx,
        "mid",
        {"drive_db": min(3.0 + (gap - THRESHOLDS.translation_db) / 5, 8.0), "mix_pct": 30.0},
        3,
        0.55,
        f"The mids sit {gap:.0f} dB per octave below the bass band: harmonics from gentle saturation "
        f"let the bass line read on small speakers.",
        {"bass_over_mid_db": gap},
    )


_SINGLE: tuple[Callable[[TrackAnalysis, TrackContext], Suggestion | None], ...] = (
    _rumble,
    _hiss,
    _dull,
    _sibilance,
    _compression,
    _clipping,
    _dc,
    _noise,
    _translation,
)
_MULTI: tuple[Callable[[TrackAnalysis, TrackContext], list[Suggestion]], ...] = (
    _buildups,
    _stereo,
    _ambience,
)


def session_tempo(bpm: float | None, analysis: TrackAnalysis | None = None) -> float | None:
    """The session's tempo, else the track's detected tempo when confident, else None."""
    if bpm is not None:
        return tempo.check_bpm(bpm)
    r = None if analysis is None else analysis.rhythm
    if r is not None and r.tempo_bpm is not None and r.tempo_confidence >= MIN_TEMPO_CONFIDENCE:
        return float(r.tempo_bpm)
    return None


def suggest_for_track(
    analysis: TrackAnalysis,
    *,
    track_id: str,
    track_type: str,
    bpm: float | None = None,
    genre: str | None = None,
    platform: str | None = None,
    inserts: tuple[str, ...] = (),
) -> tuple[Suggestion, ...]:
    """Suggestions for one track, sorted by priority then confidence, free of contradictions.

    Parameters
    ----------
    analysis : TrackAnalysis
    track_id : str
        Goes into every suggestion's target and stable id.
    track_type : str
        One of core.suggestions.model.TRACK_TYPES.
    bpm : float, optional
        Session tempo; sets delay times, reverb pre-delay/decay and compressor release. Without it
        the track's detected tempo is used when confident.
    genre : str, optional
        Picks delay note, reverb decay and, for mix_bus/master, the tonal-balance target.
    platform : str, optional
        Loudness target for mix_bus/master (core.targets.PLATFORM_TARGETS; default Spotify).
    inserts : tuple of str
        Plugin names on the track; a matching plugin lowers or removes the corresponding advice.
    """
    if track_type not in TRACK_TYPES:
        raise InvalidParameter(f"track_type: {track_type!r} is not one of {', '.join(TRACK_TYPES)}")
    ctx = TrackContext(
        track_id=track_id,
        track_type=track_type,
        profile=TYPE_PROFILES[track_type],
        bpm=session_tempo(bpm, analysis),
        genre=canonical_genre(genre) if genre else DEFAULT_GENRE,
        platform=platform,
        inserts=tuple(inserts),
    )
    found: list[Suggestion] = []
    for rule in _SINGLE:
        s = rule(analysis, ctx)
        if s is not None:
            found.append(s)
    for multi in _MULTI:
        found.extend(multi(analysis, ctx))
    if track_type in BUS_TYPES:
        found.extend(
            platform_suggestions(
                analysis, track_id=track_id, track_type=track_type, platform=platform, bpm=ctx.bpm
            )
        )
        found.extend(
            tonal_balance_suggestions(analysis, track_id=track_id, track_type=track_type, genre=ctx.genre)
        )
    return resolve(found)
