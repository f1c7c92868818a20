"""Loudness per ITU-R BS.1770-4 and EBU R 128: integrated, momentary, short-term, loudness range, peaks.

Method
------
1. **K-weighting** (BS.1770-4, Annex 1, eq. 1 and Tables 1-2): a high-shelf "pre-filter" followed by
   the RLB high-pass, each a biquad. BS.1770-4 prints the coefficients at 48 kHz only; for any rate
   we derive both from their analog prototypes by the bilinear transform with frequency pre-warping,
   ``K = tan(pi f0 / fs)``, using the prototype parameters that reproduce the published 48 kHz
   coefficients to < 1e-9 (tests/core/test_loudness.py checks them against the Table 1-2 values):
   shelf f0 = 1681.974 Hz, gain = 3.99984 dB, Q = 0.7071752; high-pass f0 = 38.13547 Hz,
   Q = 0.5003270 (Brecht De Man's derivation, as in libebur128 and pyloudnorm's "DeMan" filter).

2. **Exact IIR filtering without a per-sample loop** (our method, since scipy.signal is out of the
   analysis path). The two biquads form one 4-state linear system ``s[n+1] = A s[n] + b x[n]``,
   ``y[n] = c s[n] + d x[n]``. The signal is cut into rows of ``ROW`` samples; for a row starting
   in state ``s0``

   .. math:: y = T x + C_{obs}\\, s_0, \\qquad s_{ROW} = A^{ROW} s_0 + G x

   with ``T`` the lower-triangular Toeplitz matrix of the impulse response, ``C_obs[n] = c A^n`` and
   ``G[m] = A^{ROW-1-m} b``. All rows' ``T x`` and ``G x`` are one matrix product (float32). The
   row-start states obey ``s_{j+1} = M s_j + u_j`` (``M = A^{ROW}``), a recursion of the same form,
   solved the same way one level up: groups of 16 rows, then 16 groups, then 8, each level one
   product with a block-Toeplitz matrix of powers of its transition matrix (float64). Only the state
   at the end of each 65,536-sample chunk is carried from chunk to chunk. This is the recursion of
   scipy.signal.lfilter (zero initial state) evaluated exactly, not an FIR approximation; the tests
   compare it with lfilter (error ~1e-6 of full scale, from the float32 rows).

   The thin matrix products run in batches of 128 rows: each stays on one BLAS thread, which on a
   busy two-core machine is faster and much steadier than OpenBLAS's threading. Work buffers are
   reused from chunk to chunk (fresh half-megabyte arrays per chunk cost more in page faults than
   the arithmetic).

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

5. **True peak / sample peak**: core.truepeak (BS.1770-4 Annex 2, 4x oversampling), over all channels
   including LFE; ``plr_db`` = true peak - integrated loudness (EBU R 128 s1 "PLR").

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
from functools import lru_cache

import numpy as np

from core.errors import InvalidParameter, UnsupportedChannels
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

#: K-weighting analog prototypes fitted to BS.1770-4 Annex 1 Tables 1-2 (B. De Man; as in libebur128).
SHELF_F0_HZ = 1681.974450955533
SHELF_GAIN_DB = 3.999843853973347
SHELF_Q = 0.7071752369554196
HIGHPASS_F0_HZ = 38.13547087602444
HIGHPASS_Q = 0.5003270373238773

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

#: Internal processing sizes (speed only; results do not depend on the caller's block sizes).
ROW = 32
LEVELS = (16, 16, 8)  # rows per group at each level of the state recursion (product: rows per chunk)
CHUNK = ROW * 16 * 16 * 8  # 65,536 samples


def k_weighting_coefficients(sr: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((b, a) shelf, (b, a) high-pass) of the K-weighting at ``sr`` Hz, a[0] = 1 (BS.1770-4 Annex 1)."""
    k = math.tan(math.pi * SHELF_F0_HZ / sr)
    vh = 10.0 ** (SHELF_GAIN_DB / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / SHELF_Q + k * k
    shelf_b = (
        np.array([(vh + vb * k / SHELF_Q + k * k), 2.0 * (k * k - vh), (vh - vb * k / SHELF_Q + k * k)]) / a0
    )
    shelf_a = np.array([a0, 2.0 * (k * k - 1.0), 1.0 - k / SHELF_Q + k * k]) / a0
    k = math.tan(math.pi * HIGHPASS_F0_HZ / sr)
    a0 = 1.0 + k / HIGHPASS_Q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([a0, 2.0 * (k * k - 1.0), 1.0 - k / HIGHPASS_Q + k * k]) / a0
    return (shelf_b, shelf_a), (hp_b, hp_a)


def _state_space(sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(A, b, c, d) of the two biquads in cascade, each in transposed direct form II."""
    parts = []
    for b, a in k_weighting_coefficients(sr):
        am = np.array([[-a[1], 1.0], [-a[2], 0.0]])
        bm = np.array([b[1] - a[1] * b[0], b[2] - a[2] * b[0]])
        parts.append((am, bm, np.array([1.0, 0.0]), float(b[0])))
    (a1, b1, c1, d1), (a2, b2, c2, d2) = parts
    a = np.zeros((4, 4))
    a[:2, :2] = a1
    a[2:, :2] = np.outer(b2, c1)
    a[2:, 2:] = a2
    return a, np.concatenate([b1, b2 * d1]), np.concatenate([d2 * c1, c2]), d2 * d1


def _recurrence_matrices(m: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matrices solving ``s[j+1] = m s[j] + u[j]`` over a group of ``size`` steps (row vectors).

    Returns ``second`` (size*4, size*4 + 4): the group's zero-state step states and its end-state
    contribution; ``mcat`` (4, size*4): the step states due to the group's start state; and
    ``step`` (4, 4): the start-to-end transition ``(m**size).T``.
    """
    powers = [np.eye(4)]
    for _ in range(size):
        powers.append(powers[-1] @ m)
    toeplitz = np.zeros((size, 4, size, 4))
    for i in range(size):
        for k in range(i + 1, size):
            toeplitz[i, :, k, :] = powers[k - 1 - i].T
    end = np.array([powers[size - 1 - i].T for i in range(size)])
    second = np.concatenate([toeplitz.reshape(size * 4, size * 4), end.reshape(size * 4, 4)], axis=1)
    mcat = np.concatenate([p.T for p in powers[:size]], axis=1)
    return second, mcat, powers[size].T


class _BlockFilter:
    """Matrices of the exact row-wise evaluation of the K-weighting (module docstring, step 2).

    Rows are filtered in float32 (one product for every row's zero-state output and end-state
    contribution); the chained states are solved in float64 over ``LEVELS`` nested group sizes.
    """

    def __init__(self, sr: int) -> None:
        a, b, c, d = _state_space(sr)
        powers = [np.eye(4)]
        for _ in range(ROW):
            powers.append(powers[-1] @ a)
        h = np.array([d] + [c @ powers[k - 1] @ b for k in range(1, ROW)])
        idx = np.arange(ROW)
        lag = idx[None, :] - idx[:, None]  # n - m
        toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)], 0.0)  # [m, n]
        gain = np.array([powers[ROW - 1 - m] @ b for m in range(ROW)])  # (ROW, 4)
        #: x row (ROW,) @ first -> [zero-state outputs (ROW) | end-state contribution (4)]
        self.first = np.concatenate([toeplitz, gain], axis=1).astype(np.float32)
        self.observe = np.array([c @ powers[n] for n in range(ROW)]).T.astype(np.float32)  # (4, ROW)
        self.levels = []
        m = powers[ROW]
        for size in LEVELS:
            second, mcat, step = _recurrence_matrices(m, size)
            self.levels.append((size, second, mcat, step))
            m = step.T

    def _solve(self, u: np.ndarray, s0: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Start states (channels, n, 4) of ``s[j+1] = M s[j] + u[j]`` from ``s0``; and the end state."""
        size, second, mcat, step = self.levels[level]
        channels, n, _ = u.shape
        groups = n // size
        flat = u.reshape(channels * groups, size * 4)
        if len(flat) % 32 == 0:  # thin products in batches stay on one BLAS thread (steadier)
            out = (flat.reshape(-1, 32, size * 4) @ second).reshape(len(flat), -1)
        else:
            out = flat @ second
        zero_state = out[:, : size * 4]
        carry = out[:, size * 4 :].reshape(channels, groups, 4)
        if groups == 1:
            group_starts, end = s0[:, None, :], s0 @ step + carry[:, 0]
        else:
            group_starts, end = self._solve(carry, s0, level + 1)
        starts = zero_state + group_starts.reshape(channels * groups, 4) @ mcat
        return starts.reshape(channels, n, 4), end

    def run(self, x: np.ndarray, state: np.ndarray, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Filter ``x`` (channels, CHUNK) float32 from ``state`` (channels, 4) into ``y``; return end state.

        ``out`` (channels, CHUNK // (ROW * 128), 128, ROW + 4) and ``y`` (channels, CHUNK) are float32
        work buffers owned by the caller (reused: fresh large arrays per chunk cost page faults).
        """
        channels = x.shape[0]
        rows = x.shape[1] // ROW
        np.matmul(x.reshape((*out.shape[:-1], ROW)), self.first, out=out)  # one BLAS thread per batch
        u = out[..., ROW:].astype(np.float64).reshape(channels, rows, 4)
        starts, end = self._solve(u, state, 0)
        y4 = y.reshape((*out.shape[:-1], ROW))
        np.matmul(starts.astype(np.float32).reshape((*out.shape[:-1], 4)), self.observe, out=y4)
        np.add(y4, out[..., :ROW], out=y4)
        return end


@lru_cache(maxsize=8)
def _block_filter(sr: int) -> _BlockFilter:
    return _BlockFilter(sr)


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
        self._filter = _block_filter(sr)
        n_k = len(self._weighted)
        self._state = np.zeros((n_k, 4))
        self._tp = TruePeakAccumulator(len(layout), CHUNK)
        # Work buffers, reused for every chunk: the stage holds the true-peak history, then the chunk.
        self._stage = np.zeros((len(layout), HISTORY + CHUNK), dtype=np.float32)
        self._fill = 0
        self._kin = np.empty((n_k, CHUNK), dtype=np.float32)
        self._kout = np.empty((n_k, CHUNK // (ROW * 128), 128, ROW + 4), dtype=np.float32)
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
        lo, hi = np.percentile(_lufs(range_kept), RANGE_PERCENTILES)
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
