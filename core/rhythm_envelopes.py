"""Onset envelopes for the tempo search, at the frame rate of the shared spectral pass.

Step 1 of core/rhythm.py's method: the accent envelope (per-band log-power flux, each band scaled
by its own loud events, weighted towards the low and middle bands), the share of onsets that are
untonal (a drum kit carrying the mix, or pitched notes), and the pitch flux that legato material
(chorales, strings) shows instead of energy onsets.
"""

from __future__ import annotations

import numpy as np

from core.frames import FrameFeatures
from core.quantiles import percentile
from core.tonal import frame_tonalness

#: Accent envelope: weight of each band of core.bands.BANDS (sub .. brilliance). Beats are carried
#: by the low and middle bands (bass and snare drum, bass notes, chords); hats and cymbals in the
#: top bands mark the subdivision (Goto, "An audio-based real-time beat tracking system for music
#: with or without drum-sounds", JNMR 2001), so they weigh less.
ACCENT_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 0.5, 0.25, 0.25)
#: Each band's power is floored this far below its own loud level (the percentile), and its flux
#: is scaled by its own loud flux (the same percentile, at least ACCENT_MIN_FULL_DB).
ACCENT_RANGE_DB = 25.0
ACCENT_LEVEL_PERCENTILE = 99.0
ACCENT_MIN_FULL_DB = 3.0
#: Pitch flux (legato fallback): log chroma compression.
PITCH_FLUX_COMPRESSION = 100.0
#: The pitch flux is kept only for pitched material: the power-weighted mean frame tonalness must
#: reach this (noise measures under 0.1, chorales and fiddle tunes over 0.9).
PITCH_TONALNESS_MIN = 0.3


def band_flux(frames: FrameFeatures) -> np.ndarray:
    """Half-wave rectified log-power flux per band, shape (n_bands, n_frames), in dB.

    Each band's power is floored ``ACCENT_RANGE_DB`` below its own ``ACCENT_LEVEL_PERCENTILE``
    level, so quiet events and noise give no flux, then delayed like ``onset_env`` (half a window).
    """
    power = np.asarray(frames.band_power, dtype=np.float64)
    if power.size == 0:
        return np.zeros((len(ACCENT_WEIGHTS), 0))
    level = percentile(power, ACCENT_LEVEL_PERCENTILE, axis=1, keepdims=True)
    floor = level * 10 ** (-ACCENT_RANGE_DB / 10) + 1e-20
    log_power = 10.0 * np.log10(np.maximum(power, floor))
    flux = np.maximum(0.0, np.diff(log_power, axis=1, prepend=log_power[:, :1]))
    delay = min(frames.n_fft // (2 * frames.hop_length), flux.shape[1])
    return np.concatenate([np.zeros((flux.shape[0], delay)), flux[:, : flux.shape[1] - delay]], axis=1)


def accent_envelope(frames: FrameFeatures) -> np.ndarray:
    """Accents 0-1 per frame: the ACCENT_WEIGHTS-weighted mean of each band's flux over its loud flux.

    Every band is scaled by its own loud events, so a snare that is quiet in the mids next to a
    loud kick, or a piano in a mix without drums, still accents its band fully.
    """
    flux = band_flux(frames)
    if flux.size == 0:
        return np.zeros(frames.n_frames)
    full = np.maximum(percentile(flux, ACCENT_LEVEL_PERCENTILE, axis=1, keepdims=True), ACCENT_MIN_FULL_DB)
    weights = np.asarray(ACCENT_WEIGHTS)[:, None]
    return np.asarray((np.clip(flux / full, 0.0, 1.0) * weights).sum(axis=0) / weights.sum())


def percussive_share(frames: FrameFeatures) -> float:
    """Onset-weighted mean of (1 - frame tonalness): 0 when every onset is a pitched note, ~1 for drums."""
    onset = np.asarray(frames.onset_env, dtype=np.float64)
    if not onset.sum() > 0:
        return 0.0
    return float(((1.0 - frame_tonalness(frames)) * onset).sum() / onset.sum())


def pitch_flux(frames: FrameFeatures) -> np.ndarray:
    """Rectified flux of the log chroma, weighted by each frame's tonalness, shape (n_frames,).

    Each frame's chroma is log-compressed relative to its own maximum, so a new note shows as a
    rise in its pitch class even when the level does not rise (a legato line, a choir changing
    chord): the "pitch" part of a spectral-flux / complex-domain onset function (Bello et al.,
    "A tutorial on onset detection in music signals", IEEE TSAP 2005, sec. III). Frames weigh
    by core.tonal.frame_tonalness, so drums feed nothing; unpitched material (mean tonalness under
    ``PITCH_TONALNESS_MIN``) gives zeros. Delayed like ``onset_env``.
    """
    chroma = np.asarray(frames.chroma, dtype=np.float64)
    if chroma.size == 0:
        return np.zeros(frames.n_frames)
    peak = np.maximum(chroma.max(axis=0, keepdims=True), 1e-20)
    log_chroma = np.log1p(PITCH_FLUX_COMPRESSION * chroma / peak)
    rise = np.maximum(0.0, np.diff(log_chroma, axis=1, prepend=log_chroma[:, :1])).sum(axis=0)
    tonal = frame_tonalness(frames)
    power = np.asarray(frames.total_power, dtype=np.float64)
    if not power.sum() > 0 or float(tonal @ power) / float(power.sum()) < PITCH_TONALNESS_MIN:
        return np.zeros(frames.n_frames)
    flux = rise * tonal
    delay = min(frames.n_fft // (2 * frames.hop_length), flux.shape[0])
    return np.concatenate([np.zeros(delay), flux[: flux.shape[0] - delay]])


def unit_peak(x: np.ndarray) -> np.ndarray:
    peak = float(x.max()) if x.size else 0.0
    return x / peak if peak > 0 else np.zeros_like(x)
