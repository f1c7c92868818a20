"""Loudness per ITU-R BS.1770-4 and EBU R 128: integrated, momentary, short-term, loudness range, peaks.

Method
------
1. **K-weighting** and its exact block IIR filtering: core.kweighting.

3. **Mean squares** of the K-weighted channels, weighted by the channel gains ``G_i``
   (``CHANNEL_WEIGHTS``), are summed per 10 ms step (``STEP_S``); every window below is a sum of
   whole steps, so memory is O(duration / 10 ms) and windows can be placed every 10 ms.

4. **Loudness of a window** (BS.1770-4 eq. 2): ``L = -0.691 + 10 log10(sum_i G_i z_i)``, with ``z_i``
   the mean square of channel i over the window.

   - *Integrated* (BS.1770-4 eq. 3-7): 400 ms gating blocks with 75 % overlap (100 ms hop from
     t = 0), absolute gate -70 LUFS, relative gate 10 LU below the power mean of the blocks above the
     absolute gate; the result is the loudness of the power mean of the blocks passing both gates.
   - *Momentary* (400 ms) and *short-term* (3 s) maxima (EBU Tech 3341): over windows every 10 ms,
     finer than the 10 Hz minimum of Tech 3341, so short bursts are not missed between updates.
   - *Loudness range* (EBU Tech 3342): short-term (3 s) values every 100 ms, absolute gate -70 LUFS,
     relative gate 20 LU below the power mean of the absolutely gated values, then the difference
     between the 95th and the 10th percentile (linear interpolation between ranks).
   - *Short-term curve*: 3 s loudness every 0.1 s (coarser beyond 10 minutes, at most
     ``MAX_CURVE_POINTS`` points); value ``i`` belongs to the window ending at
     ``start_s + i * hop_s`` (what an EBU-mode meter shows at that moment), ``start_s = 3 s``;
     None where the window is silent or below -70 LUFS.

5. **True peak / sample peak**: core.truepeak (BS.1770-4 Annex 2: a 4x search, then 32x near the
   top), over all channels including LFE; ``plr_db`` = true peak - integrated loudness (EBU R 128 s1 "PLR").

Mono
----
BS.1770-4 sums the weighted channels that are present; it defines no "dual mono" rule. A single
channel therefore counts once (G = 1): a 1 kHz sine at -23 dBFS reads -23.0 LUFS on both channels of
a stereo file (EBU Tech 3341 case 1) but -26.0 LUFS as a one-channel file. We follow the standard
(as libebur128 does with a mono channel map); callers who want the "dual mono" reading add 3.01 LU.

Silence, or input too short for a window, gives None (never NaN or inf): integrated needs one full
400 ms block above the gates, momentary 0.4 s, short-term and loudness range 3 s.
"""

from __future__ import annotations

import math

import numpy as np

from core.errors import InvalidParameter, UnsupportedChannels
from core.kweighting import CHUNK, ROW, block_filter
from core.quantiles import percentile
from core.results import Curve, LoudnessResult, db
from core.truepeak import HISTORY, TruePeakAccumulator

#: BS.1770-4 channel weights G_i (Annex 1, Table 3; back channels at |azimuth| >= 120 deg per the
#: advanced-sound-system note of BS.1770-4: 1.0). Ls/Rs (|azimuth| 60-120 deg) = 1.41 (+1.5 dB);
#: LFE is excluded from loudness. Labels are those of core.audio.CHANNEL_LAYOUTS.
CHANNEL_WEIGHTS: dict[str, float] = {
    "M": 1.0,
    "L": 1.0,
    "R": 1.0,
    "C": 1.0,
    "Ls": 1.41,
    "Rs": 1.41,
    "Cs": 1.0,
    "Lrs": 1.0,
    "Rrs": 1.0,
    "LFE": 0.0,
}

#: BS.1770-4 eq. 2 offset, gates (eq. 4-6; Tech 3342 for the range) and windows.
LOUDNESS_OFFSET_DB = -0.691
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
RANGE_RELATIVE_GATE_LU = -20.0
RANGE_PERCENTILES = (10.0, 95.0)
STEP_S = 0.01
MOMENTARY_STEPS = 40  # 400 ms
SHORT_TERM_STEPS = 300  # 3 s
GATING_HOP_STEPS = 10  # 100 ms (75 % overlap of 400 ms blocks)
RANGE_HOP_STEPS = 10  # 100 ms short-term hop for Tech 3342
CURVE_HOP_S = 0.1
MAX_CURVE_POINTS = 6000


def _step_bounds(sr: int, k: np.ndarray) -> np.ndarray:
    """Absolute sample index where 10 ms step ``k`` starts (exact for any integer rate)."""
    return (k * sr) // round(1.0 / STEP_S)


class LoudnessAccumulator:
    """Feed (channels, n) float32 blocks with ``update``, then call ``result()`` once.

    Created per analysis call, never shared. Internally the stream is re-cut into fixed chunks aligned
    to absolute sample positions, so results do not depend on where block boundaries fall.
    """

    def __init__(self, *, sr: int, layout: tuple[str, ...]) -> None:
        unknown = [label for label in layout if label not in CHANNEL_WEIGHTS]
        if unknown:
            raise InvalidParameter(f"unknown channel labels {unknown}; known are {sorted(CHANNEL_WEIGHTS)}")
        self.sr = sr
        self.layout = layout
        weights = np.array([CHANNEL_WEIGHTS[label] for label in layout])
        self._weighted = np.flatnonzero(weights > 0)
        self._weights = weights[self._weighted].astype(np.float32)
        self._all_weighted = len(self._weighted) == len(layout)
        self._filter = block_filter(sr)
        n_k = len(self._weighted)
        self._state = np.zeros((n_k, 4))
        self._tp = TruePeakAccumulator(len(layout), CHUNK)
        # Work buffers, reused for every chunk: the stage holds the true-peak history, then the chunk.
        self._stage = np.zeros((len(layout), HISTORY + CHUNK), dtype=np.float32)
        self._fill = 0
        self._kin = np.empty((n_k, CHUNK), dtype=np.float32)
        self._kout = np.empty((n_k, CHUNK // (ROW * 128), 128, ROW), dtype=np.float32)
        self._ky = np.empty((n_k, CHUNK), dtype=np.float32)
        self._energy = np.empty(CHUNK, dtype=np.float32)
        self._pos = 0  # samples processed
        self._steps: list[np.ndarray] = []  # weighted energy sums of complete 10 ms steps
        self._partial = 0.0  # energy of the step in progress
        self._n_steps = 0
        self._n_total = 0

    def update(self, block: np.ndarray) -> None:
        """Add a float32 block of shape (channels, n)."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[0] != len(self.layout):
            raise InvalidParameter(f"block has shape {block.shape}; expected ({len(self.layout)}, n)")
        n = block.shape[1]
        self._n_total += n
        done = 0
        while done < n:
            take = min(CHUNK - self._fill, n - done)
            start = HISTORY + self._fill
            self._stage[:, start : start + take] = block[:, done : done + take]
            self._fill += take
            done += take
            if self._fill == CHUNK:
                self._process(CHUNK)

    def _process(self, n_valid: int, *, last: bool = False) -> None:
        stage = self._stage
        if n_valid < CHUNK:
            stage[:, HISTORY + n_valid :] = 0.0
        self._tp.process(stage, n_valid=n_valid, n_total=self._n_total if last else None)
        if len(self._weighted):
            chunk = stage[:, HISTORY:]
            x = chunk if self._all_weighted else np.take(chunk, self._weighted, axis=0, out=self._kin)
            self._state = self._filter.run(x, self._state, self._kout, self._ky)
            y = self._ky[:, :n_valid]
            np.square(y, out=y)
            energy = self._energy[:n_valid]
            np.multiply(y[0], self._weights[0], out=energy)
            for c in range(1, len(y)):
                np.multiply(y[c], self._weights[c], out=y[c])
                np.add(energy, y[c], out=energy)
            self._add_steps(energy)
        stage[:, :HISTORY] = stage[:, CHUNK:]
        self._fill = 0
        self._pos += n_valid

    def _add_steps(self, energy: np.ndarray) -> None:
        """Accumulate per-sample energy into 10 ms step sums (absolute step boundaries)."""
        start, n = self._pos, energy.shape[0]
        if n == 0:
            return
        per_s = round(1.0 / STEP_S)
        k_first = self._n_steps + 1  # next boundary: end of the step in progress
        k_last = (per_s * (start + n + 1) - 1) // self.sr  # last k with floor(k sr / per_s) <= start + n
        cuts = _step_bounds(self.sr, np.arange(k_first, k_last + 1)) - start  # in (0, n]
        if len(cuts) == 0:
            self._partial += float(energy.sum(dtype=np.float64))
            return
        inner = cuts[cuts < n]
        sums = np.add.reduceat(energy, np.concatenate([[0], inner]), dtype=np.float64)
        done = np.empty(len(cuts))
        done[0] = self._partial + sums[0]
        done[1:] = sums[1 : len(cuts)]
        self._partial = float(sums[len(cuts)]) if len(inner) == len(cuts) else 0.0
        self._steps.append(done)
        self._n_steps += len(cuts)

    def result(self) -> LoudnessResult:
        """Flush and measure; silence or too-short input gives None fields, never NaN or inf."""
        if self._n_total:
            self._process(self._fill, last=True)
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0)
        return _measure(steps, sr=self.sr, n_total=self._n_total, peaks=self._tp.result())


def _window_power(steps: np.ndarray, bounds: np.ndarray, width: int, hop: int) -> np.ndarray:
    """Mean weighted power of windows of ``width`` steps every ``hop`` steps (BS.1770-4 eq. 1)."""
    n = len(steps) - width + 1
    if n <= 0:
        return np.zeros(0)
    cum = np.concatenate([[0.0], np.cumsum(steps)])
    first = np.arange(0, n, hop)
    sums = np.maximum(cum[first + width] - cum[first], 0.0)
    power: np.ndarray = sums / (bounds[first + width] - bounds[first])
    return power


def _lufs(power: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        level: np.ndarray = LOUDNESS_OFFSET_DB + 10.0 * np.log10(power)
    return level


def _gated_mean(power: np.ndarray, relative_lu: float) -> tuple[np.ndarray, float | None]:
    """Powers passing the absolute gate and the relative gate; their relative threshold in LUFS."""
    above = power[_lufs(power) > ABSOLUTE_GATE_LUFS]
    if len(above) == 0:
        return above, None
    threshold = float(_lufs(np.array([above.mean()]))[0]) + relative_lu
    return above[_lufs(above) > threshold], threshold


def _loudness_of(power: float) -> float | None:
    level = db(power)
    return None if level is None else level + LOUDNESS_OFFSET_DB


def _measure(
    steps: np.ndarray, *, sr: int, n_total: int, peaks: tuple[np.ndarray, np.ndarray]
) -> LoudnessResult:
    bounds = _step_bounds(sr, np.arange(len(steps) + 1))

    gating = _window_power(steps, bounds, MOMENTARY_STEPS, GATING_HOP_STEPS)
    kept, _ = _gated_mean(gating, RELATIVE_GATE_LU)
    integrated = _loudness_of(float(kept.mean())) if len(kept) else None

    momentary = _window_power(steps, bounds, MOMENTARY_STEPS, 1)
    short_term = _window_power(steps, bounds, SHORT_TERM_STEPS, 1)
    momentary_max = _loudness_of(float(momentary.max())) if len(momentary) else None
    short_term_max = _loudness_of(float(short_term.max())) if len(short_term) else None

    range_power = short_term[::RANGE_HOP_STEPS]
    range_kept, _ = _gated_mean(range_power, RANGE_RELATIVE_GATE_LU)
    range_lu = None
    if len(range_kept):
        lo, hi = percentile(_lufs(range_kept), RANGE_PERCENTILES)
        range_lu = float(hi - lo)

    stride = max(1, math.ceil(len(range_power) / MAX_CURVE_POINTS))
    curve_power = range_power[::stride]
    levels = _lufs(curve_power)
    values = tuple(float(v) if v > ABSOLUTE_GATE_LUFS else None for v in levels)
    curve = Curve(hop_s=round(CURVE_HOP_S * stride, 6), values=values, start_s=SHORT_TERM_STEPS * STEP_S)

    sample_peak, true_peak = peaks
    tp_per_channel = tuple(db(float(v), power=False) for v in true_peak) if n_total else ()
    true_peak_dbtp = db(float(true_peak.max()), power=False) if n_total else None
    sample_peak_dbfs = db(float(sample_peak.max()), power=False) if n_total else None
    plr = None if true_peak_dbtp is None or integrated is None else true_peak_dbtp - integrated
    return LoudnessResult(
        integrated_lufs=integrated,
        range_lu=range_lu,
        momentary_max_lufs=momentary_max,
        short_term_max_lufs=short_term_max,
        true_peak_dbtp=true_peak_dbtp,
        sample_peak_dbfs=sample_peak_dbfs,
        plr_db=plr,
        short_term_curve=curve,
        true_peak_per_channel_dbtp=tp_per_channel,
    )


def measure_loudness(y: np.ndarray, sr: int, *, layout: tuple[str, ...] | None = None) -> LoudnessResult:
    """BS.1770-4 / EBU R 128 loudness of ``y``, shape (n,) or (channels, n), at ``sr`` Hz.

    Parameters
    ----------
    y : ndarray, shape (n,) or (channels, n)
        Samples, full scale = 1.0.
    sr : int
        Sample rate in Hz (8-192 kHz).
    layout : tuple of str, optional
        Channel labels (core.audio.CHANNEL_LAYOUTS by channel count when omitted).

    Returns
    -------
    LoudnessResult
        See the module docstring for the method and its sources.
    """
    from core.audio import CHANNEL_LAYOUTS

    arr = np.asarray(y, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if layout is None:
        if arr.ndim != 2 or arr.shape[0] not in CHANNEL_LAYOUTS:
            raise UnsupportedChannels(f"samples of shape {arr.shape} have no channel layout (1-8 channels)")
        layout = CHANNEL_LAYOUTS[arr.shape[0]]
    acc = LoudnessAccumulator(sr=sr, layout=layout)
    acc.update(arr)
    return acc.result()
