"""Spectral balance: band energies, 1/3-octave spectrum, tilt, and band energies over time.

Every level here is in dBFS by the AES17 convention: a full-scale sine reads 0 dBFS, so a level is
``10·log10(2·mean_square)`` of the mono downmix (a sine of peak amplitude ``a`` reads
``20·log10(a)``). core.dynamics uses the same convention, so a band holding all of a track's energy
reads the track's RMS level.

Long-term levels (bands, 1/3 octaves) integrate the fine Welch PSD of core.frames (~3 Hz bins),
so the 20-60 Hz band is resolved. Each PSD bin stands for ``[f - df/2, f + df/2)`` and is shared
between neighbouring bands in proportion to its overlap, so band edges (59 Hz vs 61 Hz) and the
narrow low 1/3 octaves are respected to within the window's leakage (Hann: +-2 bins).
"""

from __future__ import annotations

import math

import numpy as np

from core.bands import BAND_NAMES, BANDS, THIRD_OCTAVE_CENTRES_HZ, third_octave_edges_hz
from core.dynamics import ms_to_dbfs
from core.filters import hann
from core.frames import FrameFeatures
from core.results import BandCurves, BandEnergy, SpectrumResult, ThirdOctaveLevel

#: Long-term levels (whole-file bands, 1/3 octaves) at or below this are silence (None).
LEVEL_FLOOR_DBFS = -120.0
#: Per-window band levels (band_curves) and per-frame levels at or below this are silence (None).
CURVE_FLOOR_DBFS = -100.0
#: Band curves: window length, and the most windows a curve may have (longer files use longer windows).
CURVE_HOP_S = 0.5
CURVE_MAX_WINDOWS = 3600
CURVE_DECIMALS = 2
#: Tilt: least-squares slope of the 1/3-octave levels over these nominal centres (inclusive).
TILT_RANGE_HZ = (31.5, 16000.0)
TILT_MIN_BANDS = 3


def _level(mean_square: float, floor_db: float) -> float | None:
    if not mean_square > 0.0:
        return None
    level = float(ms_to_dbfs(mean_square))
    return level if level > floor_db else None


def overlap_weights(freqs_hz: np.ndarray, edges_hz: np.ndarray) -> np.ndarray:
    """(n_bands, n_bins) fraction of each bin ``[f - df/2, f + df/2)`` inside each ``[low, high)``.

    ``edges_hz`` has shape (n_bands, 2); bins are uniformly spaced as from ``np.fft.rfftfreq``.
    """
    df = float(freqs_hz[1] - freqs_hz[0])
    lo = freqs_hz - df / 2
    hi = freqs_hz + df / 2
    low, high = edges_hz[:, :1], edges_hz[:, 1:]
    overlap = np.minimum(hi[None, :], high) - np.maximum(lo[None, :], low)
    return np.asarray(np.clip(overlap / df, 0.0, 1.0))


def _band_mean_squares(frames: FrameFeatures, edges_hz: np.ndarray) -> np.ndarray:
    """Mean square of the mono signal in each band, from the fine Welch PSD (power per Hz)."""
    freqs = frames.fine_freqs_hz
    if len(freqs) < 2:
        return np.zeros(len(edges_hz))
    df = float(freqs[1] - freqs[0])
    weights = overlap_weights(freqs, edges_hz)
    return np.asarray(weights @ frames.fine_psd, dtype=np.float64) * df


def frame_power_scale(n_fft: int) -> float:
    """Factor turning summed one-sided |X|^2 of a Hann-windowed frame into the frame's mean square.

    Parseval with the window: sum_k |X_k|^2 (one-sided) ~= (n_fft / 2) · sum(w^2) · mean(x^2).
    """
    window = hann(n_fft).astype(np.float64)
    return 2.0 / (n_fft * float((window**2).sum()))


def _bands(frames: FrameFeatures) -> tuple[BandEnergy, ...]:
    edges = np.array([[b.low_hz, b.high_hz] for b in BANDS])
    ms = _band_mean_squares(frames, edges)
    total = float(ms.sum())
    has_signal = _level(total, LEVEL_FLOOR_DBFS) is not None
    shares = ms / total if has_signal else np.zeros_like(ms)
    return tuple(
        BandEnergy(
            name=b.name,
            low_hz=b.low_hz,
            high_hz=b.high_hz,
            energy_db=_level(float(m), LEVEL_FLOOR_DBFS),
            share=float(s),
        )
        for b, m, s in zip(BANDS, ms, shares, strict=True)
    )


def _third_octaves(frames: FrameFeatures) -> tuple[ThirdOctaveLevel, ...]:
    nyquist = frames.sr / 2
    centres = [c for c in THIRD_OCTAVE_CENTRES_HZ if c < nyquist]
    edges = np.array([third_octave_edges_hz(c) for c in centres]).reshape(-1, 2)
    ms = _band_mean_squares(frames, edges)
    return tuple(
        ThirdOctaveLevel(centre_hz=float(c), level_db=_level(float(m), LEVEL_FLOOR_DBFS))
        for c, m in zip(centres, ms, strict=True)
    )


def spectral_tilt(third_octave: tuple[ThirdOctaveLevel, ...], *, sr: int) -> float | None:
    """Least-squares slope (dB per octave) of 1/3-octave levels against log2(centre).

    Band power, not power density: pink noise (equal power per octave) gives 0, white noise +3.
    Uses the bands with centres in TILT_RANGE_HZ whose upper edge is below Nyquist.
    """
    lo, hi = TILT_RANGE_HZ
    points = [
        (math.log2(t.centre_hz), t.level_db)
        for t in third_octave
        if t.level_db is not None
        and lo <= t.centre_hz <= hi
        and third_octave_edges_hz(t.centre_hz)[1] <= sr / 2
    ]
    if len(points) < TILT_MIN_BANDS:
        return None
    x, y = np.array(points).T
    slope = np.polyfit(x, y, 1)[0]
    return float(slope)


def _frame_summary(values: np.ndarray, weights: np.ndarray) -> float | None:
    if weights.sum() <= 0.0:
        return None
    return float(np.average(values, weights=weights))


def _curve_hop_s(duration_s: float) -> float:
    """CURVE_HOP_S, or the smallest multiple of it giving at most CURVE_MAX_WINDOWS windows."""
    return CURVE_HOP_S * max(1, math.ceil(duration_s / (CURVE_HOP_S * CURVE_MAX_WINDOWS)))


def _band_curves(frames: FrameFeatures) -> BandCurves:
    duration_s = frames.n_samples / frames.sr
    hop_s = _curve_hop_s(duration_s)
    n_windows = max(1, math.ceil(duration_s / hop_s - 1e-9))
    index = np.minimum((frames.times_s / hop_s).astype(np.int64), n_windows - 1)
    counts = np.bincount(index, minlength=n_windows).astype(np.float64)
    scale = frame_power_scale(frames.n_fft)
    rows: list[tuple[float | None, ...]] = []
    for band_power in frames.band_power:
        sums = np.bincount(index, weights=band_power.astype(np.float64), minlength=n_windows)
        ms = np.divide(sums, counts, out=np.zeros(n_windows), where=counts > 0) * scale
        levels = np.round(ms_to_dbfs(ms), CURVE_DECIMALS)
        rows.append(tuple(float(v) if v > CURVE_FLOOR_DBFS else None for v in levels))
    return BandCurves(hop_s=hop_s, names=BAND_NAMES, values_db=tuple(rows))


def measure_spectrum(frames: FrameFeatures) -> SpectrumResult:
    """Spectral balance of the mono downmix.

    Parameters
    ----------
    frames : FrameFeatures
        The shared spectral pass (core.frames).

    Returns
    -------
    SpectrumResult
        bands : the seven bands of core.bands.BANDS; ``energy_db`` is the band's mean-square power in
            AES17 dBFS from the fine Welch PSD, ``share`` its fraction of the 20 Hz-20 kHz power
            (shares sum to 1; all 0 on silence).
        centroid_hz, rolloff_hz, flatness : per-frame values (librosa definitions: magnitude-weighted
            centroid, 85 % magnitude roll-off, Wiener entropy of the power spectrum) averaged with each
            frame's power as weight, over frames above CURVE_FLOOR_DBFS; None on silence.
        tilt_db_per_octave : see ``spectral_tilt`` (pink noise 0, white noise +3).
        third_octave : IEC 61260-1 nominal centres below Nyquist, base-two edges, AES17 dBFS band power
            (the top band is truncated at Nyquist).
        band_curves : mean band power per window of ``hop_s`` (0.5 s; longer for files over 30 min),
            window ``i`` covering frames centred in ``[i·hop_s, (i+1)·hop_s)``; AES17 dBFS rounded to
            0.01 dB, None at or below CURVE_FLOOR_DBFS.
    """
    third_octave = _third_octaves(frames)
    frame_ms = frames.total_power.astype(np.float64) * frame_power_scale(frames.n_fft)
    weights = np.where(ms_to_dbfs(frame_ms) > CURVE_FLOOR_DBFS, frame_ms, 0.0)
    return SpectrumResult(
        bands=_bands(frames),
        centroid_hz=_frame_summary(frames.centroid_hz, weights),
        rolloff_hz=_frame_summary(frames.rolloff_hz, weights),
        flatness=_frame_summary(frames.flatness, weights),
        tilt_db_per_octave=spectral_tilt(third_octave, sr=frames.sr),
        third_octave=third_octave,
        band_curves=_band_curves(frames),
    )
