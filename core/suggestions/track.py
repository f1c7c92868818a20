"""Suggestions for one track, derived from its analysis, its type and the session context.

Each rule reads measurements and returns zero or one suggestion with the evidence it fired on;
nothing here is a fixed list per type (the type only picks the table row of core.suggestions.rules).
Spectral rules live in core.suggestions.spectral; level, stereo and ambience rules here.
"""

from __future__ import annotations

from collections.abc import Callable

from core.errors import InvalidParameter
from core.quality import judged_noise_floor
from core.results import StereoResult, TrackAnalysis
from core.suggestions import tempo
from core.suggestions.mastering import platform_suggestions, tonal_balance_suggestions
from core.suggestions.model import BUS_TYPES, TRACK_TYPES, ParamValue, Suggestion, resolve
from core.suggestions.rules import (
    CYMBALS_EXTRA_CREST_DB,
    CYMBALS_LOW_SHARE,
    HIT_TYPES,
    SQUASHED_BELOW_DB,
    THRESHOLDS,
    TYPE_PROFILES,
    UNIFORM_HITS_SPREAD_DB,
    has_plugin,
)
from core.suggestions.spectral import (
    check_buildups,
    check_dull,
    check_hiss,
    check_resonance,
    check_rumble,
    check_sibilance,
    check_translation,
)
from core.suggestions.track_context import MIN_TEMPO_CONFIDENCE, TrackContext, emit, sounding_dynamics
from core.suggestions.wording import a_track, bpm_words, type_noun
from core.targets import DEFAULT_GENRE, GENRE_TARGETS, canonical_genre

#: A crest factor this close (dB) to its type's usual is the part's own dynamics, not a reason to
#: compress: the crest moves this much between takes and verses of one part, and sessions-dev leads
#: and pads read 0.1-1.9 dB over their usual with nothing to fix (a 1.5:1 "tame the peaks" move
#: for 0.1 dB had been advised).
COMPRESSION_MARGIN_DB = 2.0
#: How far (dB) a vocal's or a bass's crest factor must stand over its type's usual before taming
#: the peaks is a defect (priority 3) rather than polish (4): half a severity step (SEVERITY_STEPS
#: sounding_crest_db, 6 dB), more than a take's crest moves between verses.
COMPRESSION_DEFECT_DB = 3.0


def _compression(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    crest, rms = sounding_dynamics(a)  # the part's rests are not its body
    cmax = ctx.profile.crest_max_db
    low_share = sum(b.share for b in a.spectrum.bands if b.high_hz <= 250.0)
    if ctx.track_type == "drums" and low_share < CYMBALS_LOW_SHARE:
        cmax += CYMBALS_EXTRA_CREST_DB
    if ctx.track_type in BUS_TYPES or crest is None or rms is None or crest <= cmax + COMPRESSION_MARGIN_DB:
        return None
    threshold = rms + 0.5 * cmax
    ratio = min(max((crest - 0.5 * cmax) / (0.5 * cmax), 1.5), 8.0)
    release = tempo.release_ms(
        ctx.bpm, note=ctx.profile.release_note, default_ms=ctx.profile.release_default_ms
    )
    has_comp = has_plugin(ctx.inserts, "compressor")
    lra = a.loudness.range_lu
    # sounding_dynamics left rests out where the crest differs from the whole song's
    while_sounding = " while it plays (its rests left out)" if crest != a.dynamics.crest_factor_db else ""
    reason = (
        f"Crest factor {crest:.1f} dB{while_sounding}: the peaks stand {crest - cmax:.1f} dB further "
        f"above the body than "
        f"the {cmax:g} dB usual for {a_track(ctx.track_type)}; threshold between RMS and peaks, "
        f"ratio {ratio:.1f}:1 to bring the peaks to about {cmax:g} dB"
        + (f", release {release:.0f} ms timed to {bpm_words(ctx.bpm)}" if ctx.bpm else "")
        + (" (a compressor is already inserted: check its settings)" if has_comp else "")
        + "."
    )
    return emit(
        "compression",
        ctx,
        None,
        {
            "threshold_db": threshold,
            "ratio": ratio,
            "attack_ms": ctx.profile.attack_ms,
            "release_ms": release,
        },
        # Dynamics are a matter of style (a MIDI pad, a snare with room between hits): compressing
        # toward the usual crest is polish, a notch below a defect on the stem or a masking cut.
        # A vocal's or a bass's peaks are a defect only well past the usual (COMPRESSION_DEFECT_DB):
        # sessions-dev leads sit 0.2-0.8 dB over it and their compression had led clean top 3s.
        3 if ctx.track_type in ("vocals", "bass") and crest - cmax >= COMPRESSION_DEFECT_DB else 4,
        0.5 + min((crest - cmax) / 20, 0.4) - (0.2 if has_comp else 0.0),
        reason,
        {
            "sounding_crest_db": crest,
            "sounding_crest_db_above": cmax,
            "sounding_rms_dbfs": rms,
            "loudness_range_lu": lra,
        },
    )


def _squashed(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    """Over-compression: the loudest moments no longer rise above the body (SQUASHED_BELOW_DB)."""
    limit = SQUASHED_BELOW_DB.get(ctx.track_type)
    spread = a.dynamics.loud_spread_db
    if limit is None or spread is None or spread >= limit:
        return None
    crest = a.dynamics.crest_factor_db
    if (
        ctx.track_type in HIT_TYPES
        and spread < UNIFORM_HITS_SPREAD_DB
        and crest is not None
        and crest >= ctx.profile.crest_max_db
    ):
        return None  # identical hits with their transients: programmed, not squashed
    has_comp = has_plugin(ctx.inserts, "compressor")
    return emit(
        "compression",
        ctx,
        None,
        {"action": "reduce", "ratio": 3.0, "max_gain_reduction_db": 6.0},
        2,
        0.55 + min((limit - spread) / 5, 0.3),
        f"The loudest moments rise only {spread:.1f} dB above the upper quartile of its 50 ms levels "
        f"(under {limit:g} dB is squashed for {a_track(ctx.track_type)}): back off the "
        + ("inserted compressor" if has_comp else "compression or limiting it went through")
        + " to about 3:1 and at most 6 dB of gain reduction, or re-export it before that processing.",
        {"loud_spread_db": spread, "loud_spread_db_below": limit},
    )


def _clipping(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    """Clipped samples (runs at full scale, core.dynamics): repair. A hot peak alone is not clipping.

    On a mix bus or master the clipping happened before this file (the mix was bounced or the
    master's limiter driven into full scale): the fix is a new bounce with headroom, and a limiter
    on this file cannot undo it, so the advice says so rather than leaving it to the platform moves.
    """
    d = a.dynamics
    if d.clipped_samples <= THRESHOLDS.clipped_samples:
        return None
    peak = f" (peak {d.peak_dbfs:.1f} dBFS)" if d.peak_dbfs is not None else ""
    if ctx.track_type in BUS_TYPES:
        params: dict[str, ParamValue] = {"process": "declip", "action": "re_export"}
        reason = (
            f"{d.clipped_samples} clipped samples{peak}: the mix was clipped on its way into this "
            f"file (the bounce or a limiter ran into full scale), and no limiter or gain change here "
            f"undoes that. Re-bounce the mix with "
            f"headroom (lower the master fader or the limiter's input until nothing reaches full "
            f"scale), then limit to the platform's ceiling; a declipper can only partly restore it."
        )
    else:
        params = {"process": "declip"}
        reason = (
            f"{d.clipped_samples} clipped samples{peak}: re-export or re-record lower, or repair with a "
            f"declipper."
        )
    return emit(
        "cleanup",
        ctx,
        None,
        params,
        1,
        0.9,
        reason,
        {
            "clipped_samples": d.clipped_samples,
            "clipped_samples_above": THRESHOLDS.clipped_samples + 1,
            "peak_dbfs": d.peak_dbfs,
        },
    )


def _true_peak_over(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    """Inter-sample overs on a stem that does not clip: turn it down, no repair needed."""
    tp = a.loudness.true_peak_dbtp
    limit = THRESHOLDS.stem_true_peak_dbtp
    if ctx.track_type in BUS_TYPES or tp is None or tp <= limit or a.dynamics.clipped_samples > 0:
        return None
    gain = limit - THRESHOLDS.stem_headroom_db - tp
    return emit(
        "gain",
        ctx,
        None,
        {"gain_db": gain},
        3,
        0.5 + min((tp - limit) / 6.0, 0.3),
        f"True peak {tp:.1f} dBTP is over {limit:g} dBTP (no sample clips, but the waveform between "
        f"samples does when rendered to fixed point): lower the clip gain by {-gain:.1f} dB.",
        {"true_peak_dbtp": tp, "true_peak_dbtp_above": limit},
    )


def _low_level(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    """A stem recorded or exported far too low: clip gain up, towards a working level."""
    lufs, peak = a.loudness.integrated_lufs, a.dynamics.peak_dbfs
    if ctx.track_type in BUS_TYPES or lufs is None or lufs > THRESHOLDS.low_level_lufs:
        return None
    gain = THRESHOLDS.stem_working_lufs - lufs
    if peak is not None:
        gain = min(gain, THRESHOLDS.stem_working_peak_dbfs - peak)
    if gain <= 0:
        return None
    return emit(
        "gain",
        ctx,
        None,
        {"gain_db": gain},
        3,
        0.6,
        f"Integrated loudness {lufs:.1f} LUFS is under {THRESHOLDS.low_level_lufs:g} LUFS: the stem "
        f"was recorded or exported too low, so plugins and faders work near their noise floor; "
        f"{gain:+.1f} dB of clip gain brings it towards {THRESHOLDS.stem_working_lufs:g} LUFS with "
        f"peaks at most {THRESHOLDS.stem_working_peak_dbfs:g} dBFS.",
        {"integrated_lufs": lufs, "integrated_lufs_below": THRESHOLDS.low_level_lufs, "peak_dbfs": peak},
    )


def _dc(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    dc = a.dynamics.dc_offset
    if abs(dc) < THRESHOLDS.dc_offset:
        return None
    return emit(
        "cleanup",
        ctx,
        None,
        {"process": "dc_removal", "freq_hz": 10.0},
        2 if abs(dc) >= THRESHOLDS.dc_offset_urgent else 4,
        0.85,
        f"DC offset of {100 * dc:+.1f} % of full scale wastes headroom and clicks at edits.",
        {"dc_offset": dc, "dc_offset_abs": abs(dc), "dc_offset_abs_above": THRESHOLDS.dc_offset},
    )


def _noise(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    d = a.dynamics
    # a floor deep under the RMS level, steady and noise-like: what the quality rule calls one
    nf, gaps, rms = judged_noise_floor(d), d.silence_ratio, d.rms_dbfs
    if nf is None or rms is None or ctx.track_type in BUS_TYPES:
        return None
    if nf < THRESHOLDS.noise_floor_dbfs or gaps < THRESHOLDS.gap_ratio:
        return None
    depth = rms - nf
    release = tempo.release_ms(ctx.bpm, note="1/16", default_ms=100.0)
    return emit(
        "cleanup",
        ctx,
        None,
        {"process": "gate", "threshold_db": nf + 6.0, "attack_ms": 1.0, "release_ms": release},
        3,
        0.6,
        f"Noise floor {nf:.1f} dBFS ({depth:.0f} dB under the RMS level) is audible in the quiet "
        f"passages, and the track has gaps ({100 * gaps:.0f}% of it): gate 6 dB above the floor or "
        f"use noise reduction.",
        {
            "noise_floor_dbfs": nf,
            "noise_floor_dbfs_above": THRESHOLDS.noise_floor_dbfs,
            "silence_ratio": gaps,
            "silence_ratio_above": THRESHOLDS.gap_ratio,
            "noise_floor_depth_db": depth,
            "noise_floor_depth_db_above": THRESHOLDS.noise_floor_depth_db,
            "noise_floor_steady": d.noise_floor_steady,
            "noise_floor_tonalness": d.noise_floor_tonalness,
        },
    )


def _stereo(a: TrackAnalysis, ctx: TrackContext) -> list[Suggestion]:
    st, out = a.stereo, []
    if st is not None and st.correlation is not None and st.correlation < THRESHOLDS.phase_correlation:
        out.append(
            emit(
                "phase_fix",
                ctx,
                None,
                {"action": "check_polarity_and_alignment"},
                1,
                0.6 + min(-st.correlation, 0.35),
                f"Left/right correlation {st.correlation:.2f}: the channels partly cancel in mono"
                + (f" ({st.mono_loss_db:.1f} dB lost)." if st.mono_loss_db is not None else "."),
                {
                    "correlation": st.correlation,
                    "correlation_below": THRESHOLDS.phase_correlation,
                    "mono_loss_db": st.mono_loss_db,
                },
            )
        )
    if (
        ctx.profile.mono_low_end
        and st is not None
        and st.width is not None
        and st.width > THRESHOLDS.low_end_width
    ):
        out.append(
            emit(
                "stereo_width",
                ctx,
                "bass",
                {"mono_below_hz": 120.0, "width": 0.0},
                2,
                0.7,
                f"Width {st.width:.2f} on {a_track(ctx.track_type)}: keep the low end mono for punch and "
                f"mono/vinyl compatibility.",
                {"width": st.width, "width_above": THRESHOLDS.low_end_width},
            )
        )
    if ctx.profile.wants_width and (
        st is None or (st.width is not None and st.width < THRESHOLDS.mono_width)
    ):
        w = None if st is None else st.width
        out.append(
            emit(
                "stereo_width",
                ctx,
                None,
                {"width": 1.3},
                5,
                0.35,
                f"The {type_noun(ctx.track_type)} track is "
                f"{'a mono file' if st is None else f'nearly mono (width {w:.2f})'}: "
                f"widen, double or pan it to leave the centre to vocals, kick and bass.",
                _narrow_evidence(st, THRESHOLDS.mono_width),
            )
        )
    return out


#: A track narrower than this (or a mono file) has no ambience of its own: dry.
DRY_WIDTH = 0.1


def _narrow_evidence(st: StereoResult | None, below: float) -> dict[str, float | int | str | None]:
    """Evidence for 'mono, or narrower than ``below``': the channel count or the width, with its threshold."""
    if st is None:
        return {"channels": 1, "channels_below": 1}
    return {"width": st.width, "width_below": below}


def _ambience(a: TrackAnalysis, ctx: TrackContext) -> list[Suggestion]:
    st = a.stereo
    dry = st is None or (st.width is not None and st.width < DRY_WIDTH)
    if not dry:
        return []
    g = GENRE_TARGETS[ctx.genre]
    out = []
    if "reverb" in ctx.profile.ambience and not has_plugin(ctx.inserts, "reverb"):
        decay = 1.5 if ctx.bpm is None else min(max(g.reverb_decay_beats * 60.0 / ctx.bpm, 0.6), 4.0)
        pre = tempo.pre_delay_ms(ctx.bpm)
        out.append(
            emit(
                "reverb",
                ctx,
                None,
                {"pre_delay_ms": pre, "decay_s": decay, "send_db": -18.0},
                4,
                0.45,
                f"The {type_noun(ctx.track_type)} track is dry "
                f"(no reverb insert, {'mono' if st is None else f'width < {DRY_WIDTH:g}'}); "
                + (
                    f"pre-delay 1/64 note and decay {g.reverb_decay_beats:g} beats at {bpm_words(ctx.bpm)}."
                    if ctx.bpm
                    else "no tempo, so default times."
                ),
                _narrow_evidence(st, DRY_WIDTH),
            )
        )
    if "delay" in ctx.profile.ambience and ctx.bpm is not None and not has_plugin(ctx.inserts, "delay"):
        t = tempo.note_ms(ctx.bpm, note=g.delay_note, modifier=g.delay_modifier)
        label = g.delay_note + ("" if g.delay_modifier == "straight" else f" {g.delay_modifier}")
        out.append(
            emit(
                "delay",
                ctx,
                None,
                {"time_ms": t, "note": label, "feedback_pct": 20.0, "send_db": -20.0},
                5,
                0.4,
                f"A tempo-synced {label} delay ({t:.0f} ms at {bpm_words(ctx.bpm)}, the {ctx.genre} default) "
                f"adds depth to a dry {type_noun(ctx.track_type)} track without washing it out.",
                {**_narrow_evidence(st, DRY_WIDTH), "bpm": ctx.bpm},
            )
        )
    return out


_SINGLE: tuple[Callable[[TrackAnalysis, TrackContext], Suggestion | None], ...] = (
    check_rumble,
    check_hiss,
    check_dull,
    check_sibilance,
    check_resonance,
    _compression,
    _squashed,
    _clipping,
    _true_peak_over,
    _low_level,
    _dc,
    _noise,
    check_translation,
)
_MULTI: tuple[Callable[[TrackAnalysis, TrackContext], list[Suggestion]], ...] = (
    check_buildups,
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
