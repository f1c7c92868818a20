"""Filter banks and windows on numpy alone.

The analysis path must not import librosa or scipy.signal: together they cost ~2.7 s and ~170 MB
per process (see docs/benchmarks.md), more than the whole analysis of a 3-minute track. These
are the published methods librosa implements; tests/core/test_filters.py checks them against
librosa to float32 precision.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Slaney's Auditory Toolbox mel scale (librosa's default, htk=False).
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(f_hz: np.ndarray | float) -> np.ndarray:
    f = np.asarray(f_hz, dtype=np.float64)
    linear = f / _F_SP
    log = _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    m = np.asarray(mel, dtype=np.float64)
    linear = _F_SP * m
    log = _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL))
    return np.where(m >= _MIN_LOG_MEL, log, linear)


@lru_cache(maxsize=16)
def hann(n: int) -> np.ndarray:
    """Periodic Hann window of length n (scipy.signal.get_window('hann', n))."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


@lru_cache(maxsize=16)
def mel_filterbank(*, sr: int, n_fft: int, n_mels: int = 128) -> np.ndarray:
    """Slaney-normalised triangular mel filters, shape (n_mels, n_fft // 2 + 1); librosa.filters.mel."""
    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_freqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return np.asarray(weights, dtype=np.float32)


@lru_cache(maxsize=16)
def chroma_filterbank(*, sr: int, n_fft: int, n_chroma: int = 12) -> np.ndarray:
    """Ellis's Gaussian chroma filters, C first, shape (12, n_fft // 2 + 1); librosa.filters.chroma.

    Centre octave 5 (~C5), Gaussian octave weighting of width 2, columns L2-normalised.
    """
    freqs = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    frqbins = n_chroma * np.log2(freqs / (440.0 / 16))
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidth = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1.0]))
    d = np.subtract.outer(frqbins, np.arange(n_chroma, dtype=np.float64)).T
    half = np.round(n_chroma / 2.0)
    d = np.remainder(d + half + 10 * n_chroma, n_chroma) - half
    wts = np.exp(-0.5 * (2 * d / binwidth[None, :]) ** 2)
    norms = np.sqrt((wts**2).sum(axis=0, keepdims=True))
    wts = wts / np.where(norms > np.finfo(np.float64).tiny, norms, 1.0)
    wts *= np.exp(-0.5 * ((frqbins / n_chroma - 5.0) / 2.0) ** 2)[None, :]
    wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(wts[:, : n_fft // 2 + 1], dtype=np.float32)


@lru_cache(maxsize=16)
def band_matrix(*, sr: int, n_fft: int) -> np.ndarray:
    """(7, n_fft // 2 + 1) 0/1 matrix summing FFT bins into core.bands.BANDS."""
    from core.bands import band_masks

    return band_masks(np.fft.rfftfreq(n_fft, 1.0 / sr)).astype(np.float32)


def peak_response_db(
    freqs_hz: np.ndarray, freq_hz: float, gain_db: float, q: float, *, sr: float = 48000.0
) -> np.ndarray:
    """Magnitude (dB) at ``freqs_hz`` of the RBJ audio-EQ-cookbook peaking bell that core.render
    applies (pedalboard's PeakFilter): ``gain_db`` at ``freq_hz``, bandwidth set by ``q``."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * freq_hz / sr
    alpha = np.sin(w0) / (2.0 * q)
    b = np.array([1.0 + alpha * a, -2.0 * np.cos(w0), 1.0 - alpha * a])
    den = np.array([1.0 + alpha / a, -2.0 * np.cos(w0), 1.0 - alpha / a])
    z = np.exp(-1j * 2.0 * np.pi * np.asarray(freqs_hz, dtype=np.float64) / sr)
    h = (b[0] + b[1] * z + b[2] * z**2) / (den[0] + den[1] * z + den[2] * z**2)
    return np.asarray(20.0 * np.log10(np.maximum(np.abs(h), 1e-12)))
