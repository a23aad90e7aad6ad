"""Reductions numpy makes slow on detection's small arrays, with numpy's results bit for bit.

np.quantile and np.median cost tens of microseconds a call whatever the size (argument handling,
a partition around extra indices), and a max over a last axis of 3 channels runs a slow strided
loop; detection takes thousands of them. Over a large masked crop, a median colour comes from
per-channel histograms and a colour distance from lookup tables instead of float copies.
"""

from __future__ import annotations

import math

import cv2
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
    """values.max(axis=-1) over a last axis of 3 (the channels): numpy reduces such an axis with
    a slow strided loop; elementwise maxima of the channel planes are the same numbers."""
    return np.maximum(np.maximum(values[..., 0], values[..., 1]), values[..., 2])


def median(values: np.ndarray, *, axis: int = 0) -> np.ndarray:
    """np.median(values, axis=axis) for finite ``values``, bit for bit: the middle order statistic,
    or the mean of the middle two (as np.mean takes it: in float64 for integers)."""
    n = values.shape[axis]
    half = n // 2
    part = np.partition(values, (half - 1, half) if n % 2 == 0 else half, axis=axis)
    upper = np.take(part, half, axis=axis)
    if n % 2:
        return upper.astype(np.float64) if values.dtype.kind in "iub" else upper
    lower = np.take(part, half - 1, axis=axis)
    if values.dtype.kind in "iub":
        lower, upper = lower.astype(np.float64), upper.astype(np.float64)
    return (lower + upper) / 2


def masked_median_colour(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """np.median(image[mask], axis=0) (float64 (3,)) of an RGB uint8 image over a bool mask (not
    empty), from each channel's histogram: no copy of the masked pixels."""
    n = int(np.count_nonzero(mask))
    half = n // 2
    out = np.zeros(3)
    for c in range(3):
        cumulative = np.cumsum(cv2.calcHist([image], [c], mask.view(np.uint8), [256], [0, 256]).ravel())
        # The k-th smallest value (from 0) is the first level with more than k pixels at or below it.
        upper = float(np.searchsorted(cumulative, half, side="right"))
        lower = upper if n % 2 else float(np.searchsorted(cumulative, half - 1, side="right"))
        out[c] = (lower + upper) / 2
    return out


def colour_distance(image: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """float32 HxW: channel_max(np.abs(image.astype(np.float32) - colour)) for an RGB uint8
    image and a float32 (3,) colour, through a lookup table per channel (the same numbers)."""
    table = np.abs(np.arange(256, dtype=np.float32)[:, None] - colour.astype(np.float32))  # 256 x 3
    return channel_max(cv2.LUT(image, np.ascontiguousarray(table.reshape(1, 256, 3))))
