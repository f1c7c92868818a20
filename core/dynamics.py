"""Level, peak, crest factor, dynamic range, clipping, DC offset, silence and noise floor.

Levels are dBFS by the AES17 convention, as in core.spectrum: a full-scale sine reads 0 dBFS, so
``rms_dbfs = 20·log10(rms·√2)``. The crest factor is the plain peak-to-RMS ratio,
``20·log10(peak / rms)`` (3.01 dB for a sine), so ``crest_factor_db = peak_dbfs - rms_dbfs + 3.01``.

The audio streams through in blocks of any size. Memory holds per-channel sums, the mean square of
each 50 ms window (a few kB per minute), and the state of the run of equal samples open at the end
of the last block, so clipped runs are counted across block boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.quantiles import percentile
from core.results import DynamicsResult

#: AES17: dBFS of a mean square is 10·log10(mean_square / FULL_SCALE_SINE_MS).
FULL_SCALE_SINE_MS = 0.5
#: Short-window statistics (silence ratio, noise floor) use windows of this length.
WINDOW_S = 0.05
#: A window below this level is silence (silence_ratio), and excluded from the dynamic range.
SILENCE_DBFS = -60.0
#: Noise floor: this percentile of the 50 ms window levels, exact digital silence excluded.
NOISE_FLOOR_PERCENTILE = 10.0
#: Steady floor: windows within NOISE_FLOOR_STEADY_DB of the noise floor count as "at the floor";
#: the share of them in runs of at least NOISE_FLOOR_RUN_S is how steady it is. Noise between
#: phrases sits there for seconds; a decay passes through 3 dB in tens of milliseconds (a kick's
#: exp(-12 t) in 29 ms, a 2 s reverb tail in 100 ms), a string's release in a few hundred.
NOISE_FLOOR_STEADY_DB = 3.0
NOISE_FLOOR_RUN_S = 0.5
#: Dynamic range: P_HIGH - P_LOW of RMS levels over sliding windows of DR_WINDOW_S (the BS.1770
#: momentary block length), hop WINDOW_S, over windows at or above SILENCE_DBFS.
DR_WINDOW_S = 0.4
DR_PERCENTILES = (10.0, 95.0)
#: Loud spread: P_HIGH - P_LOW of the 50 ms window levels within LOUD_SPREAD_WITHIN_DB of the loudest
#: window, from at least LOUD_SPREAD_MIN_WINDOWS of them. Natural notes and hits rise and decay, so the
#: loudest moments stand 2.5-15 dB above the upper quartile; a compressor holding everything above
#: its threshold flattens that to 0.5-2 dB (measured on the dev sessions' stems, 10:1 from the median).
LOUD_SPREAD_PERCENTILES = (75.0, 99.0)
LOUD_SPREAD_WITHIN_DB = 30.0
LOUD_SPREAD_MIN_WINDOWS = 40
#: Clipping: runs of at least CLIP_MIN_RUN equal samples at |x| >= CLIP_FULL_SCALE, and every sample
#: beyond 1.0. Below full scale, a channel whose maximum |x| is held flat for CLIP_MIN_RUN samples in
#: at least CLIP_MIN_FLAT_RUNS runs, entered or left by a step of more than CLIP_EDGE_STEP (4 LSB at
#: 16 bits, so the quantised plateau of a smooth low-frequency peak does not count), is clipped at
#: that value: every sample of its runs at the maximum counts.
CLIP_FULL_SCALE = 0.999
CLIP_MIN_RUN = 3
CLIP_MIN_FLAT_RUNS = 3
CLIP_EDGE_STEP = 4.0 / 32768.0


def ms_to_dbfs(mean_square: np.ndarray | float) -> np.ndarray:
    """AES17 dBFS of mean squares (full-scale sine = 0 dBFS); -inf for 0, no warning, no floor."""
    with np.errstate(divide="ignore"):
        return np.asarray(10.0 * np.log10(np.asarray(mean_square, dtype=np.float64) / FULL_SCALE_SINE_MS))


def _dbfs(mean_square: float) -> float | None:
    """AES17 dBFS of a mean square; None for digital silence."""
    if not mean_square > 0.0:
        return None
    return float(ms_to_dbfs(mean_square))


@dataclass
class _Runs:
    """Runs of equal samples in one channel: the open run and the counts so far."""

    value: float = math.nan
    length: int = 0
    before: float = math.nan
    full_scale: int = 0  # samples in runs at 0.999 <= |x| <= 1.0
    at_max: int = 0  # samples in runs at the running maximum |x|
    flat_at_max: int = 0  # runs at the running maximum with a steep edge
    max_abs: float = 0.0

    def update(self, x: np.ndarray) -> None:
        if len(x) == 0:
            return
        block_max = float(np.abs(x).max())
        if block_max > self.max_abs:
            self.max_abs = block_max
            self.at_max = self.flat_at_max = 0
        # Runs of two or more equal samples: groups of consecutive indices where x[i] == x[i + 1].
        eq = np.flatnonzero(x[1:] == x[:-1])
        if len(eq):
            breaks = np.flatnonzero(np.diff(eq) != 1)
            starts = eq[np.concatenate(([0], breaks + 1))]
            ends = eq[np.concatenate((breaks, [len(eq) - 1]))] + 1
        else:
            starts = ends = np.zeros(0, dtype=np.int64)
        lengths = ends - starts + 1
        befores = x[np.maximum(starts - 1, 0)].astype(np.float64)
        if len(starts) and starts[0] == 0:
            befores[0] = self.value  # the previous block's last sample
        if self.length and x[0] == self.value:  # the open run goes on
            if not (len(starts) and starts[0] == 0):
                starts, ends = np.concatenate(([0], starts)), np.concatenate(([0], ends))
                lengths, befores = np.concatenate(([1], lengths)), np.concatenate(([math.nan], befores))
            lengths[0] += self.length
            befores[0] = self.before
        elif self.length:
            self._count(
                np.array([self.value]),
                np.array([self.length]),
                np.array([self.before]),
                np.array([float(x[0])]),
            )
        # The run holding the last sample may continue into the next block: keep it open.
        n = len(x)
        if len(ends) and ends[-1] == n - 1:
            self.value, self.length, self.before = float(x[-1]), int(lengths[-1]), float(befores[-1])
            starts, ends, lengths, befores = starts[:-1], ends[:-1], lengths[:-1], befores[:-1]
        else:
            before = float(x[-2]) if n >= 2 else self.value
            self.value, self.length, self.before = float(x[-1]), 1, before
        self._count(x[starts].astype(np.float64), lengths, befores, x[ends + 1].astype(np.float64))

    def finish(self) -> None:
        if self.length:
            self._count(
                np.array([self.value]), np.array([self.length]), np.array([self.before]), np.array([math.nan])
            )
            self.length = 0

    def _count(
        self, values: np.ndarray, lengths: np.ndarray, befores: np.ndarray, afters: np.ndarray
    ) -> None:
        """Count complete runs: their values, lengths, and the samples just before and after them."""
        long = lengths >= CLIP_MIN_RUN
        if not long.any():
            return
        values, lengths, befores, afters = values[long], lengths[long], befores[long], afters[long]
        mags = np.abs(values)
        self.full_scale += int(lengths[(mags >= CLIP_FULL_SCALE) & (mags <= 1.0)].sum())
        at_max = mags == self.max_abs
        if at_max.any():
            steps = np.fmax(mags - np.abs(befores), mags - np.abs(afters))  # NaN (file edge) ignored
            self.at_max += int(lengths[at_max].sum())
            self.flat_at_max += int((at_max & (steps > CLIP_EDGE_STEP)).sum())

    @property
    def clipped(self) -> int:
        if self.max_abs < CLIP_FULL_SCALE and self.flat_at_max >= CLIP_MIN_FLAT_RUNS:
            return self.at_max
        return self.full_scale


class DynamicsAccumulator:
    """Feed (channels, n) float32 blocks, then ``result()``. One per analysis call.

    Parameters
    ----------
    sr : int
    layout : tuple of str, optional
        Channel labels (core.audio.CHANNEL_LAYOUTS); an "LFE" channel is left out of the RMS and window
        levels but counted for peak, clipping and DC offset.
    """

    def __init__(self, *, sr: int, layout: tuple[str, ...] | None = None) -> None:
        self.sr = sr
        self.layout = layout
        self._window = max(1, round(WINDOW_S * sr))
        self._channels: int | None = None
        self._level_channels: list[int] = []
        self._leftover = np.zeros(0, dtype=np.float64)
        self._window_ms: list[np.ndarray] = []
        self._sum_sq = 0.0
        self._n = 0
        self._sums: np.ndarray = np.zeros(0)
        self._peak = 0.0
        self._beyond = 0
        self._runs: list[_Runs] = []

    def _start(self, channels: int) -> None:
        self._channels = channels
        labels = self.layout if self.layout is not None and len(self.layout) == channels else None
        keep = [i for i in range(channels) if labels is None or labels[i] != "LFE"]
        self._level_channels = keep or list(range(channels))
        self._sums = np.zeros(channels, dtype=np.float64)
        self._runs = [_Runs() for _ in range(channels)]

    def update(self, block: np.ndarray) -> None:
        """Add a (channels, n) block; blocks may have any length."""
        block = np.atleast_2d(np.asarray(block, dtype=np.float32))
        if self._channels is None:
            self._start(block.shape[0])
        if block.shape[1] == 0:
            return
        self._n += block.shape[1]
        self._sums += block.sum(axis=1, dtype=np.float64)
        mag = np.abs(block)
        self._peak = max(self._peak, float(mag.max()))
        self._beyond += int(np.count_nonzero(mag > 1.0))
        for runs, channel in zip(self._runs, block, strict=True):
            runs.update(channel)
        levels = block if len(self._level_channels) == block.shape[0] else block[self._level_channels]
        power = np.square(levels, dtype=np.float64).mean(axis=0)  # mean square over channels, per sample
        self._sum_sq += float(power.sum())
        power = np.concatenate((self._leftover, power))
        n_windows = len(power) // self._window
        used = n_windows * self._window
        if n_windows:
            self._window_ms.append(power[:used].reshape(n_windows, self._window).mean(axis=1))
        self._leftover = power[used:]

    def result(self) -> DynamicsResult:
        if self._channels is None or self._n == 0:
            return DynamicsResult(None, None, None, None, 0, 0.0, 1.0, None)
        for runs in self._runs:
            runs.finish()
        windows = list(self._window_ms)
        tail = len(self._leftover)
        if tail and (tail * 2 >= self._window or not windows):
            windows.append(np.array([self._leftover.mean()]))
        window_ms = np.concatenate(windows)

        ms = self._sum_sq / self._n
        rms_dbfs = _dbfs(ms)
        peak_dbfs = 20.0 * math.log10(self._peak) if self._peak > 0.0 else None
        crest = 20.0 * math.log10(self._peak / math.sqrt(ms)) if ms > 0.0 and self._peak > 0.0 else None
        means = self._sums / self._n
        dc = float(means[np.argmax(np.abs(means))])
        levels = ms_to_dbfs(window_ms)
        silent = levels < SILENCE_DBFS
        audible = window_ms > 0.0
        noise_floor = float(percentile(levels[audible], NOISE_FLOOR_PERCENTILE)) if audible.any() else None
        return DynamicsResult(
            rms_dbfs=rms_dbfs,
            peak_dbfs=peak_dbfs,
            crest_factor_db=crest,
            dynamic_range_db=_dynamic_range(window_ms, round(DR_WINDOW_S / WINDOW_S)),
            clipped_samples=self._beyond + sum(r.clipped for r in self._runs),
            dc_offset=dc,
            silence_ratio=float(silent.mean()),
            noise_floor_dbfs=noise_floor,
            loud_spread_db=_loud_spread(levels),
            noise_floor_steady=_floor_steadiness(levels, audible, noise_floor),
        )


def _floor_steadiness(levels: np.ndarray, audible: np.ndarray, floor_db: float | None) -> float | None:
    """Share of the windows at the floor that lie in runs of at least NOISE_FLOOR_RUN_S."""
    if floor_db is None:
        return None
    at_floor = audible & (levels <= floor_db + NOISE_FLOOR_STEADY_DB)
    total = int(at_floor.sum())
    if total == 0:
        return None
    edges = np.diff(np.concatenate(([0], at_floor.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    lengths = ends - starts
    long_runs = lengths[lengths >= round(NOISE_FLOOR_RUN_S / WINDOW_S)]
    return float(long_runs.sum()) / total


def _loud_spread(levels: np.ndarray) -> float | None:
    """P99 - P75 of the 50 ms window levels within LOUD_SPREAD_WITHIN_DB of the loudest (dB)."""
    finite = levels[np.isfinite(levels)]
    if finite.size == 0:
        return None
    loud = finite[finite >= max(float(finite.max()) - LOUD_SPREAD_WITHIN_DB, SILENCE_DBFS)]
    if loud.size < LOUD_SPREAD_MIN_WINDOWS:
        return None
    low, high = percentile(loud, LOUD_SPREAD_PERCENTILES)
    return float(high - low)


def _dynamic_range(window_ms: np.ndarray, span: int) -> float | None:
    """P95 - P10 of sliding ``span``-window RMS levels (dB), over windows at or above SILENCE_DBFS."""
    span = min(span, len(window_ms))
    csum = np.concatenate(([0.0], np.cumsum(window_ms)))
    long_ms = (csum[span:] - csum[:-span]) / span
    long_ms = long_ms[long_ms > FULL_SCALE_SINE_MS * 10 ** (SILENCE_DBFS / 10)]
    if len(long_ms) == 0:
        return None
    levels = ms_to_dbfs(long_ms)
    low, high = percentile(levels, DR_PERCENTILES)
    return float(high - low)


def measure_dynamics(y: np.ndarray, sr: int, *, layout: tuple[str, ...] | None = None) -> DynamicsResult:
    """Dynamics of ``y`` (shape (n,) or (channels, n)); see DynamicsAccumulator and the module notes.

    Returns
    -------
    DynamicsResult
        rms_dbfs : AES17 dBFS of the mean square over samples and (non-LFE) channels; None on silence.
        peak_dbfs : 20·log10 of the largest |sample| (sample peak, not true peak).
        crest_factor_db : 20·log10(peak / rms), plain RMS: 3.01 dB for a sine.
        dynamic_range_db : P95 - P10 of 400 ms RMS levels (hop 50 ms) above -60 dBFS.
        clipped_samples : see CLIP_* above.
        dc_offset : signed mean of the channel whose mean is largest in magnitude.
        silence_ratio : fraction of 50 ms windows below -60 dBFS.
        noise_floor_dbfs : 10th percentile of 50 ms window levels, digital silence excluded.
        noise_floor_steady : share of the windows within 3 dB of that floor that lie in runs of at
            least 0.5 s (1: a steady floor such as hiss; near 0: decays passing through it).
        loud_spread_db : P99 - P75 of the 50 ms window levels within 30 dB of the loudest (at least
            40 windows, else None): how far the loudest moments rise; heavy compression flattens it.
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float32))
    acc = DynamicsAccumulator(sr=sr, layout=layout)
    acc.update(y)
    return acc.result()
