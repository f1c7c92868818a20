"""Beat and onset times (s) from the onset envelope: the snapped beat grid and peak picking.

Steps 4 and 5 of core/rhythm.py's method. Times are reported at the event: the envelope's peak
comes ``ENVELOPE_LAG_FRAMES`` after the onset (measured on clicks at random sub-frame positions,
tests/core/test_rhythm.py).
"""

from __future__ import annotations

import numpy as np

#: Peak picking (librosa.onset.onset_detect defaults, with the pre/post maximum made symmetric).
WAIT_S = 0.03
AVG_S = 0.10
DELTA = 0.07
#: Beats are snapped to the envelope maximum within this distance of the grid (and 15 % of a beat).
SNAP_S = 0.05
#: Peak of the flux envelope after the onset it marks, in frames (calibrated on clicks).
ENVELOPE_LAG_FRAMES = 0.6
#: Below this peak flux (dB, mean over mel bands) the envelope is considered empty.
MIN_FLUX_DB = 0.5


def beat_grid(envelope: np.ndarray, period: float, *, fps: float) -> np.ndarray:
    """Beat times (s): the best-phase grid at ``period`` frames, each beat snapped to a nearby peak."""
    n = len(envelope)
    active = np.flatnonzero(envelope > 0.05 * envelope.max())
    if active.size == 0:
        return np.zeros(0)
    phases = np.arange(0.0, period, 0.25)
    k = np.arange(int(np.ceil(n / period)) + 1)
    positions = phases[:, None] + period * k[None, :]
    frame_axis = np.arange(n)
    scores = np.where(positions < n - 1, np.interp(positions, frame_axis, envelope), 0.0).sum(axis=1)
    grid = positions[int(np.argmax(scores))]
    grid = grid[(grid >= active[0] - period / 2) & (grid <= min(active[-1] + period / 2, n - 1))]
    radius = max(1, round(min(SNAP_S * fps, 0.15 * period)))
    padded = np.concatenate([np.zeros(radius), envelope, np.zeros(radius)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)
    centre = np.round(grid).astype(int)
    local = windows[centre]
    best = np.argmax(local, axis=1)
    peak = local[np.arange(len(centre)), best]
    snapped = np.where(peak > 0.2 * envelope.max(), centre + best - radius, grid)
    return np.asarray(np.maximum((snapped - ENVELOPE_LAG_FRAMES) / fps, 0.0))


def detect_onsets(onset: np.ndarray, *, fps: float) -> np.ndarray:
    """Onset times (s) by peak picking the normalised onset envelope; see the module docstring."""
    n = len(onset)
    if n < 3 or onset.max() < MIN_FLUX_DB:
        return np.zeros(0)
    x = (onset - onset.min()) / (onset.max() - onset.min())
    wait = max(1, int(np.ceil(WAIT_S * fps)))
    avg = max(1, round(AVG_S * fps))
    padded = np.concatenate([np.full(wait, -np.inf), x, np.full(wait, -np.inf)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * wait + 1)
    before = windows[:, :wait].max(axis=1)
    after = windows[:, wait + 1 :].max(axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(x)])
    lo = np.maximum(np.arange(n) - avg, 0)
    hi = np.minimum(np.arange(n) + avg + 1, n)
    local_mean = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    peaks = np.flatnonzero((x > before) & (x >= after) & (x >= local_mean + DELTA))
    return np.asarray(np.maximum((peaks - ENVELOPE_LAG_FRAMES) / fps, 0.0))
