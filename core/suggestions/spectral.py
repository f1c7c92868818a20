"""Spectral rules for one track: rumble, hiss, build-ups, dullness, sibilance, bass translation."""

from __future__ import annotations

import numpy as np

from core.bands import BAND_BY_NAME, BAND_NAMES, band_for
from core.results import TrackAnalysis
from core.suggestions.model import ParamValue, Suggestion
from core.suggestions.rules import HIT_TYPES, THRESHOLDS, has_plugin
from core.suggestions.track_context import (
    TrackContext,
    bump_in,
    emit,
    median_curve_db,
    peak_in,
    share_db,
    third_octaves,
    to_db,
)
from core.suggestions.wording import a_track, band_verb, band_words, capitalised, type_noun
from core.targets import per_octave_levels_db

#: The resonance cut's bandwidth (check_resonance).
RESONANCE_Q = 2.0
#: Where sibilance and its resonances are looked for (1/3-octave centres in [low, high)).
SIBILANCE_HZ = (4500.0, 10500.0)
#: The top of a sibilant track (1/3-octave centres 6.3-10 kHz) against its presence band (3.15-5
#: kHz): where the loudest third up there stands above the presence band's mean by more than
#: TOP_RISE_MAX_DB, the top is not dull, and a wide presence boost (Q 0.7 at 5 kHz lifts 8 kHz by
#: about 2/3 of its gain) would feed it. On sessions-dev the leads' top stands -5.3 to +4.7 dB over
#: their presence band; a +10 dB, Q 2 bell at 7 kHz (sibilance) takes it to +0.7 to +11 dB.
TOP_HZ = (6300.0, 10000.0)
PRESENCE_HZ = (3150.0, 5000.0)
TOP_RISE_MAX_DB = 0.5

#: A rumble high-pass aims to take the rumble's loudest 1/3 octave down by its excess over the
#: threshold plus this margin (dB), raising the corner above the type's by at most this factor.
RUMBLE_MARGIN_DB = 12.0
RUMBLE_MAX_RAISE = 2**0.5
#: The high-pass slopes offered (dB per octave; Butterworth orders 2, 4, 6 and 8, what a DAW's EQ
#: has). The gentlest that reaches the target at the type's corner wins: 36 between 24 and 48 keeps
#: a pad's own sub content (sessions-dev pads hold it 6-15 dB above their 100-200 Hz) from being
#: taken far under where it was.
RUMBLE_SLOPES = (12, 24, 36, 48)
#: The part's own level beside the rumble is read up to this multiple of the type's corner.
RUMBLE_VALLEY_SPAN = 2.0
RUMBLE_VALLEY_MAX_EXTRA_DB = 24.0

#: A resonance stands above each neighbouring 1/3 octave by at least the first (dB); a step of
#: more than the second on one side is an edge (a low-pass, a codec's band limit), not a peak.
RESONANCE_MIN_SIDE_DB = 0.5
RESONANCE_MAX_SIDE_DB = 12.0
#: Two adjacent 1/3 octaves within this (dB) of each other read as one peak between their centres;
#: such a peak spans 2/3 octave, where an instrument's own formants live, so it must stand this much
#: more than THRESHOLDS.resonance_db to count (dev sessions: clean leads' bumps 4.1-4.7 dB, +10 dB
#: bells between two centres 4.3-5.7 dB).
RESONANCE_PAIR_DB = 3.0
RESONANCE_PAIR_EXTRA_DB = 1.0
#: A build-up cut levels the band with its louder neighbour: a Q 1.4 bell at the band's loudest
#: 1/3 octave takes about BUMP_BELL_REACH of its depth off the band's excess over its neighbours
#: (sessions-dev keys with a +8 dB bell at 3.2 kHz: a -6 dB cut took the excess down 3.7-4.0 dB).
BUMP_BELL_REACH = 0.65

#: Past this gap (dB) a bass's mids are described as "almost none", not as a figure.
TRANSLATION_SAY_ALMOST_NONE_DB = 40.0


def check_rumble(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    below = ctx.profile.high_pass_hz  # the type has no useful content under this
    share = share_db(a, lambda c: c < below)
    if share is None or share < THRESHOLDS.rumble_share_db:
        return None
    excess = share - THRESHOLDS.rumble_share_db
    rumble_hz, rumble_db = peak_in(a, 0.0, below)
    # Down by the excess and a margin, and toward the part's own level beside the rumble (the
    # quietest 1/3 octave between the rumble and an octave above the corner): the part has nothing
    # under its corner louder than that. On sessions-dev, a lead whose low end is its noise floor
    # kept rumble 20-29 dB above that floor after the margin alone. At most RUMBLE_VALLEY_MAX_EXTRA_DB
    # more than the margin asks: a floor of digital silence is no level to filter down to.
    needed = excess + RUMBLE_MARGIN_DB
    valley = valley_db(a, rumble_hz, RUMBLE_VALLEY_SPAN * below)
    if rumble_db is not None and valley is not None:
        needed = max(needed, min(rumble_db - valley, needed + RUMBLE_VALLEY_MAX_EXTRA_DB))
    # Where the rumble sits: a corner just above rumble at 30 Hz barely touches it. The gentlest
    # slope that does it at the type's corner is taken, and the corner rises (at most
    # RUMBLE_MAX_RAISE, so the part's own low notes stay) only when the steepest is not enough.
    slopes = RUMBLE_SLOPES[1:] if share >= THRESHOLDS.rumble_steep_db else RUMBLE_SLOPES
    slope = next((k for k in slopes if k * np.log2(below / rumble_hz) >= needed), slopes[-1])
    wanted = rumble_hz * 2 ** (needed / slope)
    if wanted > below:
        # a corner that must rise is set by the rumble third's upper edge, not its centre: just under
        # the corner, the edge is half as far from it (sessions-dev keys, corner 40 Hz, rumble at
        # 31.5 Hz: 48 dB/oct at 49 Hz brought the 20-40 Hz band 0.59-0.85 of the way back, at 55 Hz
        # 0.78-1.0)
        wanted *= 2 ** (1 / 6)
    corner = float(round(min(max(below, wanted), below * RUMBLE_MAX_RAISE)))
    band = band_for(corner * 0.99)
    raised = (
        f" The corner sits at {corner:g} Hz, {slope} dB per octave, so the rumble's loudest 1/3 octave "
        f"({rumble_hz:g} Hz) comes down by about {min(slope * np.log2(corner / rumble_hz), needed):.0f} dB."
        if corner > below or slope > slopes[0]
        else ""
    )
    return emit(
        "high_pass",
        ctx,
        band.name if band else None,
        {"freq_hz": corner, "slope_db_per_octave": float(slope)},
        2,
        0.6 + excess / 40,
        f"The part below {below:g} Hz holds {share:.1f} dB of the track's power (over "
        f"{THRESHOLDS.rumble_share_db:g} dB is rumble, handling noise or spill): {a_track(ctx.track_type)} "
        f"has no useful content there." + raised,
        {
            "share_below_db": share,
            "share_below_db_above": THRESHOLDS.rumble_share_db,
            "corner_hz": below,
            "rumble_hz": rumble_hz,
        },
    )


def valley_db(a: TrackAnalysis, lo_hz: float, hi_hz: float) -> float | None:
    """The quietest 1/3 octave with centre in [lo, hi] (dB)."""
    centres, p = third_octaves(a)
    sel = p[(centres >= lo_hz) & (centres <= hi_hz)]
    sel = sel[sel > 1e-20]
    return float(10.0 * np.log10(sel.min())) if sel.size else None


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
        f"The part above {corner:g} Hz holds {share:.1f} dB of the track's power: hiss or spill on "
        f"{a_track(ctx.track_type)}.",
        {"share_above_db": share, "share_above_db_above": THRESHOLDS.hiss_share_db, "corner_hz": corner},
    )


def bump_threshold_db(band: str, track_type: str) -> float:
    """The excess (dB, per-octave level over both neighbours) that makes ``band`` a build-up."""
    if band == "upper_mid" and track_type not in HIT_TYPES:
        return THRESHOLDS.harsh_bump_db
    return THRESHOLDS.bump_db


def band_excess_db(a: TrackAnalysis, band: str) -> float | None:
    """How far ``band``'s per-octave level stands above both its neighbours (dB; None at the
    ends of the spectrum or where a band is silent)."""
    i = BAND_NAMES.index(band)
    if not 0 < i < len(BAND_NAMES) - 1:
        return None
    levels = per_octave_levels_db(tuple(b.energy_db for b in a.spectrum.bands))
    here, lo, hi = levels[i], levels[i - 1], levels[i + 1]
    if here is None or lo is None or hi is None:
        return None
    return min(here - lo, here - hi)


def leveling_cut_db(excess_db: float) -> float:
    """The bell depth (dB, negative) that levels a build-up of ``excess_db`` with its louder
    neighbour, within -2..-6 dB."""
    return -min(max(excess_db / BUMP_BELL_REACH, 2.0), 6.0)


def check_buildups(a: TrackAnalysis, ctx: TrackContext) -> list[Suggestion]:
    out = []
    for name in BAND_NAMES:
        excess = band_excess_db(a, name)
        if name in ctx.profile.core_bands or excess is None:
            continue
        threshold = bump_threshold_db(name, ctx.track_type)
        if excess < threshold:
            continue
        band = BAND_BY_NAME[name]
        freq = bump_in(a, band.low_hz, band.high_hz)
        gain = leveling_cut_db(excess)
        out.append(
            emit(
                "eq_cut",
                ctx,
                name,
                {"freq_hz": freq, "gain_db": round(gain, 1), "q": 1.4},
                3,
                0.5 + (excess - threshold) / 20,
                f"{capitalised(band_words(name))} {band_verb(name)} {excess:.1f} dB louder than both "
                f"neighbouring "
                f"bands (level per octave), outside where {a_track(ctx.track_type)} lives: a build-up.",
                {"excess_db": excess, "excess_db_above": threshold, "peak_hz": freq},
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
    sibilance = sibilance_excess_db(a)
    if ctx.profile.sibilant and sibilance is not None and sibilance >= THRESHOLDS.sibilance_db:
        return None  # the top is already loud: a presence boost would feed the sibilance
    if ctx.profile.sibilant and is_resonance(resonance_in(a, *SIBILANCE_HZ)):
        return None  # a boost there would feed the resonance check_resonance cuts
    if ctx.profile.sibilant and (rise := top_rise_db(a)) is not None and rise > TOP_RISE_MAX_DB:
        return None  # the top already stands above the presence band: the boost would feed it
    gain = min(2.0 + (deficit - THRESHOLDS.dull_db) / 2.0, 4.0)
    return emit(
        "eq_boost",
        ctx,
        "presence",
        {"freq_hz": 5000.0, "gain_db": gain, "q": 0.7},
        3,
        0.45 + (deficit - THRESHOLDS.dull_db) / 30,
        f"2-6 kHz is {deficit:.1f} dB quieter than the mids (level per octave): the "
        f"{type_noun(ctx.track_type)} track lacks presence.",
        {"presence_deficit_db": deficit, "presence_deficit_db_above": THRESHOLDS.dull_db},
    )


def top_rise_db(a: TrackAnalysis) -> float | None:
    """The loudest 1/3 octave in TOP_HZ minus the mean 1/3 octave in PRESENCE_HZ (dB)."""
    centres, p = third_octaves(a)
    top = p[(centres >= TOP_HZ[0]) & (centres <= TOP_HZ[1])]
    presence = p[(centres >= PRESENCE_HZ[0]) & (centres <= PRESENCE_HZ[1])]
    if not top.size or not presence.size or top.max() <= 1e-20 or presence.mean() <= 1e-20:
        return None
    return float(10.0 * np.log10(top.max() / presence.mean()))


def sibilance_excess_db(a: TrackAnalysis) -> float | None:
    """Loudest 1/3 octave in 4.5-10.5 kHz minus the mean 1/3 octave in 1-3.15 kHz (dB)."""
    centres, p = third_octaves(a)
    mid = p[(centres >= 1000) & (centres <= 3150)]
    _, sib_db = peak_in(a, *SIBILANCE_HZ)
    mid_db = to_db(float(mid.mean())) if mid.size else None
    return None if sib_db is None or mid_db is None else sib_db - mid_db


def check_sibilance(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    if not ctx.profile.sibilant:
        return None
    centres, p = third_octaves(a)
    mid = p[(centres >= 1000) & (centres <= 3150)]
    freq, sib_db = peak_in(a, *SIBILANCE_HZ)
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


def resonance_in(a: TrackAnalysis, lo_hz: float, hi_hz: float) -> tuple[float, float, float] | None:
    """(peak_hz, prominence_db, width_thirds) of the most prominent peak with centre in [lo, hi).

    A peak is one 1/3 octave, or two adjacent ones within RESONANCE_PAIR_DB of each other (a bell
    centred between two 1/3-octave centres splits its height over both, and neither alone stands
    out). Prominence: the peak's mean level minus the mean of the 1/3 octaves on either side,
    counted only where the peak is within THRESHOLDS.resonance_within_db of the track's loudest
    1/3 octave (not the noise floor), above both sides by RESONANCE_MIN_SIDE_DB, and not beside an
    edge (RESONANCE_MAX_SIDE_DB). A single 1/3 octave's frequency is refined by a parabola through
    the three levels (log frequency); a pair's is the power-weighted mean of its two centres.
    """
    centres = np.array([t.centre_hz for t in a.spectrum.third_octave], dtype=float)
    levels = np.array([np.nan if t.level_db is None else t.level_db for t in a.spectrum.third_octave])
    if centres.size < 4 or not np.any(np.isfinite(levels)):
        return None
    floor = np.nanmax(levels) - THRESHOLDS.resonance_within_db
    best: tuple[float, float, float] | None = None
    for width in (1, 2):
        # the peak's 1/3 octaves are levels[k : k + width]; its sides levels[k - 1] and levels[k + width]
        k = np.arange(1, centres.size - width)
        top = np.stack([levels[k + j] for j in range(width)])
        here, low = top.mean(axis=0), top.min(axis=0)
        below, above = levels[k - 1], levels[k + width]
        centre = np.exp(np.log(np.stack([centres[k + j] for j in range(width)])).mean(axis=0))
        prominence = here - 0.5 * (below + above)
        with np.errstate(invalid="ignore"):
            usable = (
                (centre >= lo_hz)
                & (centre < hi_hz)
                & np.isfinite(prominence)
                & (low >= floor)
                & (np.ptp(top, axis=0) <= RESONANCE_PAIR_DB)
                # a peak: above both sides, and not a band limit (a low-pass or a codec's cut-off
                # drops far more than a resonance stands out)
                & (np.minimum(low - below, low - above) >= RESONANCE_MIN_SIDE_DB)
                & (np.maximum(here - below, here - above) <= RESONANCE_MAX_SIDE_DB)
            )
        if not np.any(usable):
            continue
        i = int(np.argmax(np.where(usable, prominence, -np.inf)))
        if best is not None and prominence[i] <= best[1]:
            continue
        if width == 1:
            curvature = below[i] - 2 * here[i] + above[i]
            shift = 0.5 * (below[i] - above[i]) / curvature if curvature < 0 else 0.0
            peak_hz = float(centres[k[i]] * 2 ** (float(np.clip(shift, -0.5, 0.5)) / 3))
        else:
            power = 10 ** (top[:, i] / 10)
            logs = np.log2(centres[k[i] : k[i] + width])
            peak_hz = float(2 ** (np.sum(power * logs) / np.sum(power)))
        best = (round(peak_hz, 1), float(prominence[i]), float(width))
    return best


def resonance_needed_db(width_thirds: float) -> float:
    """The prominence a peak of this width must reach to be cut (a 2/3-octave one a little more)."""
    return THRESHOLDS.resonance_db + (RESONANCE_PAIR_EXTRA_DB if width_thirds > 1 else 0.0)


def is_resonance(found: tuple[float, float, float] | None) -> bool:
    """Does resonance_in's peak stand out enough to cut?"""
    return found is not None and found[1] >= resonance_needed_db(found[2])


def check_resonance(a: TrackAnalysis, ctx: TrackContext) -> Suggestion | None:
    """A narrow peak in the sibilance region of a sibilant track: a static resonance, cut narrow."""
    if not ctx.profile.sibilant:
        return None
    found = resonance_in(a, *SIBILANCE_HZ)
    if found is None or not is_resonance(found):
        return None
    freq, prominence, width = found
    needed = resonance_needed_db(width)
    band = band_for(freq)
    # A bell narrower than a 1/3 octave reads about 0.6 of its height at that resolution; one
    # spread over two reads about the same against the 1/3 octaves beside the pair.
    gain = -min(max(prominence / 0.6, 3.0), 10.0)
    # Q 2 whatever the width: 1/3-octave levels cannot tell a Q 3 peak from a Q 2 one, and on the
    # dev leads with a +10 dB, Q 2 bell at 6.2-7.8 kHz read as one third, a Q 2 cut brought the
    # bell's band 0.04-0.12 further back than Q 3 in every case (0.54-0.99 against 0.46-0.94).
    return emit(
        "eq_cut",
        ctx,
        band.name if band else "brilliance",
        {"freq_hz": freq, "gain_db": round(gain, 1), "q": RESONANCE_Q},
        2,
        min(0.75 + (prominence - needed) / 20, 0.95),
        f"A narrow peak at {freq:.0f} Hz stands {prominence:.1f} dB above the 1/3 octaves beside it: "
        f'a resonance that makes every "s" and "t" of {a_track(ctx.track_type)} sharp. '
        f"Cut it narrow there; a de-esser alone would only catch the loudest moments.",
        {
            "resonance_db": round(prominence, 2),
            "resonance_db_above": needed,
            "peak_hz": freq,
        },
    )


#: Polish: a bass with no mids is how the part was voiced, and it sounds right on full-range monitors;
#: harmonics help it on small speakers. At 3 (an improvement, above masking cuts) it led the top 3 of
#: every dev and synthetic session whose synth bass has no mids, ahead of keys with a +8 dB bell at
#: 3.2 kHz (pop909_351, synthetic_2).
TRANSLATION_PRIORITY = 4


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
        TRANSLATION_PRIORITY,
        0.55,
        (
            f"The mids are {gap:.0f} dB quieter than the bass band (level per octave)"
            if gap < TRANSLATION_SAY_ALMOST_NONE_DB
            else f"The bass has almost no mids (over {TRANSLATION_SAY_ALMOST_NONE_DB:g} dB under its "
            "bass band)"
        )
        + ": harmonics from gentle saturation let the bass line read on small speakers.",
        {"bass_over_mid_db": gap, "bass_over_mid_db_above": THRESHOLDS.translation_db},
    )
