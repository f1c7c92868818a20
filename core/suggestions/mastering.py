"""Mix-bus and master advice: loudness and true peak against a platform, tonal balance against a genre."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.bands import BAND_BY_NAME, BAND_NAMES
from core.results import TrackAnalysis
from core.suggestions import tempo
from core.suggestions.model import ParamValue, Suggestion, make_suggestion
from core.suggestions.rules import THRESHOLDS
from core.suggestions.wording import band_verb, band_words, capitalised
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
                f"{need:.1f} dB more into a true-peak limiter with its ceiling at {ceiling:g} dBTP.",
                quiet,
            )
            over = False
    elif need < -tgt.tolerance_lu:
        plr = lo.plr_db
        squashed = plr is not None and plr < THRESHOLDS.min_plr_db
        add(
            "gain",
            {"gain_db": need},
            3,
            0.6 + (0.2 if squashed else 0.0),
            f"{integrated:.1f} LUFS is {-need:.1f} LU over {tgt.name}'s {tgt.integrated_lufs:g} LUFS: the "
            f"platform turns it down by that much anyway"
            + (f", and PLR {plr:.1f} dB shows the peaks were limited away for nothing" if squashed else "")
            + "; less limiting keeps the punch.",
            {"integrated_lufs_above": tgt.integrated_lufs + tgt.tolerance_lu},
        )
    if over:
        add(
            "limiting",
            {"ceiling_dbtp": ceiling, "attack_ms": 1.0, "release_ms": release},
            1,
            0.85,
            f"True peak {tp:.1f} dBTP is above {tgt.name}'s {ceiling:g} dBTP ceiling: lossy encoding "
            f"will clip; "
            f"use a true-peak limiter with that ceiling.",
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
