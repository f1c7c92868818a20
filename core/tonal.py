"""Key, Camelot code, mean chroma and tonalness from the shared spectral pass.

Method
------
Key, from the long-term spectrum (``frames.fine_psd``: Welch, ~3 Hz bins, the whole track):

1. Pitch spectrum: the log power is read on a grid of thirds of a semitone from ``KEY_MIN_HZ`` to
   ``KEY_MAX_HZ``, and each point's *prominence* is its level above the median over one octave
   around it (``WHITEN_OCTAVES``), floored at 0 dB. Partials of pitched notes stand 10-40 dB above
   that median; drums, noise and reverb are broadband and stand near 0, so they barely count
   (a spectral whitening, as in Klapuri's multipitch front end, IEEE TASLP 2008, and the peak
   selection of Gómez's HPCP). Prominence in dB is itself a log compression: a loud bass note
   does not outweigh the chords.
2. Pitch-class profile: prominence summed per pitch class (A4 = 440 Hz tuning).
3. Matching: Pearson correlation with the 24 key templates of core.key_profiles, i.e. the
   Aarden-Essen and Krumhansl-Kessler profiles (the two correlations averaged), each *convolved
   with a harmonic series* (Gómez 2006, sec. 4.2): a note's third
   harmonic lands a fifth above it and its fifth harmonic a third above, so templates that expect
   those overtones do not read a key as its dominant, nor a major key as its relative minor,
   the errors bare profiles make on real instruments.

No key (``key_reason``):

- "silence": no signal;
- "unpitched": less than ``PITCHED_SHARE_MIN`` of the pitch grid carries partials ``PARTIAL_DB``
  above the median (kick, snare, hats, noise measure 0-0.02; a bass line, a pad or a mix 0.05-0.2).

Key confidence (0-1): ``clip(r1, 0, 1) · clip((r1 - r2) / MARGIN_FULL, 0, 1)`` with r1, r2 the best
and second-best correlations, scaled down when the pitched share is below ``PITCHED_SHARE_FULL``.
It is a margin over the runner-up key: on ../shared/music-dev, keys with confidence >= 0.7 were
right about 19 times in 20 (bench/bench_music.py prints the figure).

Tonalness (0-1, per frame then averaged; core.frames.FrameFeatures.tonalness, with its constants):
``sqrt(flat · peak · seen)``, where ``flat`` maps the spectral flatness from white-noise-like
(~0.5, 0 decades) to ``FLATNESS_DECADES_FULL`` decades below 1, ``peak`` maps the frame's chroma
from uniform (normalised entropy 1) to ``CHROMA_PEAK_FULL`` below it, and ``seen`` is the share of
power above 250 Hz where the chroma looks.

``chroma`` in the result is the energy-weighted mean chroma of the frames, C first, normalised to
a maximum of 1 (all zeros for silence).
"""

from __future__ import annotations

import numpy as np

from core.frames import FrameFeatures
from core.key_profiles import KEY_PROFILE_SET, MODES, PITCH_CLASSES, camelot, expected_chroma
from core.quantiles import percentile
from core.results import TonalResult

__all__ = [
    "PITCH_CLASSES",
    "estimate_key",
    "floor_tonalness",
    "frame_tonalness",
    "key_correlations",
    "pitch_prominence",
]

#: The pitch grid: from A1 (bass notes) to about D#8's region; above it partials are too sparse.
KEY_MIN_HZ = 55.0
KEY_MAX_HZ = 5000.0
BINS_PER_SEMITONE = 3
#: Prominence is measured above the median of the log spectrum over this many octaves.
WHITEN_OCTAVES = 1.0
#: A grid point carries a partial when it stands this far above the median.
PARTIAL_DB = 10.0
PITCHED_SHARE_MIN = 0.04
PITCHED_SHARE_FULL = 0.08
MARGIN_FULL = 0.06

#: Frames more than this far below the loudest frame are ignored (silence, fades).
FRAME_RANGE_DB = 60.0


def estimate_key(frames: FrameFeatures) -> TonalResult:
    """Key, Camelot code, key confidence, mean chroma and tonalness.

    Parameters
    ----------
    frames : FrameFeatures
        The shared spectral pass; uses ``fine_freqs_hz`` and ``fine_psd`` for the key, and
        ``chroma`` (12, n), ``flatness``, ``band_power`` and ``total_power`` for chroma and tonalness.

    Returns
    -------
    TonalResult
        ``key`` such as "C major" or "F# minor" with ``camelot`` "8B" / "11A", or None with
        ``key_reason`` "silence" or "unpitched".
    """
    power = np.asarray(frames.total_power, dtype=np.float64)
    if power.size == 0 or not power.max() > 0:
        return TonalResult(None, 0.0, (0.0,) * 12, 0.0, key_reason="silence")
    weights = np.where(power >= power.max() * 10 ** (-FRAME_RANGE_DB / 10), power, 0.0)
    weights = weights / weights.sum()
    mean_chroma = np.asarray(frames.chroma, dtype=np.float64) @ weights
    mean_chroma = mean_chroma / mean_chroma.max() if mean_chroma.max() > 0 else mean_chroma
    tonal = float(np.clip(frame_tonalness(frames) @ weights, 0.0, 1.0))
    chroma = tuple(mean_chroma.tolist())
    midi, prominence = pitch_prominence(frames.fine_freqs_hz, frames.fine_psd, sr=frames.sr)
    share = float((prominence >= PARTIAL_DB).mean()) if prominence.size else 0.0
    if share < PITCHED_SHARE_MIN:
        return TonalResult(None, 0.0, chroma, tonal, key_reason="unpitched")
    profile = np.bincount(np.round(midi).astype(int) % 12, weights=prominence, minlength=12)
    scores = key_correlations(profile).ravel()
    order = np.argsort(scores)[::-1]
    best, second = float(scores[order[0]]), float(scores[order[1]])
    mode_index, tonic = divmod(int(order[0]), 12)
    mode = MODES[mode_index]
    confidence = float(np.clip(best, 0, 1) * np.clip((best - second) / MARGIN_FULL, 0, 1))
    confidence *= float(np.clip(share / PITCHED_SHARE_FULL, 0, 1))
    return TonalResult(
        key=f"{PITCH_CLASSES[tonic]} {mode}",
        key_confidence=confidence,
        chroma=chroma,
        tonalness=tonal,
        camelot=camelot(tonic, mode),
    )


def pitch_prominence(freqs_hz: np.ndarray, psd: np.ndarray, *, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """(MIDI pitch grid, prominence in dB) of a power spectrum; see the module docstring, step 1.

    The grid runs in thirds of a semitone from KEY_MIN_HZ to KEY_MAX_HZ (or 0.45 ``sr``).
    """
    top = min(KEY_MAX_HZ, 0.45 * sr)
    per_octave = 12 * BINS_PER_SEMITONE
    steps = np.arange(
        np.ceil(per_octave * np.log2(KEY_MIN_HZ / 440)), np.floor(per_octave * np.log2(top / 440))
    )
    midi = 69 + steps / BINS_PER_SEMITONE
    if midi.size == 0:
        return midi, np.zeros(0)
    level_db = 10.0 * np.log10(np.maximum(np.asarray(psd, dtype=np.float64), 1e-30))
    level = np.interp(440.0 * 2 ** ((midi - 69) / 12), freqs_hz, level_db)
    size = round(per_octave * WHITEN_OCTAVES) | 1
    median = running_median(level, size=size)
    return midi, np.maximum(level - median, 0.0)


def running_median(x: np.ndarray, *, size: int) -> np.ndarray:
    """Median of the ``size`` (odd) points centred on each point, the ends held: what
    ``scipy.ndimage.median_filter(x, size, mode="nearest")`` gives, without importing scipy (~0.1 s)."""
    padded = np.pad(np.asarray(x, dtype=np.float64), size // 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    middle = size // 2  # np.median would import numpy.ma on its first call (~50 ms)
    result: np.ndarray = np.partition(windows, middle, axis=1)[:, middle]
    return result


def key_correlations(profile: np.ndarray) -> np.ndarray:
    """Mean Pearson correlation of a pitch-class ``profile`` (12,) with each key's templates, (2, 12).

    One template per profile of KEY_PROFILE_SET (core.key_profiles.expected_chroma). Row 0 is
    major, row 1 minor; column = tonic pitch class, C first.
    """
    centred = np.asarray(profile, dtype=np.float64) - float(np.mean(profile))
    scale = max(float(np.linalg.norm(centred)), 1e-20)
    total = np.zeros((2, 12))
    for name in KEY_PROFILE_SET:
        templates = expected_chroma(name)
        templates = templates - templates.mean(axis=2, keepdims=True)
        total += (templates @ centred) / (np.linalg.norm(templates, axis=2) * scale)
    return total / len(KEY_PROFILE_SET)


def frame_tonalness(frames: FrameFeatures) -> np.ndarray:
    """Per-frame sqrt(flatness score · chroma peakiness), shape (n_frames,), 0 (noise) to 1 (chords):
    FrameFeatures.tonalness, computed once per analysis and shared (read-only)."""
    return frames.tonalness


#: The frames at the floor: within this (dB) of the 10th percentile of the sounding frames' levels,
#: the same reading of "the quietest passages" as core.dynamics' noise floor.
FLOOR_PERCENTILE = 10.0
FLOOR_WITHIN_DB = 3.0


def floor_tonalness(frames: FrameFeatures) -> float | None:
    """Mean frame_tonalness of the frames at the track's floor; None when no frame sounds.

    Tells a noise floor (hiss between phrases: near 0) from a part's own soft passages (a held
    string note 25 dB under the body: near 1), which level and steadiness alone cannot.
    """
    total = np.asarray(frames.total_power, dtype=np.float64)
    sounding = total > 0.0
    if not sounding.any():
        return None
    level = 10.0 * np.log10(np.where(sounding, total, 1.0))
    floor = float(percentile(level[sounding], FLOOR_PERCENTILE))
    at_floor = sounding & (level <= floor + FLOOR_WITHIN_DB)
    return float(np.mean(frame_tonalness(frames)[at_floor]))
