"""Synthesised EBU Tech 3341 / 3342 style test signals (sines with known loudness and peaks)."""

from __future__ import annotations

import numpy as np


def sine(*, freq_hz: float, level_dbfs: float, seconds: float, sr: int, phase_deg: float = 0.0) -> np.ndarray:
    """Sine of peak amplitude ``level_dbfs`` (Tech 3341's "dBFS" of a sine is its peak), float64."""
    n = round(seconds * sr)
    t = np.arange(n) / sr
    return 10.0 ** (level_dbfs / 20.0) * np.sin(2.0 * np.pi * freq_hz * t + np.deg2rad(phase_deg))


def tone_sequence(
    parts: list[tuple[float | None, float]], *, sr: int = 48_000, channels: int = 2, freq_hz: float = 1000.0
) -> np.ndarray:
    """(channels, n) sequence of (level_dbfs or None for silence, seconds) sections of a 1 kHz sine.

    The phase runs on across sections (one continuous oscillator, gain switched), as in the EBU files.
    """
    lengths = [round(seconds * sr) for _, seconds in parts]
    t = np.arange(sum(lengths)) / sr
    gain = np.concatenate(
        [
            np.full(n, 0.0 if level is None else 10.0 ** (level / 20.0))
            for (level, _), n in zip(parts, lengths, strict=True)
        ]
    )
    mono = gain * np.sin(2.0 * np.pi * freq_hz * t)
    return np.repeat(mono[np.newaxis, :], channels, axis=0)


def hann_taper(y: np.ndarray, *, seconds: float, sr: int) -> np.ndarray:
    """Raised-cosine fade in and out over ``seconds`` at each end (avoids onset overshoot)."""
    n = round(seconds * sr)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    out = np.array(y, dtype=np.float64, copy=True)
    out[..., :n] *= ramp
    out[..., -n:] *= ramp[::-1]
    return out
