"""True peak (ITU-R BS.1770-4, Annex 2) and sample peak, streamed, on numpy alone.

Method
------
The true peak is the largest absolute value of the signal reconstructed between its samples,
estimated by 4x oversampling (BS.1770-4 Annex 2 asks for at least 4x at 48 kHz; we keep 4x at every
rate, which is more than the 2x the standard accepts at 192 kHz). Annex 2 gives a 48-tap, 4-phase
interpolation filter as an example; ours is longer and designed here:

.. math:: g(t) = \\operatorname{sinc}(t)\\, \\frac{I_0\\big(\\beta\\sqrt{1 - (t/W)^2}\\big)}{I_0(\\beta)},
          \\quad |t| < W, \\quad W = 12,\\ \\beta = 6

a Kaiser-windowed sinc with 24 taps per phase. Phase 0 of a sinc is the identity (the sample itself),
so only phases 1..3 (the points n + 1/4, n + 1/2, n + 3/4) are computed,

.. math:: x(n + p/4) \\approx \\sum_{j=-W}^{W-1} x[n - j]\\, g(p/4 + j) \\big/ \\textstyle\\sum_j g(p/4 + j),

each phase normalised to unity gain at DC. Its magnitude error is below 0.015 dB up to 0.42 fs
(20 kHz at 48 kHz); BS.1770's 48-tap example droops by several dB there. The true peak is therefore
never below the sample peak, as it should be.

The polyphase convolution runs as one matrix product per chunk: the chunk is cut into rows of
``ROW`` outputs, each row reads ``ROW + 2W - 1`` inputs (a strided view), and a fixed
``(ROW + 2W - 1, 3 ROW)`` matrix holds the three phases' taps (a block-Toeplitz form of the FIR).
Chunks have a fixed size and are aligned to absolute sample positions, so the result does not depend
on how the caller cuts the stream into blocks. Samples before the start and after the end are
zero, and only points between two real samples count.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Oversampling factor (BS.1770-4 Annex 2: at least 4x).
OVERSAMPLE = 4
#: Half width of the interpolation kernel in input samples (24 taps per phase).
HALF_WIDTH = 12
#: Kaiser window shape parameter of the interpolation kernel.
KAISER_BETA = 6.0
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
    j = np.arange(-half_width, half_width, dtype=np.float64)
    rows = []
    for p in range(1, oversample):
        t = p / oversample + j
        window = np.i0(beta * np.sqrt(np.clip(1.0 - (t / half_width) ** 2, 0.0, None))) / np.i0(beta)
        g = np.sinc(t) * window
        rows.append(g / g.sum())
    # x[n - j] for j = -W..W-1 is x[n + W - k] with k = j + W.
    return np.array(rows)


@lru_cache(maxsize=4)
def _row_matrix(row: int = ROW) -> np.ndarray:
    """(row + 2W - 1, (oversample - 1) * row) float32 matrix of the polyphase FIR on one row.

    Input ``i`` of a row starting at output ``n0`` is ``x[n0 - (W - 1) + i]``; output column
    ``p * row + r`` is the phase ``p + 1`` point after sample ``n0 + r``.
    """
    taps = interpolation_phases()
    n_phase, n_taps = taps.shape
    w = HALF_WIDTH
    mat = np.zeros((row + n_taps - 1, n_phase * row), dtype=np.float64)
    for r in range(row):
        # x[n0 + r + W - k] sits at input index r + W - k + (W - 1).
        idx = r + (2 * w - 1) - np.arange(n_taps)
        for p in range(n_phase):
            mat[idx, p * row + r] = taps[p]
    return mat.astype(np.float32)


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
        self._rows = n // ROW
        self._out = np.empty((self._rows // BATCH_ROWS, BATCH_ROWS, self._mat.shape[1]), dtype=np.float32)
        self._pos = 0  # absolute index of the current chunk's first sample
        self.sample_peak = np.zeros(channels, dtype=np.float64)
        self.true_peak = np.zeros(channels, dtype=np.float64)

    def process(self, buf: np.ndarray, *, n_valid: int, n_total: int | None = None) -> None:
        """Consume the chunk in ``buf[:, HISTORY:]``; ``n_total`` (stream length) comes with the last."""
        channels = buf.shape[0]
        n = buf.shape[1] - HISTORY
        if n_valid:
            chunk = buf[:, HISTORY : HISTORY + n_valid]
            peak = np.maximum(chunk.max(axis=1), -chunk.min(axis=1))
            self.sample_peak = np.maximum(self.sample_peak, peak)
        # Output r of this chunk is the point after absolute sample first + r (it needs W samples
        # ahead, so outputs trail the chunk by W).
        first = self._pos - HALF_WIDTH
        lo = max(0, -first)  # points before sample 0 are not part of the signal
        hi = n if n_total is None else min(n, n_total - 1 - first)  # ... nor after the last sample
        self._pos += n
        if hi <= lo:
            return
        width = self._mat.shape[0]
        step = buf.strides[1]
        y = self._out
        for c in range(channels):
            # Row j reads buf[c, j*ROW : j*ROW + width] and yields points after samples first + j*ROW + r.
            view = np.lib.stride_tricks.as_strided(
                buf[c],
                shape=(self._rows // BATCH_ROWS, BATCH_ROWS, width),
                strides=(BATCH_ROWS * ROW * step, ROW * step, step),
                writeable=False,
            )
            np.matmul(view, self._mat, out=y)  # batched: one BLAS thread per thin product
            if lo > 0 or hi < n:
                points = y.reshape(self._rows, -1, ROW).transpose(1, 0, 2).reshape(-1, n)[:, lo:hi]
                peak = max(float(points.max()), -float(points.min()))
            else:
                peak = max(float(y.max()), -float(y.min()))
            self.true_peak[c] = max(self.true_peak[c], peak)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(sample_peak, true_peak) per channel as linear amplitudes; true >= sample by construction."""
        return self.sample_peak.copy(), np.maximum(self.true_peak, self.sample_peak)
