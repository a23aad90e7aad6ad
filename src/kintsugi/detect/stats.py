"""Reductions numpy makes slow on detection's small arrays, with numpy's results bit for bit.

np.quantile costs ~100 us a call whatever the size, most of it in argument handling and a
partition around four indices; detection takes thousands of quantiles of a few hundred values.
"""

from __future__ import annotations

import math

import numpy as np


def quantile(values: np.ndarray, q: float, *, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """np.quantile(values, q, axis=axis, keepdims=keepdims) for finite float ``values`` and a
    Python float ``q``, bit for bit: the same two order statistics, interpolated as numpy does
    (its _lerp, in the dtype of ``values``)."""
    n = values.shape[axis]
    virtual = (n - 1) * q
    if virtual >= n - 1:
        lo = hi = n - 1
    else:
        lo = math.floor(virtual)
        hi = lo + 1
    gamma = virtual - lo
    part = np.partition(values, (lo, hi) if hi != lo else lo, axis=axis)
    a = np.take(part, [lo], axis=axis)
    b = np.take(part, [hi], axis=axis)
    diff = b - a
    out = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
    return out if keepdims else np.squeeze(out, axis=axis)[()]


def channel_max(values: np.ndarray) -> np.ndarray:
    """values.max(axis=-1) over a short last axis (the 3 channels): numpy reduces such an axis
    with a slow strided loop; elementwise maxima of the channel planes are the same numbers."""
    out = values[..., 0].copy()
    for c in range(1, values.shape[-1]):
        np.maximum(out, values[..., c], out=out)
    return out
