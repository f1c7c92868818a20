"""Mix-bus and master advice: loudness and true peak against a platform, tonal balance against a genre."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.bands import BAND_BY_NAME, BAND_NAMES
from core.loudness import CHANNEL_WEIGHTS, LOUDNESS_OFFSET_DB
from core.results import TrackAnalysis
from core.suggestions import tempo
from core.suggestions.model import ParamValue, Suggestion, make_suggestion
from core.suggestions.rules import THRESHOLDS
from core.suggestions.wording import TILT_AGAIN, TILT_WORDS, band_verb, band_words, capitalised, span_words
from core.targets import (
    DEFAULT_PLATFORM,
    GENRE_TARGETS,
    LOUD_MASTER_TRUE_PEAK_DBTP,
    TONAL_MIN_BANDS,
    TONAL_SILENT_BELOW_DB,
    PlatformTarget,
    broadband_bands,
    per_octave_db,
    platform_target,
)


@dataclass(frozen=True)
class BandDeviation:
    """A band's per-octave level against the genre target, in dB.

    ``level_db`` is the band's level per octave aligned to the target (the median of level - target
    over the judged bands is removed, so no single band, e.g. an empty mid band, sets the reference);
    ``deviation_db = level_db - target_db``. Not judged (deviation None): the band is more than
    TONAL_SILENT_BELOW_DB under the loudest band, or the material is not broadband (fewer than
    TONAL_MIN_BANDS bands within TONAL_BROADBAND_WITHIN_DB of the second loudest; then ``level_db`` is
    relative to the loudest band).
    """

    band: str
    level_db: float | None
    target_db: float
    deviation_db: float | None
    outside: bool


def true_peak_ceiling(target: PlatformTarget, integrated_lufs: float | None) -> float:
    """The platform's ceiling; Spotify asks for -2 dBTP when the master is louder than its reference."""
    if target.key == "spotify" and integrated_lufs is not None and integrated_lufs > target.integrated_lufs:
        return min(target.true_peak_dbtp, LOUD_MASTER_TRUE_PEAK_DBTP)
    return target.true_peak_dbtp


def tonal_deviations(band_energy_db: tuple[float | None, ...], *, genre: str) -> tuple[BandDeviation, ...]:
    """Per-band deviation of a mix's tonal balance from the genre target (core.targets.GENRE_TARGETS).

    Normalised: per-octave levels minus the target, less their median over the judged bands (the
    level alignment that minimises the summed absolute deviation), so the result does not depend
    on any one reference band. Judged only on broadband material and in bands within
    TONAL_SILENT_BELOW_DB of the loudest (core.targets); elsewhere deviation is None.
    """
    g = GENRE_TARGETS[genre]
    return target_deviations(band_energy_db, target_levels_db=g.band_levels_db, tolerance_db=g.tolerance_db)


#: This many adjacent bands or more outside the tolerance on the same side are one tilt of the
#: balance (a dark or a thin mix: the normalisation puts the rest near 0 dB), said as one region
#: against the rest rather than as each band being too loud (house choice).
MIN_REGION_BANDS = 3


def deviation_groups(deviations: tuple[BandDeviation, ...]) -> tuple[tuple[BandDeviation, ...], ...]:
    """The bands outside the tolerance, low to high, grouped: a run of MIN_REGION_BANDS or more
    adjacent bands off on the same side is one group, any other outside band a group of its own."""
    runs: list[list[BandDeviation]] = []
    prev: BandDeviation | None = None
    for d in deviations:
        if not d.outside or d.deviation_db is None:
            prev = None
            continue
        if (
            prev is not None
            and prev.deviation_db is not None
            and (prev.deviation_db > 0) == (d.deviation_db > 0)
        ):
            runs[-1].append(d)
        else:
            runs.append([d])
        prev = d
    out: list[tuple[BandDeviation, ...]] = []
    for run in runs:
        out.extend([tuple(run)] if len(run) >= MIN_REGION_BANDS else [(d,) for d in run])
    return tuple(out)


def tonal_findings(
    deviations: tuple[BandDeviation, ...], *, target: str
) -> list[tuple[str, dict[str, float | int | str | None]]]:
    """The session's tonal-balance issues as (message, evidence), against ``target`` ("the Pop target").

    One per band outside the tolerance; a run of adjacent bands off on the same side
    (``deviation_groups``) is one: that region against the mean of the other judged bands, with
    each band's deviation kept in the evidence (``deviation_db_<band>``). ``band`` and
    ``deviation_db`` name the run's largest deviation.
    """
    out: list[tuple[str, dict[str, float | int | str | None]]] = []
    judged = [d for d in deviations if d.deviation_db is not None]
    said: set[str] = set()  # a low region up and a high region down are one dark tilt, named once
    for group in deviation_groups(deviations):
        d = max(group, key=lambda g: abs(g.deviation_db or 0.0))
        dev = d.deviation_db or 0.0
        evidence: dict[str, float | int | str | None] = {
            "band": d.band,
            "deviation_db": round(dev, 2),
            "target_db": d.target_db,
        }
        rest = [r for r in judged if r not in group]
        if len(group) == 1 or not rest:
            message = (
                f"The mix's {band_words(d.band)[4:]} {band_verb(d.band)} {dev:+.1f} dB against {target}."
            )
            out.append((message, evidence))
            continue
        # the rest's mean deviation is the level the region is read against
        base = sum(r.deviation_db or 0.0 for r in rest) / len(rest)
        rel = [(g.deviation_db or 0.0) - base for g in group]
        sign = 1 if dev > 0 else -1
        lo, hi = sorted((min(abs(v) for v in rel), max(abs(v) for v in rel)))
        size = f"{lo:.1f} dB" if f"{lo:.1f}" == f"{hi:.1f}" else f"{lo:.1f}-{hi:.1f} dB"
        first, last = BAND_BY_NAME[group[0].band], BAND_BY_NAME[group[-1].band]
        above = [BAND_BY_NAME[r.band] for r in rest if BAND_BY_NAME[r.band].low_hz >= last.high_hz]
        below = [BAND_BY_NAME[r.band] for r in rest if BAND_BY_NAME[r.band].high_hz <= first.low_hz]
        spans = [span_words(b[0].low_hz, b[-1].high_hz) for b in (below, above) if b]
        # the rest lies above the region, below it, or around it (read by its larger side)
        where = "above" if len(above) > len(below) else "below" if len(below) > len(above) else "around"
        tilt = TILT_WORDS[(sign, where)]
        message = (
            f"The mix's {span_words(first.low_hz, last.high_hz)} sits {size} "
            f"{'above' if sign > 0 else 'below'} its {' and '.join(spans)} against {target}: "
            f"{TILT_AGAIN if tilt in said else tilt}."
        )
        said.add(tilt)
        evidence.update(
            {
                "bands": ",".join(g.band for g in group),
                "low_hz": first.low_hz,
                "high_hz": last.high_hz,
                "relative_db_min": round(lo, 2),
                "relative_db_max": round(hi, 2),
                **{f"deviation_db_{g.band}": round(g.deviation_db or 0.0, 2) for g in group},
            }
        )
        out.append((message, evidence))
    return out


def target_deviations(
    band_energy_db: tuple[float | None, ...], *, target_levels_db: tuple[float, ...], tolerance_db: float
) -> tuple[BandDeviation, ...]:
    """Per-band deviation from any per-octave target curve (a genre's, or a reference track's average);
    normalised and judged as ``tonal_deviations`` describes."""
    levels = per_octave_db(band_energy_db)
    present = [v for v in levels if v is not None]
    if not present:
        return tuple(
            BandDeviation(n, None, t, None, False) for n, t in zip(BAND_NAMES, target_levels_db, strict=True)
        )
    loudest = max(present)
    judged = [v is not None and v >= loudest - TONAL_SILENT_BELOW_DB for v in levels]
    if broadband_bands(levels) < TONAL_MIN_BANDS:
        return tuple(
            BandDeviation(n, None if v is None else v - loudest, t, None, False)
            for n, v, t in zip(BAND_NAMES, levels, target_levels_db, strict=True)
        )
    offset = float(
        np.median(
            [v - t for v, t, ok in zip(levels, target_levels_db, judged, strict=True) if ok and v is not None]
        )
    )
    out = []
    for name, level, tgt, ok in zip(BAND_NAMES, levels, target_levels_db, judged, strict=True):
        aligned = None if level is None else level - offset
        dev = aligned - tgt if ok and aligned is not None else None
        out.append(BandDeviation(name, aligned, tgt, dev, dev is not None and abs(dev) > tolerance_db))
    return tuple(out)


#: The channel weights (BS.1770-4) of the stereo pair the PLR line (THRESHOLDS.min_plr_db) was set on.
STEREO_WEIGHT = CHANNEL_WEIGHTS["L"] + CHANNEL_WEIGHTS["R"]
STEREO_LAYOUT = ("L", "R")
#: The PLR of a full-scale sine on both channels of a stereo file (dB): its 3.01 dB crest factor, with
#: the two channels' 3.01 dB of summed loudness and BS.1770-4's -0.691 dB offset (K-weighting is about
#: 0 dB near 1 kHz). Nothing limited reads lower; only a waveform squared off by clipping does (a
#: full-scale square wave reads -0.9 dB).
SINE_PLR_DB = -LOUDNESS_OFFSET_DB


def stereo_plr_db(analysis: TrackAnalysis) -> float | None:
    """The PLR the same programme would read as a stereo pair (dB): the measured PLR plus
    ``10 log10(W / 2)``.

    BS.1770-4 sums the channels' weighted loudness (eq. 2; side surrounds +1.5 dB, LFE left out)
    while the true peak is one channel's, so PLR falls with every channel that carries the
    programme: the same material copied to 7.1 reads 5.3 dB lower than in stereo, a mono file 3 dB
    higher. ``W`` is the sum of the channel weights, each scaled by its channel's true peak against
    the loudest channel's (the power it carries if the channels share the material's crest factor):
    1 for mono, 6.82 for 7.1 with every channel equally loud; a stereo pair is the line's own layout
    and reads as measured. None without a PLR.
    """
    plr = analysis.loudness.plr_db
    layout = analysis.audio.layout
    if plr is None or layout == STEREO_LAYOUT:
        return plr  # the line's own layout: as measured
    peaks = analysis.loudness.true_peak_per_channel_dbtp
    if len(peaks) != len(layout):
        peaks = (0.0,) * len(layout)  # an older analysis without per-channel peaks: all equal
    heard = [(CHANNEL_WEIGHTS.get(ch, 1.0), p) for ch, p in zip(layout, peaks, strict=True) if p is not None]
    if not heard:
        return plr
    top = max(p for _, p in heard)
    weight = sum(w * 10 ** ((p - top) / 10) for w, p in heard)
    return plr + 10 * math.log10(weight / STEREO_WEIGHT) if weight > 0 else plr


def _plr_words(analysis: TrackAnalysis, plr_stereo: float) -> str:
    """ "PLR 6.1 dB" in stereo; in any other layout, with its measured value and why they differ."""
    plr = analysis.loudness.plr_db
    if plr is None or abs(plr_stereo - plr) < 0.05:
        return f"PLR {plr_stereo:.1f} dB"
    n = analysis.audio.channels
    how = (
        "on one channel, which BS.1770 reads 3 dB quieter than the same on a stereo pair"
        if n == 1
        else f"over {n} channels, whose loudness BS.1770 sums against one channel's peak"
    )
    return f"PLR {plr_stereo:.1f} dB as a stereo pair would read it ({plr:.1f} dB measured {how})"


def platform_suggestions(
    analysis: TrackAnalysis, *, track_id: str, track_type: str, platform: str | None, bpm: float | None
) -> list[Suggestion]:
    """Gain/limiting so integrated loudness and true peak meet the platform target."""
    tgt = platform_target(platform or DEFAULT_PLATFORM)
    lo = analysis.loudness
    integrated, tp = lo.integrated_lufs, lo.true_peak_dbtp
    if integrated is None or tp is None:
        return []
    ceiling = true_peak_ceiling(tgt, integrated)
    need = tgt.integrated_lufs - integrated  # > 0: too quiet
    release = tempo.release_ms(bpm, note="1/8", default_ms=150.0, lo_ms=50.0, hi_ms=300.0)
    ev = {
        "integrated_lufs": integrated,
        "true_peak_dbtp": tp,
        "target_lufs": tgt.integrated_lufs,
        "ceiling_dbtp": ceiling,
        "plr_db": lo.plr_db,
    }
    out = []

    def add(
        type_: str,
        params: dict[str, ParamValue],
        priority: int,
        confidence: float,
        reason: str,
        crossed: Mapping[str, float | int | str | None],
    ) -> None:
        out.append(
            make_suggestion(
                type_,
                track_id=track_id,
                track_type=track_type,
                band=None,
                parameters=params,
                priority=priority,
                confidence=confidence,
                reason=reason,
                evidence={**ev, **crossed},
            )
        )

    quiet = {"integrated_lufs_below": tgt.integrated_lufs - tgt.tolerance_lu}
    over = tp > ceiling + 0.05
    # Clipped samples are in the file already (the declip / re-bounce advice says so); a limiter or a
    # gain change after them does not repair them, and the reasons must not read as if it did.
    clipped = analysis.dynamics.clipped_samples > THRESHOLDS.clipped_samples
    after_clipping = (
        " in the re-bounce that fixes the clipping (no limiter on this file undoes it)" if clipped else ""
    )
    if need > tgt.tolerance_lu:
        if tp + need <= ceiling:
            add(
                "gain",
                {"gain_db": need},
                2,
                0.8,
                f"{integrated:.1f} LUFS is {need:.1f} LU under {tgt.name}'s {tgt.integrated_lufs:g} LUFS and "
                f"the true peak ({tp:.1f} dBTP) leaves room: plain gain reaches it.",
                quiet,
            )
        else:
            add(
                "limiting",
                {"gain_db": need, "ceiling_dbtp": ceiling, "attack_ms": 1.0, "release_ms": release},
                2,
                0.75,
                f"{integrated:.1f} LUFS is {need:.1f} LU under {tgt.name}'s {tgt.integrated_lufs:g} LUFS; "
                f"{need:.1f} dB more into a true-peak limiter with its ceiling at {ceiling:g} dBTP"
                f"{after_clipping}.",
                quiet,
            )
            over = False
    elif need < -tgt.tolerance_lu:
        # Over-limited: the PLR, read as a stereo pair would read it, under the line but not under
        # what a full-scale sine reads (lower is a squared-off, clipped waveform, not limiting).
        plr2 = stereo_plr_db(analysis)
        squashed = plr2 is not None and SINE_PLR_DB <= plr2 < THRESHOLDS.min_plr_db and not clipped
        if squashed and plr2 is not None:
            why = f", and {_plr_words(analysis, plr2)} shows the peaks were limited away for nothing"
        else:
            why = ""
        add(
            "gain",
            {"gain_db": need},
            3,
            0.6 + (0.2 if squashed else 0.0),
            f"{integrated:.1f} LUFS is {-need:.1f} LU over {tgt.name}'s {tgt.integrated_lufs:g} LUFS: the "
            f"platform turns it down by that much anyway"
            + why
            + ("; less limiting keeps the punch." if not clipped else f"; take it down{after_clipping}."),
            {"integrated_lufs_above": tgt.integrated_lufs + tgt.tolerance_lu, "stereo_plr_db": plr2},
        )
    if over:
        add(
            "limiting",
            {"ceiling_dbtp": ceiling, "attack_ms": 1.0, "release_ms": release},
            2 if clipped else 1,  # the re-bounce comes first; this limiter follows it
            0.85,
            f"True peak {tp:.1f} dBTP is above {tgt.name}'s {ceiling:g} dBTP ceiling: lossy encoding "
            f"will clip; "
            f"use a true-peak limiter with that ceiling{after_clipping}.",
            {"true_peak_dbtp_above": ceiling},
        )
    if (
        track_type == "mix_bus"
        and lo.sample_peak_dbfs is not None
        and lo.sample_peak_dbfs > THRESHOLDS.mix_bus_peak_dbfs
    ):
        add(
            "gain",
            {"gain_db": THRESHOLDS.mix_bus_peak_dbfs - 3.0 - lo.sample_peak_dbfs},
            3,
            0.5,
            f"Mix-bus peak {lo.sample_peak_dbfs:.1f} dBFS leaves little headroom for mastering "
            f"(aim for peaks around {THRESHOLDS.mix_bus_peak_dbfs - 3.0:g} dBFS).",
            {"sample_peak_dbfs": lo.sample_peak_dbfs, "sample_peak_dbfs_above": THRESHOLDS.mix_bus_peak_dbfs},
        )
    return out


def tonal_balance_suggestions(
    analysis: TrackAnalysis, *, track_id: str, track_type: str, genre: str
) -> list[Suggestion]:
    """Broad EQ moves for bands outside the genre's tonal-balance tolerance."""
    out = []
    tol = GENRE_TARGETS[genre].tolerance_db
    for d in tonal_deviations(tuple(b.energy_db for b in analysis.spectrum.bands), genre=genre):
        if not d.outside or d.deviation_db is None:
            continue
        amount = min(abs(d.deviation_db) - tol + 1.0, 3.0)
        cut = d.deviation_db > 0
        band = BAND_BY_NAME[d.band]
        out.append(
            make_suggestion(
                "eq_cut" if cut else "eq_boost",
                track_id=track_id,
                track_type=track_type,
                band=d.band,
                parameters={"freq_hz": band.centre_hz, "gain_db": -amount if cut else amount, "q": 0.7},
                priority=3,
                confidence=0.5,
                reason=f"{capitalised(band_words(d.band))} {band_verb(d.band)} "
                f"{d.deviation_db:+.1f} dB against the "
                f"{genre} tonal target (tolerance ±{tol:g} dB): a broad {'cut' if cut else 'boost'}.",
                evidence={
                    "deviation_db": d.deviation_db,
                    ("deviation_db_above" if cut else "deviation_db_below"): tol if cut else -tol,
                    "target_db": d.target_db,
                },
            )
        )
    return out
