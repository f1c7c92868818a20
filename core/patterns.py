"""Musical character scores (rhythmic, tonal, percussive, sustained) and named patterns.

Scores, each 0-1:

- rhythmic: ``tempo_confidence`` times the share of onsets within ``GRID_TOLERANCE_S`` of the
  eighth-note grid implied by the beats (0 without a tempo).
- tonal: the tonalness of core.tonal.
- percussive: how far the onset envelope's loud peaks stand above its typical level,
  ``(p99 - median) / PERCUSSIVE_FULL_DB`` (log-mel flux in dB: drum hits jump by tens of dB, a pad
  or noise barely moves), scaled down when there are fewer than ``PERCUSSIVE_MIN_RATE_HZ`` onsets.
- sustained: the share of sounding frames (within ``ACTIVE_RANGE_DB`` of the loudest) whose level
  changes by less than ``STEADY_DB_PER_FRAME`` from the previous frame (held notes, pads, drones).

Named patterns are detected when the measurements pass the thresholds of ``THRESHOLDS``; kick and
snare come from the rise of sub and low-mid power, read at the beats and between them.
"""

from __future__ import annotations

import numpy as np

from core.frames import FrameFeatures
from core.quantiles import percentile
from core.results import DynamicsResult, PatternsResult, RhythmResult, TonalResult
from core.rhythm_events import ENVELOPE_LAG_FRAMES

GRID_TOLERANCE_S = 0.035
PERCUSSIVE_FULL_DB = 20.0
PERCUSSIVE_MIN_RATE_HZ = 0.5
ACTIVE_RANGE_DB = 40.0
STEADY_DB_PER_FRAME = 0.3
#: A kick or snare "plays" at a beat when its flux there reaches this share of its 95th percentile
#: over all beats and half-beats.
HIT_SHARE = 0.5
#: Band groups (indices into core.bands.BANDS): kick = sub (its fundamental; a snare's body can
#: reach the bass band), snare = low_mid + mid.
KICK_SNARE_BANDS: tuple[tuple[int, ...], ...] = ((0,), (2, 3))

#: Every detection rule's thresholds, in one place.
THRESHOLDS: dict[str, float] = {
    # four_on_the_floor: a kick on at least this share of beats, and on at most the off-beat share.
    "four_on_the_floor_beats": 0.8,
    "four_on_the_floor_offbeats": 0.25,
    # backbeat: snare on alternate beats, this many times more often on one parity, kick on the other.
    "backbeat_parity_ratio": 2.0,
    "backbeat_snare_beats": 0.35,
    # syncopated: this share of kick and snare hits falls on the off-beats (half-beats).
    "syncopated_offbeat_share": 0.25,
    # rhythm-dependent rules need at least this rhythmic score.
    "rhythmic_min": 0.4,
    "sustained_pad_sustained": 0.6,
    "sustained_pad_tonal": 0.5,
    "sustained_pad_percussive_max": 0.35,
    "percussive_loop_percussive": 0.5,
    "percussive_loop_rhythmic": 0.5,
    "tonal_melodic_tonal": 0.6,
    "tonal_melodic_onset_rate_hz": 0.5,
    "tonal_melodic_percussive_max": 0.5,
    # sparse: few onsets, with mostly silence or nothing held in between.
    "sparse_onset_rate_hz": 0.5,
    "sparse_sustained_max": 0.5,
    "sparse_silence_ratio": 0.5,
    "noise_like_tonal_max": 0.2,
    "noise_like_rhythmic_max": 0.2,
    "noise_like_flatness": 0.2,
}


def detect_patterns(
    frames: FrameFeatures, *, rhythm: RhythmResult, tonal: TonalResult, dynamics: DynamicsResult
) -> PatternsResult:
    """Character scores and detected pattern names (see the module docstring and THRESHOLDS).

    Parameters
    ----------
    frames : FrameFeatures
        Uses ``onset_env``, ``band_power``, ``total_power`` and ``flatness``.
    rhythm, tonal, dynamics : results of core.rhythm, core.tonal and core.dynamics.
    """
    power = np.asarray(frames.total_power, dtype=np.float64)
    if power.size == 0 or not power.max() > 0:
        return PatternsResult(0.0, 0.0, 0.0, 0.0, ("sparse",))
    fps = frames.sr / frames.hop_length
    beats = np.asarray(rhythm.beats_s)
    rhythmic = rhythm.tempo_confidence * _grid_share(np.asarray(rhythm.onsets_s), beats)
    percussive = _percussive(np.asarray(frames.onset_env, dtype=np.float64), rhythm.onset_rate_hz)
    sustained = _sustained(power)
    tonal_score = float(tonal.tonalness)
    kick_snare = (
        _kick_snare(frames, beats, fps=fps) if rhythm.tempo_bpm is not None and len(beats) >= 8 else None
    )
    weights = power / power.sum()
    flatness = float(np.asarray(frames.flatness, dtype=np.float64) @ weights)

    t = THRESHOLDS
    detected: list[str] = []
    if kick_snare is not None and rhythmic >= t["rhythmic_min"]:
        kick_on, kick_off, snare_on, parity_ratio, kick_parity_flip, offbeat_share = kick_snare
        if kick_on >= t["four_on_the_floor_beats"] and kick_off <= t["four_on_the_floor_offbeats"]:
            detected.append("four_on_the_floor")
        if (
            snare_on >= t["backbeat_snare_beats"]
            and parity_ratio >= t["backbeat_parity_ratio"]
            and kick_parity_flip
        ):
            detected.append("backbeat")
        if offbeat_share >= t["syncopated_offbeat_share"]:
            detected.append("syncopated")
    if (
        sustained >= t["sustained_pad_sustained"]
        and tonal_score >= t["sustained_pad_tonal"]
        and percussive <= t["sustained_pad_percussive_max"]
    ):
        detected.append("sustained_pad")
    if percussive >= t["percussive_loop_percussive"] and rhythmic >= t["percussive_loop_rhythmic"]:
        detected.append("percussive_loop")
    if (
        tonal_score >= t["tonal_melodic_tonal"]
        and rhythm.onset_rate_hz >= t["tonal_melodic_onset_rate_hz"]
        and percussive <= t["tonal_melodic_percussive_max"]
    ):
        detected.append("tonal_melodic")
    if rhythm.onset_rate_hz <= t["sparse_onset_rate_hz"] and (
        dynamics.silence_ratio >= t["sparse_silence_ratio"] or sustained <= t["sparse_sustained_max"]
    ):
        detected.append("sparse")
    if (
        tonal_score <= t["noise_like_tonal_max"]
        and rhythmic <= t["noise_like_rhythmic_max"]
        and flatness >= t["noise_like_flatness"]
    ):
        detected.append("noise_like")
    return PatternsResult(
        rhythmic=float(np.clip(rhythmic, 0, 1)),
        tonal=float(np.clip(tonal_score, 0, 1)),
        percussive=percussive,
        sustained=sustained,
        detected=tuple(detected),
    )


def _grid_share(onsets_s: np.ndarray, beats_s: np.ndarray) -> float:
    """Share of onsets within GRID_TOLERANCE_S of a beat or a half-beat (1 when there are none)."""
    if len(beats_s) < 2:
        return 0.0
    if len(onsets_s) == 0:
        return 1.0
    grid = np.sort(np.concatenate([beats_s, (beats_s[:-1] + beats_s[1:]) / 2]))
    idx = np.clip(np.searchsorted(grid, onsets_s), 1, len(grid) - 1)
    distance = np.minimum(np.abs(onsets_s - grid[idx - 1]), np.abs(onsets_s - grid[idx]))
    inside = (onsets_s >= grid[0] - GRID_TOLERANCE_S) & (onsets_s <= grid[-1] + GRID_TOLERANCE_S)
    return float(np.mean(distance[inside] <= GRID_TOLERANCE_S)) if inside.any() else 0.0


def _percussive(onset: np.ndarray, onset_rate_hz: float) -> float:
    if onset.size == 0:
        return 0.0
    p99, median = percentile(onset, [99.0, 50.0])
    contrast = float(np.clip((p99 - median) / PERCUSSIVE_FULL_DB, 0, 1))
    return contrast * float(np.clip(onset_rate_hz / PERCUSSIVE_MIN_RATE_HZ, 0, 1))


def _sustained(power: np.ndarray) -> float:
    level_db = 10.0 * np.log10(np.maximum(power, 1e-20))
    active = level_db[1:] >= level_db.max() - ACTIVE_RANGE_DB
    if not active.any():
        return 0.0
    steady = np.abs(np.diff(level_db)) < STEADY_DB_PER_FRAME
    return float(np.mean(steady[active]))


def _power_rise(frames: FrameFeatures) -> np.ndarray:
    """Rise of power per KICK_SNARE_BANDS group over one frame, relative to the group's 99th
    percentile level, shape (2, n), delayed like ``onset_env``. Linear, so a snare's faint sub
    energy is not mistaken for a kick (a flux in dB would be)."""
    power = np.asarray(frames.band_power, dtype=np.float64)
    summed = np.stack([power[list(idx)].sum(axis=0) for idx in KICK_SNARE_BANDS])
    level = np.maximum(percentile(summed, 99.0, axis=1, keepdims=True), 1e-20)
    rise = np.maximum(0.0, np.diff(summed, axis=1, prepend=summed[:, :1])) / level
    delay = min(frames.n_fft // (2 * frames.hop_length), rise.shape[1])
    return np.concatenate([np.zeros((2, delay)), rise[:, : rise.shape[1] - delay]], axis=1)


def _kick_snare(
    frames: FrameFeatures, beats_s: np.ndarray, *, fps: float
) -> tuple[float, float, float, float, bool, float]:
    """(kick share on beats, kick share on off-beats, snare share on beats, snare parity ratio,
    kick prefers the other parity, off-beat share of kick and snare hits)."""
    flux = _power_rise(frames)  # (2, n): kick, snare
    n = flux.shape[1]
    radius = 2
    padded = np.pad(flux, ((0, 0), (radius, radius)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1, axis=1).max(axis=2)  # (2, n)

    def at(times_s: np.ndarray) -> np.ndarray:
        idx = np.clip(np.round(times_s * fps + ENVELOPE_LAG_FRAMES).astype(int), 0, n - 1)
        return np.asarray(windows[:, idx])

    on = at(beats_s)
    off = at((beats_s[:-1] + beats_s[1:]) / 2)
    reference = percentile(np.concatenate([on, off], axis=1), 95.0, axis=1, keepdims=True)
    reference = np.maximum(reference, 1e-9)
    hit_on, hit_off = on >= HIT_SHARE * reference, off >= HIT_SHARE * reference
    snare_even, snare_odd = hit_on[1, 0::2].mean(), hit_on[1, 1::2].mean()
    kick_even, kick_odd = hit_on[0, 0::2].mean(), hit_on[0, 1::2].mean()
    ratio = max(snare_even, snare_odd) / max(min(snare_even, snare_odd), 1e-3)
    flip = (kick_even > kick_odd) != (snare_even > snare_odd)
    hits_on, hits_off = hit_on.sum(), hit_off.sum()
    offbeat_share = float(hits_off / max(hits_on + hits_off, 1))
    return (
        float(hit_on[0].mean()),
        float(hit_off[0].mean()),
        float(hit_on[1].mean()),
        float(ratio),
        bool(flip),
        offbeat_share,
    )
