"""Known mix errors for ``python -m bench advice``: inject one into a stem, measure how far it went.

The injections are written here with scipy (RBJ-cookbook biquads, Butterworth filters, a plain
feed-forward compressor), independently of core.render, so a repair is not checked by its own code.
Each error names the deviation it causes (a level in dB on the perturbed stem); ``fraction_back``
says how much of it a repair undid (1.0: all, 0: nothing, negative: worse).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import signal

#: Error kinds, in table order.
KINDS = (
    "gain_up",
    "gain_down",
    "mud",
    "harshness",
    "sibilance",
    "rumble",
    "over_compression",
    "clipping",
    "masking",
)
#: Stem types each error is injected into (rotated over sessions); masking names (boosted, victim).
TARGET_TYPES: dict[str, tuple[str, ...]] = {
    "gain_up": ("kick", "snare", "drums", "bass", "keys", "strings", "pad", "vocals"),
    "gain_down": ("vocals", "bass", "keys", "snare", "kick", "strings", "pad", "drums"),
    "mud": ("keys", "strings", "pad", "vocals"),
    "harshness": ("keys", "vocals", "strings", "snare"),
    "sibilance": ("vocals",),
    "rumble": ("vocals", "keys", "strings", "pad", "snare"),
    "over_compression": ("vocals", "keys", "snare", "bass"),
    "clipping": ("snare", "keys", "vocals", "bass", "kick"),
    "masking": ("keys", "strings", "pad"),
}


@dataclass(frozen=True)
class Injection:
    kind: str
    track_id: str
    track_type: str
    gain_db: float = 0.0
    freq_hz: float | None = None
    q: float | None = None
    #: (low_hz, high_hz) where the deviation is measured (None: the whole stem's level).
    band_hz: tuple[float, float] | None = None
    #: For masking: the stem whose band was invaded.
    victim_id: str | None = None


def rbj_peak(y: np.ndarray, sr: int, freq_hz: float, gain_db: float, q: float) -> np.ndarray:
    """RBJ audio-EQ-cookbook peaking biquad along the last axis."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq_hz / sr
    alpha = np.sin(w0) / (2 * q)
    b = [1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a]
    den = [1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a]
    return signal.lfilter(b, den, y, axis=-1).astype(np.float32)


def _rms_db(y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(y, dtype=np.float64) ** 2) + 1e-20))


def band_db(y: np.ndarray, sr: int, lo_hz: float, hi_hz: float) -> float:
    """Power (dB) of the channel mean between lo_hz and hi_hz (Welch, 8192-point)."""
    f, p = signal.welch(np.atleast_2d(y).mean(axis=0), fs=sr, nperseg=8192)
    m = (f >= lo_hz) & (f < hi_hz)
    return float(10 * np.log10(p[m].sum() + 1e-30))


def _compress(y: np.ndarray, sr: int) -> np.ndarray:
    """Heavy feed-forward compression: 10:1 from the stem's median 5 ms level, fast, made up to its RMS."""
    n = max(int(0.005 * sr), 1)
    power = np.mean(np.asarray(y, dtype=np.float64) ** 2, axis=0)
    env = np.convolve(power, np.ones(n) / n, mode="same")
    level = 10 * np.log10(env + 1e-20)
    threshold = float(np.median(level[level > -80])) if np.any(level > -80) else -40.0
    reduction = np.where(level > threshold, (level - threshold) * (1 - 1 / 10.0), 0.0)
    out = y * (10 ** (-reduction / 20))[np.newaxis, :]
    out = out * 10 ** ((_rms_db(y) - _rms_db(out)) / 20)
    peak = float(np.max(np.abs(out)))
    return (out / max(peak / 0.98, 1.0)).astype(np.float32)


def _rumble(y: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    sos = signal.butter(4, [22.0, 38.0], btype="bandpass", fs=sr, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(y.shape[-1]))
    noise *= 10 ** ((_rms_db(y) - 6.0 - _rms_db(noise)) / 20)
    return (y + noise[np.newaxis, :]).astype(np.float32)


def inject(y: np.ndarray, sr: int, inj: Injection, rng: np.random.Generator) -> np.ndarray:
    """The perturbed stem, (channels, n) float32."""
    if inj.kind in ("gain_up", "gain_down"):
        return (y * 10 ** (inj.gain_db / 20)).astype(np.float32)
    if inj.kind in ("mud", "harshness", "sibilance", "masking"):
        assert inj.freq_hz is not None and inj.q is not None
        return rbj_peak(y, sr, inj.freq_hz, inj.gain_db, inj.q)
    if inj.kind == "rumble":
        return _rumble(y, sr, rng)
    if inj.kind == "over_compression":
        return _compress(y, sr)
    if inj.kind == "clipping":
        drive = 10 ** ((inj.gain_db - 20 * np.log10(np.max(np.abs(y)) + 1e-12)) / 20)
        return np.clip(y * drive, -1.0, 1.0).astype(np.float32)
    raise ValueError(f"unknown error kind {inj.kind!r}")


def _crest_db(y: np.ndarray, sr: int) -> float:
    """Spread of the 50 ms level (P95 - P30, dB): what heavy compression squeezes."""
    n = int(0.05 * sr)
    power = np.mean(np.asarray(y, dtype=np.float64) ** 2, axis=0)
    frames = power[: len(power) // n * n].reshape(-1, n).mean(axis=1)
    level = 10 * np.log10(frames[frames > 1e-10] + 1e-20)
    return float(np.percentile(level, 95) - np.percentile(level, 30)) if level.size else 0.0


def deviation_measure(inj: Injection) -> Callable[[np.ndarray, int], float]:
    """The measure (on the perturbed stem) the error moves."""
    if inj.kind == "over_compression":
        return _crest_db
    if inj.kind == "clipping":
        return lambda y, sr: float(np.mean(np.abs(y) >= 0.999) * 100.0)
    if inj.band_hz is None:
        return lambda y, sr: _rms_db(y)
    lo, hi = inj.band_hz
    return lambda y, sr: band_db(y, sr, lo, hi)


def fraction_back(
    inj: Injection, clean: np.ndarray, perturbed: np.ndarray, repaired: np.ndarray, sr: int
) -> float:
    """How much of the injected deviation the repair undid: 1 - |repaired - clean| / |perturbed - clean|."""
    m = deviation_measure(inj)
    m0, m1, m2 = m(clean, sr), m(perturbed, sr), m(repaired, sr)
    if abs(m1 - m0) < 1e-6:
        return 1.0
    return float(1.0 - abs(m2 - m0) / abs(m1 - m0))


def seeded_plan(
    session_name: str, kind: str, *, index: int, tracks: list[tuple[str, str]]
) -> tuple[Injection | None, np.random.Generator]:
    """``plan`` seeded by the session and the kind, and the generator ``inject`` continues with: every
    harness (bench.advice, bench.advice_service) injects the same error into the same stem."""
    rng = np.random.default_rng(zlib.crc32(f"{session_name}:{kind}".encode()))
    return plan(kind, index=index, tracks=tracks, rng=rng), rng


def plan(
    kind: str, *, index: int, tracks: list[tuple[str, str]], rng: np.random.Generator
) -> Injection | None:
    """The injection for session ``index`` (tracks: (track_id, type)); None when no stem fits."""
    by_type = {t: tid for tid, t in tracks}
    wanted = [t for t in TARGET_TYPES[kind] if t in by_type]
    if not wanted:
        return None
    ttype = wanted[index % len(wanted)]
    tid = by_type[ttype]
    if kind in ("gain_up", "gain_down"):
        g = float(rng.uniform(6.0, 10.0))
        return Injection(kind, tid, ttype, gain_db=g if kind == "gain_up" else -g)
    if kind == "mud":
        f = float(rng.uniform(250.0, 400.0))
        return Injection(kind, tid, ttype, 6.0, f, 1.0, (f / 2**0.25, f * 2**0.25))
    if kind == "harshness":
        f = float(rng.uniform(2500.0, 4000.0))
        return Injection(kind, tid, ttype, 6.0, f, 1.0, (f / 2**0.25, f * 2**0.25))
    if kind == "sibilance":
        f = float(rng.uniform(6000.0, 8000.0))
        return Injection(kind, tid, ttype, 10.0, f, 2.0, (f / 2 ** (1 / 6), f * 2 ** (1 / 6)))
    if kind == "rumble":
        return Injection(kind, tid, ttype, band_hz=(20.0, 40.0))
    if kind == "over_compression":
        return Injection(kind, tid, ttype)
    if kind == "clipping":
        return Injection(kind, tid, ttype, gain_db=6.0)
    # masking: push the stem into the bass's band (keys) or the vocal's (pads, strings)
    victim = "bass" if ttype == "keys" else "vocals"
    if victim not in by_type:
        return None
    f = 120.0 if victim == "bass" else 1000.0
    return Injection(kind, tid, ttype, 9.0, f, 1.0, (f / 2**0.5, f * 2**0.5), victim_id=by_type[victim])
