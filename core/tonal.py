"""Key, mean chroma and tonalness from the shared per-frame chroma and flatness.

Method
------
Key: the Krumhansl-Schmuckler algorithm. The chroma energy is summed over frames, each weighted
by its energy and its tonalness (so loud pitched frames decide, not drum hits), log-compressed
(``log1p(LOG_COMPRESSION · c / max c)``, so the strongest pitch class, often the bass, does not
decide alone), and correlated (Pearson) with the 24 rotations of
the Krumhansl-Kessler major and minor profiles; the best correlation names the key.

Tonalness (0-1): how pitched the signal is, the energy-weighted mean over frames of
``sqrt(flat · peak)``, where ``flat`` maps the spectral flatness from white-noise-like (~0.5,
0 decades) to ``FLATNESS_DECADES_FULL`` decades below 1 (tonal), and ``peak`` maps the frame's
chroma from uniform (normalised entropy 1) to ``CHROMA_PEAK_FULL`` below it (a chord).

Key confidence (0-1): ``clip(r1, 0, 1) · clip((r1 - r2) / MARGIN_FULL, 0, 1)`` with r1, r2 the
best and second-best correlations, scaled by tonalness below ``TONALNESS_FULL``. With tonalness
below ``TONALNESS_MIN`` (noise, unpitched drums) or silence the key is None and confidence 0.

``chroma`` in the result is the energy-weighted mean chroma before compression, C first,
normalised to a maximum of 1 (all zeros for silence).
"""

from __future__ import annotations

import numpy as np

from core.frames import FrameFeatures
from core.results import TonalResult

PITCH_CLASSES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

#: Krumhansl & Kessler (1982), "Tracing the dynamic changes in perceived tonal organization in a
#: spatial representation of musical keys", Psychological Review 89(4); probe-tone ratings as
#: tabulated in Krumhansl, "Cognitive Foundations of Musical Pitch" (1990), Table 2.1. Tonic first.
KEY_PROFILES: dict[str, tuple[float, ...]] = {
    "major": (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
    "minor": (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
}

LOG_COMPRESSION = 100.0
FLATNESS_DECADES_FULL = 3.0
CHROMA_PEAK_FULL = 0.08
TONALNESS_MIN = 0.15
#: A frame's chroma counts fully when at least this share of its power lies above 250 Hz.
CHROMA_COVERAGE_FULL = 0.25
TONALNESS_FULL = 0.6
MARGIN_FULL = 0.15
#: Frames more than this far below the loudest frame are ignored (silence, fades).
FRAME_RANGE_DB = 60.0


def estimate_key(frames: FrameFeatures) -> TonalResult:
    """Key, key confidence, mean chroma and tonalness.

    Parameters
    ----------
    frames : FrameFeatures
        The shared spectral pass; uses ``chroma`` (12, n), ``flatness`` (n,) and ``total_power`` (n,).

    Returns
    -------
    TonalResult
        ``key`` such as "C major" or "F# minor", or None for silence and unpitched signals.
    """
    power = np.asarray(frames.total_power, dtype=np.float64)
    if power.size == 0 or not power.max() > 0:
        return TonalResult(None, 0.0, (0.0,) * 12, 0.0)
    weights = np.where(power >= power.max() * 10 ** (-FRAME_RANGE_DB / 10), power, 0.0)
    weights = weights / weights.sum()
    chroma = np.asarray(frames.chroma, dtype=np.float64)
    mean_chroma = chroma @ weights
    mean_chroma = mean_chroma / mean_chroma.max() if mean_chroma.max() > 0 else mean_chroma
    frame_tonal = frame_tonalness(frames)
    tonal = float(np.clip(frame_tonal @ weights, 0.0, 1.0))
    key_weights = weights * frame_tonal  # pitched frames decide the key, not drum hits
    key_chroma = chroma @ key_weights if key_weights.sum() > 0 else mean_chroma
    if tonal < TONALNESS_MIN or not key_chroma.max() > 0:
        return TonalResult(None, 0.0, tuple(mean_chroma.tolist()), tonal)
    scores = key_correlations(key_chroma)
    order = np.argsort(scores.ravel())[::-1]
    best, second = scores.ravel()[order[0]], scores.ravel()[order[1]]
    mode_index, tonic = divmod(int(order[0]), 12)
    mode = tuple(KEY_PROFILES)[mode_index]
    confidence = float(np.clip(best, 0, 1) * np.clip((best - second) / MARGIN_FULL, 0, 1))
    confidence *= float(np.clip(tonal / TONALNESS_FULL, 0, 1))
    return TonalResult(
        key=f"{PITCH_CLASSES[tonic]} {mode}",
        key_confidence=confidence,
        chroma=tuple(mean_chroma.tolist()),
        tonalness=tonal,
    )


def key_correlations(chroma: np.ndarray) -> np.ndarray:
    """Pearson correlation of log-compressed ``chroma`` (12,) with every key, shape (2, 12).

    Row 0 is major, row 1 minor (the order of KEY_PROFILES); column = tonic pitch class, C first.
    """
    c = np.log1p(LOG_COMPRESSION * chroma / max(float(chroma.max()), 1e-20))
    profiles = np.array(list(KEY_PROFILES.values()))  # (2, 12), tonic first
    # templates[m, t, p]: the weight of pitch class p in the key with tonic t and mode m.
    shift = (np.arange(12)[None, :] - np.arange(12)[:, None]) % 12
    templates = profiles[:, shift]
    templates = templates - templates.mean(axis=2, keepdims=True)
    centred = c - c.mean()
    norm = np.linalg.norm(templates, axis=2) * max(float(np.linalg.norm(centred)), 1e-20)
    return np.asarray((templates @ centred) / norm)


def frame_tonalness(frames: FrameFeatures) -> np.ndarray:
    """Per-frame sqrt(flatness score · chroma peakiness), shape (n_frames,), 0 (noise) to 1 (chords)."""
    flatness = np.maximum(np.asarray(frames.flatness, dtype=np.float64), 1e-12)
    flat_score = np.clip(-np.log10(flatness) / FLATNESS_DECADES_FULL, 0, 1)
    chroma = np.asarray(frames.chroma, dtype=np.float64)
    p = chroma / np.maximum(chroma.sum(axis=0, keepdims=True), 1e-20)
    entropy = -(p * np.log(np.maximum(p, 1e-20))).sum(axis=0) / np.log(12)
    peak_score = np.clip((1.0 - entropy) / CHROMA_PEAK_FULL, 0, 1)
    # Chroma only sees bins above core.frames.CHROMA_MIN_HZ: a frame whose power is nearly all
    # below that (a kick's body, a sub bass) has chroma made of leakage, peaky by accident.
    total = np.maximum(np.asarray(frames.total_power, dtype=np.float64), 1e-20)
    low = np.asarray(frames.band_power, dtype=np.float64)[:2].sum(axis=0)  # sub + bass, < 250 Hz
    seen = np.clip((1.0 - low / total) / CHROMA_COVERAGE_FULL, 0, 1)
    return np.asarray(np.sqrt(flat_score * peak_score * seen))
