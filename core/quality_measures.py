"""Measures for quality control on the shared spectral pass (``FrameFeatures``).

Hum, rumble, the spectral balance and the frame levels used by core/quality.py. All work on the
fine Welch spectrum of the mono downmix (``fine_psd``, ~3 Hz bins) or on the per-frame powers; the
settings are in core/quality_rules.py. The methods are described in core/quality.py's docstring.
"""

from __future__ import annotations

import math

import numpy as np

from core import quality_rules as qr
from core.filters import hann
from core.frames import FrameFeatures
from core.quantiles import percentile

Values = dict[str, float | int | str | None]


# --- measures on the fine spectrum ---------------------------------------------------------------


def _power(freqs: np.ndarray, psd: np.ndarray, lo: float, hi: float) -> float:
    df = float(freqs[1] - freqs[0])
    return float(psd[(freqs >= lo) & (freqs < hi)].sum() * df)


def octave_level_db(frames: FrameFeatures, lo_hz: float, hi_hz: float) -> float | None:
    """Power per octave of [lo_hz, hi_hz) in dB (None when silent or above Nyquist)."""
    hi_hz = min(hi_hz, frames.sr / 2.0)
    if hi_hz <= lo_hz * 1.05:
        return None
    p = _power(frames.fine_freqs_hz, frames.fine_psd, lo_hz, hi_hz) / math.log2(hi_hz / lo_hz)
    return 10.0 * math.log10(p) if p > 1e-20 else None


def broadband_octaves(frames: FrameFeatures) -> int:
    """How many octave bands 63 Hz-4 kHz lie within BROADBAND_WITHIN_DB of the loudest of them."""
    levels = [
        octave_level_db(frames, c / math.sqrt(2), c * math.sqrt(2)) for c in qr.BROADBAND_OCTAVE_CENTRES_HZ
    ]
    known = [v for v in levels if v is not None]
    if not known:
        return 0
    top = max(known)
    return sum(1 for v in known if v >= top - qr.BROADBAND_WITHIN_DB)


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _centre_octaves(band: tuple[float, float]) -> float:
    return 0.5 * (math.log2(band[0]) + math.log2(band[1]))


def excess_over_line_db(
    frames: FrameFeatures, band: tuple[float, float], low: tuple[float, float], high: tuple[float, float]
) -> float | None:
    """Level per octave of ``band`` minus the straight line (dB vs log frequency) through ``low``
    and ``high``, evaluated at the band's centre."""
    levels = [octave_level_db(frames, *b) for b in (band, low, high)]
    if any(v is None for v in levels):
        return None
    lb, ll, lh = (float(v) for v in levels)  # type: ignore[arg-type]
    x = (_centre_octaves(band) - _centre_octaves(low)) / (_centre_octaves(high) - _centre_octaves(low))
    return lb - (ll + x * (lh - ll))


def spectral_balance(frames: FrameFeatures) -> Values:
    """mud_excess_db, harsh_excess_db, air_db (None unless broadband) and the broadband count."""
    n_oct = broadband_octaves(frames)
    out: Values = {"broadband_octaves": n_oct, "mud_excess_db": None, "harsh_excess_db": None, "air_db": None}
    if n_oct < qr.BROADBAND_MIN_OCTAVES:
        return out
    (low, high), band = qr.MUD_NEIGHBOURS_HZ, qr.MUD_BAND_HZ
    out["mud_excess_db"] = excess_over_line_db(frames, band, low, high)
    out["harsh_excess_db"] = _difference(
        octave_level_db(frames, *qr.HARSH_BAND_HZ), octave_level_db(frames, *qr.HARSH_REFERENCE_HZ)
    )
    if frames.sr / 2.0 >= qr.AIR_MIN_NYQUIST_HZ:
        air = octave_level_db(frames, *qr.AIR_BAND_HZ)
        ref = octave_level_db(frames, *qr.AIR_REFERENCE_HZ)
        # No power at all above 8 kHz: as dull as the floor of the measure allows.
        out["air_db"] = (air if air is not None else -200.0) - ref if ref is not None else None
    return out


def rumble_db(frames: FrameFeatures) -> float | None:
    """Power in RUMBLE_LOW_HZ-RUMBLE_HIGH_HZ over the power above RUMBLE_LOW_HZ, in dB."""
    f, p = frames.fine_freqs_hz, frames.fine_psd
    total = _power(f, p, qr.RUMBLE_LOW_HZ, math.inf)
    low = _power(f, p, qr.RUMBLE_LOW_HZ, qr.RUMBLE_HIGH_HZ)
    if total <= 1e-20:
        return None
    return 10.0 * math.log10(max(low / total, 1e-12))


def _harmonic_prominence_db(f: np.ndarray, p: np.ndarray, target_hz: float) -> float:
    """Prominence (dB) of the peak at ``target_hz``; 0 when there is no local maximum there."""
    df = float(f[1] - f[0])
    idx = np.flatnonzero(np.abs(f - target_hz) <= qr.HUM_TOLERANCE_HZ + df)
    idx = idx[(idx > 0) & (idx < len(p) - 1)]
    if len(idx) == 0:
        return 0.0
    i = int(idx[np.argmax(p[idx])])
    if not (p[i] >= p[i - 1] and p[i] >= p[i + 1]) or p[i] <= 1e-30:
        return 0.0
    a, b, c = (10.0 * np.log10(np.maximum(p[i + d], 1e-30)) for d in (-1, 0, 1))
    denom = a - 2.0 * b + c
    peak_hz = f[i] + (0.5 * (a - c) / denom * df if denom < 0 else 0.0)
    if abs(peak_hz - target_hz) > qr.HUM_TOLERANCE_HZ:
        return 0.0
    mean_square = float(p[max(i - 2, 0) : i + 3].sum() * df)  # the peak's power (Hann main lobe)
    if 10.0 * np.log10(max(2.0 * mean_square, 1e-30)) < qr.HUM_MIN_LEVEL_DBFS:
        return 0.0
    dist = np.abs(f - f[i])
    neighbours = p[(dist <= qr.HUM_NEIGHBOURHOOD_HZ) & (dist > qr.HUM_EXCLUDE_HZ)]
    median = float(percentile(neighbours, 50.0)) if len(neighbours) else 0.0
    return float(10.0 * np.log10(p[i] / median)) if median > 1e-30 else 0.0


def detect_hum(frames: FrameFeatures, *, min_prominence_db: float) -> Values:
    """The mains frequency whose harmonics stand out most, if at least HUM_MIN_HARMONICS do."""
    best: Values = {"hum_prominence_db": None, "mains_hz": None, "hum_harmonics_hz": None}
    f, p = frames.fine_freqs_hz, frames.fine_psd
    for mains in qr.MAINS_HZ:
        targets = [k * mains for k in range(1, qr.HUM_HARMONICS + 1) if k * mains < 0.45 * frames.sr]
        proms = {t: _harmonic_prominence_db(f, p, t) for t in targets}
        hits = {t: v for t, v in proms.items() if v >= min_prominence_db}
        if len(hits) < qr.HUM_MIN_HARMONICS:
            continue
        top = max(hits.values())
        if best["hum_prominence_db"] is None or top > float(best["hum_prominence_db"]):
            best = {
                "hum_prominence_db": top,
                "mains_hz": mains,
                "hum_harmonics_hz": ", ".join(f"{t:g}" for t in sorted(hits)),
            }
    return best


def frame_rms_db(frames: FrameFeatures) -> np.ndarray:
    """Level of each STFT frame of the mono signal in AES17 dBFS (a full-scale sine reads 0).

    Parseval on the Hann-windowed frame: mean square = 2 * sum|X|^2 / (n_fft * sum w^2).
    """
    w = hann(frames.n_fft).astype(np.float64)
    mean_square = frames.total_power * 2.0 / (frames.n_fft * float((w**2).sum()))
    return np.asarray(10.0 * np.log10(np.maximum(mean_square, 1e-20) / 0.5))


def longest_run_s(mask: np.ndarray, hop_s: float) -> float:
    """Duration of the longest run of True in ``mask``."""
    if not mask.any():
        return 0.0
    padded = np.concatenate([[0], mask.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return float((edges[1::2] - edges[0::2]).max() * hop_s)
