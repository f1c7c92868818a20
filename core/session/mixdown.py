"""The summed mix, estimated from the stems' measurements (no audio is mixed).

Each stem's band curves (core.results.BandCurves, dB over time) are put on one time grid, scaled by
its fader (``volume_db``) and split left/right by the constant-power pan law (gains cos θ, sin θ with
θ = (pan + 1)·π/4, so a centred mono stem sends -3 dB to each side and its power is preserved). Stems
are summed in power, i.e. assumed uncorrelated: coherent material (a kick and bass hitting together,
one source on two tracks) is up to 3 dB louder than this estimate.

Integrated loudness is estimated by summing the stems' short-term loudness (BS.1770 K-weighted, 3 s
windows) in power on the same grid and applying the BS.1770-4 gates (absolute -70 LUFS, relative
-10 LU) to those windows instead of to 400 ms blocks. It is an estimate, typically within ~1 LU of
measuring the rendered mix for uncorrelated stems; the master track's own analysis is the measurement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.bands import BAND_NAMES, BANDS
from core.results import BandCurves, BandEnergy, Curve, TrackAnalysis, db
from core.session.spec import TrackSpec
from core.suggestions.mastering import BandDeviation, tonal_deviations

ABSOLUTE_GATE_LUFS = -70.0  # BS.1770-4 §5.1
RELATIVE_GATE_LU = -10.0  # BS.1770-4 §5.1
DEFAULT_HOP_S = 0.5


@dataclass(frozen=True)
class StemGrid:
    """Stems on one time grid (internal working data, not a result).

    power : ndarray (n_tracks, 7, n_frames), band power after the fader, linear.
    gains_lr : ndarray (n_tracks, 2), constant-power pan gains (amplitude).
    """

    track_ids: tuple[str, ...]
    types: tuple[str, ...]
    hop_s: float
    power: np.ndarray
    gains_lr: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.power.shape[2])


@dataclass(frozen=True)
class MixEstimate:
    """The estimated summed mix: loudness, spectrum, stereo balance and tonal balance."""

    integrated_lufs: float | None
    loudness_method: str
    bands: tuple[BandEnergy, ...]
    balance_db: float | None
    low_end_balance_db: float | None
    tonal_balance: tuple[BandDeviation, ...]
    band_curves: BandCurves


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power (sin/cos) pan law: amplitude gains (left, right) for pan in -1..1."""
    theta = (pan + 1.0) * np.pi / 4.0
    return float(np.cos(theta)), float(np.sin(theta))


def _resample(
    values: Sequence[float | None], *, hop_src: float, start_src: float, hop_dst: float, n_dst: int
) -> np.ndarray:
    """dB values (None = silence) -> linear power on the destination grid (nearest frame)."""
    src = np.array(values, dtype=float)  # None -> nan
    if src.size == 0 or n_dst == 0:
        return np.zeros(n_dst)
    t = np.arange(n_dst) * hop_dst
    idx = np.rint((t - start_src) / hop_src).astype(int)
    ok = (idx >= 0) & (idx < src.size)
    out = np.zeros(n_dst)
    vals = src[idx[ok]]
    out[ok] = np.where(np.isnan(vals), 0.0, 10.0 ** (np.nan_to_num(vals, nan=-400.0) / 10.0))
    return out


def stem_grid(tracks: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis]) -> StemGrid:
    """Band power of ``tracks`` (those with an analysis) on a common grid, after the fader."""
    present = [t for t in tracks if t.track_id in analyses]
    curves = [analyses[t.track_id].spectrum.band_curves for t in present]
    hops = [c.hop_s for c in curves if c.hop_s > 0]
    hop = min(hops) if hops else DEFAULT_HOP_S
    n = max((round(len(c.values_db[0]) * c.hop_s / hop) if c.values_db else 0 for c in curves), default=0)
    power = np.zeros((len(present), len(BANDS), n))
    for i, (t, c) in enumerate(zip(present, curves, strict=True)):
        g = 10.0 ** (t.volume_db / 10.0)
        for b, name in enumerate(BAND_NAMES):
            if name in c.names:
                row = c.values_db[c.names.index(name)]
                power[i, b] = g * _resample(row, hop_src=c.hop_s, start_src=0.0, hop_dst=hop, n_dst=n)
    gains = np.array([pan_gains(t.pan) for t in present]).reshape(len(present), 2)
    return StemGrid(tuple(t.track_id for t in present), tuple(t.type for t in present), hop, power, gains)


def _loudness(
    tracks: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], grid: StemGrid
) -> tuple[float | None, str]:
    total = np.zeros(grid.n_frames)
    curves_used = 0
    fallback = 0.0
    for t in tracks:
        a = analyses.get(t.track_id)
        if a is None:
            continue
        st: Curve = a.loudness.short_term_curve
        if st.values and st.hop_s > 0:
            total += 10.0 ** (t.volume_db / 10.0) * _resample(
                st.values, hop_src=st.hop_s, start_src=st.start_s, hop_dst=grid.hop_s, n_dst=grid.n_frames
            )
            curves_used += 1
        elif a.loudness.integrated_lufs is not None:
            fallback += 10.0 ** ((a.loudness.integrated_lufs + t.volume_db) / 10.0)
    if curves_used == 0:
        return db(fallback), "power sum of the stems' integrated loudness"
    with np.errstate(divide="ignore"):
        lufs = 10.0 * np.log10(np.maximum(total, 1e-30))
    gated = total[lufs > ABSOLUTE_GATE_LUFS]
    if gated.size == 0:
        return None, "gated sum of short-term loudness (silent)"
    rel = 10.0 * np.log10(gated.mean()) + RELATIVE_GATE_LU
    kept = gated[10.0 * np.log10(gated) > rel]
    value = db(float(kept.mean()) + fallback)
    return value, "BS.1770 gates over the power sum of the stems' short-term loudness"


def estimate_mix(
    tracks: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], *, grid: StemGrid, genre: str
) -> MixEstimate:
    """Estimate the summed mix of ``tracks`` (on ``grid``); see the module docstring for the method."""
    left = (
        np.einsum("i,ibt->bt", grid.gains_lr[:, 0] ** 2, grid.power) if grid.power.size else np.zeros((7, 0))
    )
    right = (
        np.einsum("i,ibt->bt", grid.gains_lr[:, 1] ** 2, grid.power) if grid.power.size else np.zeros((7, 0))
    )
    mix = left + right
    mean_p = mix.mean(axis=1) if mix.shape[1] else np.zeros(len(BANDS))
    total = float(mean_p.sum())
    bands = tuple(
        BandEnergy(b.name, b.low_hz, b.high_hz, db(float(p)), float(p / total) if total > 0 else 0.0)
        for b, p in zip(BANDS, mean_p, strict=True)
    )
    lsum, rsum = float(left.sum()), float(right.sum())
    balance = None if lsum <= 0 or rsum <= 0 else float(10 * np.log10(lsum / rsum))
    lo = slice(0, 2)  # sub + bass
    llo, rlo = float(left[lo].sum()), float(right[lo].sum())
    low_balance = None if llo <= 0 or rlo <= 0 else float(10 * np.log10(llo / rlo))
    curves = BandCurves(
        hop_s=grid.hop_s,
        names=BAND_NAMES,
        values_db=tuple(tuple(db(float(v)) for v in row) for row in mix),
    )
    lufs, method = _loudness(tracks, analyses, grid)
    return MixEstimate(
        integrated_lufs=lufs,
        loudness_method=method,
        bands=bands,
        balance_db=balance,
        low_end_balance_db=low_balance,
        tonal_balance=tonal_deviations(tuple(b.energy_db for b in bands), genre=genre),
        band_curves=curves,
    )
