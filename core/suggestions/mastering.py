"""Mix-bus and master advice: loudness and true peak against a platform, tonal balance against a genre."""

from __future__ import annotations

from dataclasses import dataclass

from core.bands import BAND_BY_NAME, BAND_NAMES
from core.results import TrackAnalysis
from core.suggestions import tempo
from core.suggestions.model import ParamValue, Suggestion, make_suggestion
from core.suggestions.rules import THRESHOLDS
from core.targets import (
    DEFAULT_PLATFORM,
    GENRE_TARGETS,
    LOUD_MASTER_TRUE_PEAK_DBTP,
    PlatformTarget,
    per_octave_levels_db,
    platform_target,
)


@dataclass(frozen=True)
class BandDeviation:
    """A band's per-octave level (relative to the mid band) against the genre target, in dB."""

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
    """Per-band deviation of a mix's tonal balance from the genre target (core.targets.GENRE_TARGETS)."""
    g = GENRE_TARGETS[genre]
    levels = per_octave_levels_db(band_energy_db)
    out = []
    for name, level, tgt in zip(BAND_NAMES, levels, g.band_levels_db, strict=True):
        dev = None if level is None else level - tgt
        out.append(BandDeviation(name, level, tgt, dev, dev is not None and abs(dev) > g.tolerance_db))
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

    def add(type_: str, params: dict[str, ParamValue], priority: int, confidence: float, reason: str) -> None:
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
                evidence=ev,
            )
        )

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
            )
        else:
            add(
                "limiting",
                {"gain_db": need, "ceiling_dbtp": ceiling, "attack_ms": 1.0, "release_ms": release},
                2,
                0.75,
                f"{integrated:.1f} LUFS is {need:.1f} LU under {tgt.name}'s {tgt.integrated_lufs:g} LUFS; "
                f"{need:.1f} dB more into a true-peak limiter with its ceiling at {ceiling:g} dBTP.",
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
        )
    return out


def tonal_balance_suggestions(
    analysis: TrackAnalysis, *, track_id: str, track_type: str, genre: str
) -> list[Suggestion]:
    """Broad EQ moves for bands outside the genre's tonal-balance tolerance."""
    out = []
    tol = GENRE_TARGETS[genre].tolerance_db
    for d in tonal_deviations(tuple(b.energy_db for b in analysis.spectrum.bands), genre=genre):
        if not d.outside or d.deviation_db is None or d.band == "mid":
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
                reason=f"The {d.band} band is {d.deviation_db:+.1f} dB against the {genre} tonal target "
                f"(tolerance ±{tol:g} dB): a broad {'cut' if cut else 'boost'}.",
                evidence={"deviation_db": d.deviation_db, "target_db": d.target_db},
            )
        )
    return out
