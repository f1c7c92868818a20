"""Percentiles as numpy computes them by default, without the cost of np.percentile's first call.

``np.percentile`` (numpy 2.x, default "linear" method) partitions around ``np.unique`` of its
indices, and ``np.unique`` checks ``np.ma.is_masked``: the first call in a process imports
numpy.ma, ~50 ms of CPU (more on a loaded machine) for a handful of order statistics. The same
values come from one sort: for the q-th percentile of n sorted values, the virtual index is
``v = q / 100 * (n - 1)`` and the result interpolates linearly between the values at ``floor(v)``
and ``floor(v) + 1`` (Hyndman & Fan 1996, definition 7; numpy's ``_lerp``, which interpolates from
the upper neighbour when the fraction is at least 1/2).
"""

from __future__ import annotations

import numpy as np

Quantiles = float | list[float] | tuple[float, ...]


def percentile(a: np.ndarray, q: Quantiles, *, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """``np.percentile(a, q, axis=axis, keepdims=keepdims)`` for finite, non-empty ``a``.

    Shapes as numpy's: a sequence ``q`` puts its axis first; ``keepdims`` keeps the reduced axis.
    """
    x = np.asarray(a)
    shape = x.shape
    if axis is None:
        x, kept = x.reshape(-1), tuple(1 for _ in shape)
    else:
        axis = axis % x.ndim
        kept = tuple(1 if i == axis else s for i, s in enumerate(shape))
        x = np.moveaxis(x, axis, -1)
    x = np.sort(x, axis=-1)
    n = x.shape[-1]
    qs = np.asarray(q, dtype=np.float64)
    virtual = qs.reshape(-1) / 100.0 * (n - 1)
    below = np.floor(virtual).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    t = (virtual - below).astype(x.dtype if x.dtype.kind == "f" else np.float64)
    lo, hi = x[..., below], x[..., above]
    diff = hi - lo
    value = np.where(t >= 0.5, hi - diff * (1 - t), lo + diff * t)  # (..., len(q))
    value = np.moveaxis(value, -1, 0)  # the q axis first, as numpy puts it
    if keepdims:
        value = value.reshape((len(virtual), *kept))
    result: np.ndarray = value[0] if qs.ndim == 0 else value
    return result
