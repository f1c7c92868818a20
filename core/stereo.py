"""Stereo image: inter-channel correlation, width, balance and the loss on summing to mono.

Everything follows from three running sums over the file, E[L²], E[R²] and E[LR], so the measure
streams in blocks of any size with constant memory. Mid and side are ``M = (L + R) / 2`` and
``S = (L - R) / 2``, so ``E[M²] = (E[L²] + E[R²] + 2E[LR]) / 4``.
"""

from __future__ import annotations

import math

import numpy as np

from core.results import StereoResult

#: A channel whose mean square is at or below this is silent (-200 dBFS).
SILENT_MS = 1e-20
#: Balance and mono loss are capped here (one channel silent; exact anti-phase).
CAP_DB = 60.0


class StereoAccumulator:
    """Feed (2, n) blocks (L, R), then ``result()``. One per analysis call."""

    def __init__(self, *, sr: int) -> None:
        self.sr = sr
        self._ll = 0.0
        self._rr = 0.0
        self._lr = 0.0
        self._n = 0
        self._stereo = False

    def update(self, block: np.ndarray) -> None:
        """Add a block of shape (2, n) (further channels are ignored)."""
        if block.shape[0] < 2:
            return
        # Element-wise products with float64 pairwise sums: np.dot would go through BLAS, whose
        # thread pool stalls small products for milliseconds on a busy machine.
        left, right = block[0], block[1]
        self._ll += float(np.multiply(left, left, dtype=np.float64).sum())
        self._rr += float(np.multiply(right, right, dtype=np.float64).sum())
        self._lr += float(np.multiply(left, right, dtype=np.float64).sum())
        self._n += block.shape[1]
        self._stereo = True

    def result(self) -> StereoResult | None:
        """The measures; None when no block had two channels (mono)."""
        if not self._stereo:
            return None
        if self._n == 0:
            return StereoResult(None, None, None, None)
        return stereo_from_moments(self._ll / self._n, self._rr / self._n, self._lr / self._n)


def stereo_from_moments(e_ll: float, e_rr: float, e_lr: float) -> StereoResult:
    """Stereo measures from the mean squares E[L²], E[R²] and the mean product E[LR].

    correlation : E[LR] / sqrt(E[L²]·E[R²]) (zero-lag Pearson without mean removal): 1 for identical
        channels, 0 for uncorrelated, -1 for polarity-inverted; None when a channel is silent.
    width : E[S²] / (E[M²] + E[S²]) = (1 - E[LR] / mean(E[L²], E[R²])) / 2: 0 for identical
        channels (mono), 0.5 for uncorrelated or one-sided, 1 for anti-phase.
    balance_db : 10·log10(E[L²] / E[R²]), positive when left is louder; +-60 dB when one side is silent.
    mono_loss_db : 10·log10(mean(E[L²], E[R²]) / E[M²]): 0 for identical channels, 3.01 for
        uncorrelated equal channels, capped at 60 dB (anti-phase cancels).
    All None when both channels are silent.
    """
    e_ll, e_rr = max(e_ll, 0.0), max(e_rr, 0.0)
    left_silent, right_silent = e_ll <= SILENT_MS, e_rr <= SILENT_MS
    if left_silent and right_silent:
        return StereoResult(None, None, None, None)
    mean_power = (e_ll + e_rr) / 2
    correlation = None
    if not (left_silent or right_silent):
        correlation = float(np.clip(e_lr / math.sqrt(e_ll * e_rr), -1.0, 1.0))
    width = float(np.clip((1.0 - e_lr / mean_power) / 2, 0.0, 1.0))
    if left_silent or right_silent:
        balance = -CAP_DB if left_silent else CAP_DB
    else:
        balance = float(np.clip(10 * math.log10(e_ll / e_rr), -CAP_DB, CAP_DB))
    e_mid = (e_ll + e_rr + 2 * e_lr) / 4
    floor = mean_power * 10 ** (-CAP_DB / 10)
    mono_loss = max(0.0, 10 * math.log10(mean_power / max(e_mid, floor)))
    return StereoResult(correlation=correlation, width=width, balance_db=balance, mono_loss_db=mono_loss)


def measure_stereo(y: np.ndarray, sr: int) -> StereoResult | None:
    """Stereo measures of the first two channels of ``y`` (channels, n); None for mono input.

    See ``stereo_from_moments`` for the definitions.
    """
    y = np.asarray(y)
    if y.ndim < 2 or y.shape[0] < 2:
        return None
    acc = StereoAccumulator(sr=sr)
    acc.update(y)
    return acc.result()
