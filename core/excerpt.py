"""Listening excerpts of a rendered move: where to listen, at matched loudness, as WAV bytes.

Pure: arrays in, arrays (or bytes, encoded in memory) out. A preview lets a person hear a move, and
two things make that comparison honest:

- **Where**: the window (``EXCERPT_S`` long at most) where the rendering changed the track most, by
  the energy of the difference ``after - before`` summed over 1 s steps (a sliding sum, so the
  choice costs one pass over the track).
- **At what level**: louder sounds better (Fletcher and Munson; the reason every mastering A/B is
  level-matched), so the after excerpt is brought to the before excerpt's BS.1770 integrated
  loudness, unless the move is itself a level move (a gain), whose whole effect is the level. Both
  excerpts then share one scale factor that keeps their sample peaks under ``PEAK_CEILING_DBFS``, so
  matching never clips.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf
from scipy import signal

from core.errors import InvalidParameter
from core.loudness import measure_loudness

#: Longest excerpt (s): long enough for a verse's phrase, short enough to A/B (and to download).
EXCERPT_S = 20.0
#: The excerpt is chosen on this grid (s).
STEP_S = 1.0
#: The difference energy is summed over every this-many samples when choosing the window.
DECIMATE = 4
#: Sample peaks of both excerpts stay under this after matching (dBFS).
PEAK_CEILING_DBFS = -0.3
#: Moves whose effect is their level: never loudness-matched.
LEVEL_MOVES = frozenset({"gain"})


@dataclass(frozen=True)
class Excerpt:
    """A before/after pair of the same passage, ready to play.

    before, after : float32 arrays, shape (channels, n) as given (or (n,)); the matched audio.
    start_s, duration_s : the passage in the track (s).
    loudness_matched : True when the after excerpt was brought to the before excerpt's loudness.
    match_gain_db : gain applied to ``after`` for the match (0 when not matched).
    trim_db : gain applied to both to keep their peaks under PEAK_CEILING_DBFS (<= 0).
    before_lufs, after_lufs : integrated loudness of the excerpts as rendered, before matching
        (None for silence).
    """

    before: np.ndarray
    after: np.ndarray
    start_s: float
    duration_s: float
    loudness_matched: bool
    match_gain_db: float
    trim_db: float
    before_lufs: float | None
    after_lufs: float | None


def most_changed_window(before: np.ndarray, after: np.ndarray, sr: int, *, seconds: float = EXCERPT_S) -> int:
    """The start sample of the ``seconds``-long window where ``after`` differs most from ``before``.

    Both of shape (n,) or (channels, n), the same shape. The window starts on a STEP_S grid; the
    whole track (start 0) when it is shorter than the window.
    """
    b, a = np.atleast_2d(before), np.atleast_2d(after)
    if b.shape != a.shape:
        raise InvalidParameter(f"before {b.shape} and after {a.shape} must have the same shape")
    n = b.shape[1]
    step = max(int(STEP_S * sr), 1)
    width = max(round(seconds / STEP_S), 1)
    steps = n // step
    if steps <= width:
        return 0
    # Every DECIMATE-th sample is enough to rank 1 s steps (float32: a pass over the track, no copy
    # of it in float64).
    d = a[:, : steps * step : DECIMATE] - b[:, : steps * step : DECIMATE]
    per_step = -(-step // DECIMATE)
    energy = np.square(d).sum(axis=0, dtype=np.float64)
    energy = np.add.reduceat(energy, np.arange(0, energy.size, per_step))[:steps]
    sums = np.convolve(energy, np.ones(width), mode="valid")  # window k covers steps k..k+width-1
    ties = np.flatnonzero(sums >= sums.max() * (1.0 - 1e-9))  # a change shorter than the window:
    return int(ties[len(ties) // 2]) * step  # centre it rather than start at it


def _lufs(y: np.ndarray, sr: int) -> float | None:
    return measure_loudness(y, sr).integrated_lufs


def make_excerpt(
    before: np.ndarray, after: np.ndarray, sr: int, *, move_type: str, seconds: float = EXCERPT_S
) -> Excerpt:
    """The passage where the move changed most, loudness-matched (see the module docstring).

    Parameters
    ----------
    before, after : np.ndarray, shape (n,) or (channels, n)
        The track and its rendering (core.render), same shape, full scale 1.0.
    sr : int
        Their sample rate (Hz).
    move_type : str
        The suggestion's type; LEVEL_MOVES are not matched.
    seconds : float
        The excerpt's length at most (s).
    """
    if seconds <= 0:
        raise InvalidParameter(f"seconds={seconds!r} must be positive")
    b0, a0 = np.asarray(before, dtype=np.float32), np.asarray(after, dtype=np.float32)
    start = most_changed_window(b0, a0, sr, seconds=seconds)
    stop = start + int(seconds * sr)
    b, a = b0[..., start:stop], a0[..., start:stop]
    lb, la = _lufs(b, sr), _lufs(a, sr)
    matched = move_type not in LEVEL_MOVES and lb is not None and la is not None
    gain_db = float(lb - la) if matched and lb is not None and la is not None else 0.0
    a = a * np.float32(10.0 ** (gain_db / 20.0))
    peak = max(float(np.max(np.abs(b), initial=0.0)), float(np.max(np.abs(a), initial=0.0)))
    ceiling = 10.0 ** (PEAK_CEILING_DBFS / 20.0)
    trim = min(1.0, ceiling / peak) if peak > 0 else 1.0
    return Excerpt(
        before=(b * np.float32(trim)).astype(np.float32),
        after=(a * np.float32(trim)).astype(np.float32),
        start_s=round(start / sr, 3),
        duration_s=round(b.shape[-1] / sr, 3),
        loudness_matched=matched,
        match_gain_db=round(gain_db, 2),
        trim_db=round(float(20.0 * np.log10(trim)), 2),
        before_lufs=None if lb is None else round(lb, 2),
        after_lufs=None if la is None else round(la, 2),
    )


def conform(y: np.ndarray, sr: int, *, sr_to: int) -> np.ndarray:
    """``y`` (shape (n,) or (channels, n)) at ``sr_to`` Hz: polyphase resampling (scipy), as (channels, n)."""
    arr = np.atleast_2d(np.asarray(y, dtype=np.float32))
    if int(sr) == int(sr_to):
        return arr
    g = int(np.gcd(int(sr), int(sr_to)))
    out: np.ndarray = signal.resample_poly(arr, int(sr_to) // g, int(sr) // g, axis=-1).astype(np.float32)
    return out


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power pan law (the one core.session.mixdown uses): gains cos θ, sin θ, θ = (pan + 1)·π/4."""
    theta = (min(max(float(pan), -1.0), 1.0) + 1.0) * np.pi / 4.0
    return float(np.cos(theta)), float(np.sin(theta))


def mix_stems(stems: list[tuple[np.ndarray, float, float]], *, n: int) -> np.ndarray:
    """Sum ``(y, volume_db, pan)`` stems (each (channels, m) at one rate) into stereo, shape (2, n).

    A mono stem is panned with ``pan_gains``; a stereo one keeps its image, balanced by the same
    gains scaled by √2 (so a centred stereo stem passes at unity). Stems shorter than ``n`` are
    zero-padded, longer ones cut.
    """
    out = np.zeros((2, n), dtype=np.float64)
    for y, volume_db, pan in stems:
        arr = np.atleast_2d(np.asarray(y, dtype=np.float32))[:, :n]
        g = 10.0 ** (float(volume_db) / 20.0)
        gl, gr = pan_gains(pan)
        m = arr.shape[1]
        if arr.shape[0] == 1:
            out[0, :m] += g * gl * arr[0]
            out[1, :m] += g * gr * arr[0]
        else:
            out[0, :m] += g * gl * np.sqrt(2.0) * arr[0]
            out[1, :m] += g * gr * np.sqrt(2.0) * arr[1]
    result: np.ndarray = out.astype(np.float32)
    return result


def encode_wav(y: np.ndarray, sr: int) -> bytes:
    """``y`` (shape (n,) or (channels, n)) as a 16-bit PCM WAV file, in memory (no file I/O)."""
    arr = np.atleast_2d(np.asarray(y, dtype=np.float32))
    buf = io.BytesIO()
    sf.write(buf, np.clip(arr.T, -1.0, 1.0), int(sr), format="WAV", subtype="PCM_16")
    return buf.getvalue()
