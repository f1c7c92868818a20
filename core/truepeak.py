"""True peak (ITU-R BS.1770-4, Annex 2) and sample peak, streamed, on numpy alone.

Method
------
The true peak is the largest absolute value of the signal reconstructed between its samples
(Whittaker-Shannon). BS.1770-4 Annex 2 asks for at least 4x oversampling; 4x alone reads a peak
carried by high frequencies up to 0.7 dB low, because the maximum can fall between two 4x points.
So each chunk is read twice:

1. **Find, at 4x.** A short interpolator gives the points n + 1/4, n + 1/2, n + 3/4 after every
   sample (phase 0 of a sinc is the sample itself). It only decides where to measure.
2. **Measure, at 32x, near the top.** Every sample interval with a 4x point (or one of its two
   samples) at or above ``SEARCH_RATIO`` times the best peak measured so far is evaluated at all 31
   fractional points of a 32x grid with the long kernel below; the true peak is the largest of those.
   ``SEARCH_RATIO`` is the 4x grid's worst loss for content up to fs/2, ``1 - (pi/8)^2/2`` (-0.70
   dB; Bernstein's inequality ``|x''| <= (pi fs)^2 max|x|`` bounds the fall from the maximum to the
   4x point nearest it), less the finder kernel's own error (0.36 dB). A chunk whose 4x maximum is
   below that share of the running peak is not measured at all, so once the loudest passage is
   known, only its few neighbours near the top are: the 32x step costs a small share of the 4x one.

Both kernels are Kaiser-windowed sincs, each phase normalised to unity gain at DC:

.. math:: g(t) = \\operatorname{sinc}(t)\\, I_0\\big(\\beta\\sqrt{1 - (t/W)^2}\\big) / I_0(\\beta),
          \\quad |t| < W

.. math:: x(n + p/L) \\approx \\sum_{j=-W}^{W-1} x[n - j]\\, g(p/L + j) \\big/ \\textstyle\\sum_j g(p/L + j)

- measuring (``HALF_WIDTH`` W = 32, beta = 6, 64 taps per phase): complex error against the ideal
  fractional delay below 0.014 dB up to 0.47 fs (20.7 kHz at 44.1 kHz), plus at most 0.011 dB from
  the 32x grid. Content above 0.47 fs reads progressively low; no kernel of practical length
  reconstructs it (a sine at fs/2 itself is ambiguous).
- finding (W = 16, beta = 3, 32 taps per phase): error below 0.36 dB up to 0.47 fs.

BS.1770's own 48-tap example (12 per phase) droops by several dB above 0.42 fs; the single 24-tap
4x kernel used here before read a bright peak up to 0.75 dB low. Against the band-limited (FFT)
reconstruction, the result is within 0.03 dB (tests/core/test_truepeak.py: known-answer peaks between
samples and white noise band-limited to 0.35-0.47 fs), never below the sample peak.

The 4x pass runs as one matrix product per chunk: the chunk is cut into rows of ``ROW`` outputs, each
row reads ``ROW + 2F - 1`` inputs (a strided view), and a fixed ``(ROW + 2F - 1, 3 ROW)`` matrix holds
the three phases' taps (a block-Toeplitz form of the FIR). Chunks have a fixed size and are aligned to
absolute sample positions, so the result does not depend on how the caller cuts the stream into
blocks. Samples before the start and after the end are zero, and only points between two real
samples count.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Oversampling factor of the pass over every sample (BS.1770-4 Annex 2: at least 4x).
OVERSAMPLE = 4
#: Oversampling factor of the measurement near the peaks (grid loss <= 0.011 dB at fs/2).
REFINE_OVERSAMPLE = 32
#: Half width of the measuring kernel in input samples (64 taps per phase) and its Kaiser shape:
#: complex error <= 0.014 dB up to 0.47 fs.
HALF_WIDTH = 32
KAISER_BETA = 6.0
#: The 4x pass only finds where to measure: a shorter kernel (32 taps per phase), error <= 0.36 dB
#: up to 0.47 fs (``FINDER_ERROR_DB``), which widens the search by as much.
FINDER_HALF_WIDTH = 16
FINDER_BETA = 3.0
FINDER_ERROR_DB = 0.36
#: Lowest ratio of the 4x point nearest the maximum to the maximum, for content up to fs/2:
#: 1 - (pi / 8)^2 / 2 (Bernstein's inequality |x''| <= (pi fs)^2 max|x|), -0.70 dB.
GRID_LOSS = 1.0 - (np.pi / (2 * OVERSAMPLE)) ** 2 / 2
#: Where a maximum can hide: 4x points (or samples) at or above this ratio of the best peak known.
SEARCH_RATIO = GRID_LOSS * 10 ** (-FINDER_ERROR_DB / 20)
#: Outputs per row of the block-Toeplitz product (a tuning constant: speed only).
ROW = 16
#: Rows per matrix product (keeps each on one BLAS thread; speed only).
BATCH_ROWS = 128


@lru_cache(maxsize=4)
def interpolation_phases(
    *, oversample: int = OVERSAMPLE, half_width: int = HALF_WIDTH, beta: float = KAISER_BETA
) -> np.ndarray:
    """Taps of the fractional phases, shape (oversample - 1, 2 * half_width).

    Row ``p - 1`` gives x(n + p / oversample) = sum_j taps[p - 1, j] * x[n - j + half_width],
    i.e. tap ``k`` multiplies ``x[n + half_width - k]``.
    """
    # x[n - j] for j = -W..W-1 is x[n + W - k] with k = j + W; all phases in one np.i0 call (slow per call).
    t = np.arange(1, oversample)[:, None] / oversample + np.arange(-half_width, half_width, dtype=np.float64)
    window = np.i0(beta * np.sqrt(np.clip(1.0 - (t / half_width) ** 2, 0.0, None))) / np.i0(beta)
    g = np.sinc(t) * window
    taps: np.ndarray = g / g.sum(axis=1, keepdims=True)
    return taps


@lru_cache(maxsize=4)
def _row_matrix(row: int = ROW) -> np.ndarray:
    """(row + 2F - 1, 3 * row) float32 matrix of the 4x finder FIR (half width F) on one row.

    Input ``i`` of a row starting at output ``n0`` is ``x[n0 - (F - 1) + i]``; output column
    ``p * row + r`` is the phase ``p + 1`` point after sample ``n0 + r``.
    """
    taps = interpolation_phases(half_width=FINDER_HALF_WIDTH, beta=FINDER_BETA)
    n_phase, n_taps = taps.shape
    mat = np.zeros((row + n_taps - 1, n_phase * row), dtype=np.float64)
    for r in range(row):
        # x[n0 + r + F - k] sits at input index r + F - k + (F - 1).
        idx = r + (n_taps - 1) - np.arange(n_taps)
        for p in range(n_phase):
            mat[idx, p * row + r] = taps[p]
    return mat.astype(np.float32)


@lru_cache(maxsize=1)
def _refine_matrix() -> np.ndarray:
    """(2W, REFINE_OVERSAMPLE - 1) float32: the window ``x[n - W + 1 .. n + W]`` to the points
    ``x(n + p / REFINE_OVERSAMPLE)``, p = 1..31 (tap ``k`` multiplies window index ``2W - 1 - k``)."""
    taps = interpolation_phases(oversample=REFINE_OVERSAMPLE)
    return np.ascontiguousarray(taps[:, ::-1].T, dtype=np.float32)


#: Samples of history a chunk needs in front of it (2W - 1).
HISTORY = 2 * HALF_WIDTH - 1


class TruePeakAccumulator:
    """Per-channel sample and true peak of a stream fed in fixed, absolutely aligned chunks.

    The owner (core.loudness.LoudnessAccumulator) keeps one float32 buffer of shape
    (channels, HISTORY + n): the last ``HISTORY`` samples of the previous chunk (zeros at first), then
    the chunk, n a multiple of ``ROW * BATCH_ROWS``; ``process`` reads it and the owner then moves the
    tail to the front. Buffers are reused because fresh half-megabyte arrays per chunk cost more in
    page faults than the arithmetic. Not public API.
    """

    def __init__(self, channels: int, n: int) -> None:
        self._mat = _row_matrix()
        self._refine = _refine_matrix()
        self._rows = n // ROW
        self._out = np.empty((self._rows // BATCH_ROWS, BATCH_ROWS, self._mat.shape[1]), dtype=np.float32)
        self._pos = 0  # absolute index of the current chunk's first sample
        self.sample_peak = np.zeros(channels, dtype=np.float64)
        self.true_peak = np.zeros(channels, dtype=np.float64)
        #: Sample intervals measured at 32x so far (for the tests and the benchmark).
        self.refined_intervals = 0

    def process(self, buf: np.ndarray, *, n_valid: int, n_total: int | None = None) -> None:
        """Consume the chunk in ``buf[:, HISTORY:]``; ``n_total`` (stream length) comes with the last."""
        channels = buf.shape[0]
        n = buf.shape[1] - HISTORY
        if n_valid:
            chunk = buf[:, HISTORY : HISTORY + n_valid]
            peak = np.maximum(chunk.max(axis=1), -chunk.min(axis=1))
            self.sample_peak = np.maximum(self.sample_peak, peak)
        # Interval r of this chunk runs from absolute sample first + r to the next (measuring it needs
        # W samples ahead, so intervals trail the chunk by W). Its first sample is buf[c, r + W - 1],
        # its measuring window buf[c, r : r + 2W], its finder window starts W - F later.
        first = self._pos - HALF_WIDTH
        lo = max(0, -first)  # intervals before sample 0 are not part of the signal
        hi = n if n_total is None else min(n, n_total - 1 - first)  # ... nor after the last sample
        self._pos += n
        if hi <= lo:
            return
        width = self._mat.shape[0]
        step = buf.strides[1]
        y = self._out
        for c in range(channels):
            # Row j reads buf[c, W - F + j*ROW :][:width]: the 4x points of intervals j*ROW + 0..ROW-1.
            view = np.lib.stride_tricks.as_strided(
                buf[c, HALF_WIDTH - FINDER_HALF_WIDTH :],
                shape=(self._rows // BATCH_ROWS, BATCH_ROWS, width),
                strides=(BATCH_ROWS * ROW * step, ROW * step, step),
                writeable=False,
            )
            np.matmul(view, self._mat, out=y)  # batched: one BLAS thread per thin product
            # Per batch of BATCH_ROWS * ROW intervals: the largest 4x point, its samples included.
            ends = buf[c, HALF_WIDTH - 1 : HALF_WIDTH + n]  # ends[r], ends[r + 1] bound interval r
            edge = ends[:-1].reshape(len(y), -1)
            batch_peak = np.maximum(y.max(axis=(1, 2)), -y.min(axis=(1, 2)))
            batch_peak = np.maximum(batch_peak, np.maximum(edge.max(axis=1), -edge.min(axis=1)))
            batch_peak[-1] = max(batch_peak[-1], abs(float(ends[-1])))
            if lo == 0 and hi == n:
                found = float(batch_peak.max())
            else:  # the first or last chunk: only the intervals between two real samples
                points = y.reshape(self._rows, -1, ROW).transpose(1, 0, 2).reshape(-1, n)[:, lo:hi]
                found = max(float(np.abs(points).max()), float(np.abs(ends[lo : hi + 1]).max()))
            # ``found`` may overshoot by the finder's error; the running peak is always measured.
            known = max(self.true_peak[c], found * 10 ** (-FINDER_ERROR_DB / 20))
            if found >= SEARCH_RATIO * known:  # a maximum above the running peak may hide here
                measured = self._measure(buf[c], batch_peak, SEARCH_RATIO * known, lo, hi)
                self.true_peak[c] = max(self.true_peak[c], measured)

    def _measure(self, x: np.ndarray, batch_peak: np.ndarray, threshold: float, lo: int, hi: int) -> float:
        """The 32x maximum over the intervals in [lo, hi) with a 4x point at or above ``threshold``."""
        hot = np.flatnonzero(batch_peak >= threshold)
        per_batch = BATCH_ROWS * ROW
        four = np.abs(self._out[hot].reshape(len(hot), BATCH_ROWS, -1, ROW)).max(axis=2)
        starts = (hot * per_batch)[:, None] + np.arange(per_batch)  # interval index of each column
        left, right = np.abs(x[HALF_WIDTH - 1 + starts]), np.abs(x[HALF_WIDTH + starts])
        take = (four.reshape(len(hot), -1) >= threshold) | (left >= threshold) | (right >= threshold)
        intervals = starts[take]
        intervals = intervals[(intervals >= lo) & (intervals < hi)]
        if not len(intervals):
            return 0.0
        self.refined_intervals += len(intervals)
        windows = x[intervals[:, None] + np.arange(2 * HALF_WIDTH)]
        fine = windows @ self._refine  # the 31 points between the two samples, at 32x
        bounds = np.abs(x[HALF_WIDTH - 1 + intervals]).max()  # the samples themselves (phase 0)
        return max(float(fine.max()), -float(fine.min()), float(bounds))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(sample_peak, true_peak) per channel as linear amplitudes; true >= sample by construction."""
        return self.sample_peak.copy(), np.maximum(self.true_peak, self.sample_peak)
