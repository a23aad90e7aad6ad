"""Hole masks like the ones users paint: censor bars, free-form brush strokes, blobs and boxes.

numpy + OpenCV only. Every function returns a bool HxW mask, True = hole.
"""

from __future__ import annotations

import cv2
import numpy as np

FAMILIES = ("bars", "strokes", "blobs", "boxes")


def bars(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """One to several rotated censor bars, 6-30 px thick."""
    h, w = shape
    out = np.zeros((h, w), np.uint8)
    angle = rng.uniform(0, np.pi)  # bars in one image usually share an angle
    for _ in range(int(rng.integers(1, 5))):
        thick = float(rng.uniform(6, 30))
        length = float(rng.uniform(0.2, 0.9) * max(h, w))
        a = angle + rng.normal(0, 0.1)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        box = ((cx, cy), (length, thick), float(np.degrees(a)))
        cv2.fillPoly(out, [cv2.boxPoints(box).astype(np.int32)], 1)
    return out > 0


def strokes(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Free-form brush strokes: random walks drawn with round caps."""
    h, w = shape
    out = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 6))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        width = int(rng.integers(5, max(6, min(h, w) // 6)))
        heading = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(3, 12))):
            heading += rng.normal(0, 0.8)
            step = rng.uniform(0.05, 0.25) * max(h, w)
            nx, ny = x + step * np.cos(heading), y + step * np.sin(heading)
            cv2.line(out, (int(x), int(y)), (int(nx), int(ny)), 1, width)
            cv2.circle(out, (int(nx), int(ny)), width // 2, 1, -1)
            x, y = float(np.clip(nx, 0, w)), float(np.clip(ny, 0, h))
    return out > 0


def blobs(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Rounded irregular blobs: thresholded smooth noise."""
    h, w = shape
    noise = rng.standard_normal((max(2, h // 16), max(2, w // 16))).astype(np.float32)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    return noise > rng.uniform(0.6, 1.6)


def boxes(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Axis-aligned rectangles, as a selection tool makes them."""
    h, w = shape
    out = np.zeros((h, w), bool)
    for _ in range(int(rng.integers(1, 3))):
        bh, bw = int(rng.uniform(0.1, 0.5) * h), int(rng.uniform(0.1, 0.5) * w)
        y, x = int(rng.integers(0, max(1, h - bh))), int(rng.integers(0, max(1, w - bw)))
        out[y : y + bh, x : x + bw] = True
    return out


_MAKERS = {"bars": bars, "strokes": strokes, "blobs": blobs, "boxes": boxes}


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Dilate a mask by `pixels` (the grown edge of a DeepCreamPy-style green painting)."""
    if pixels <= 0:
        return mask
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), k) > 0


def random_mask(
    rng: np.random.Generator,
    shape: tuple[int, int],
    *,
    family: str | None = None,
    ratio_range: tuple[float, float] = (0.01, 0.5),
) -> np.ndarray:
    """A mask of one family whose hole ratio lies in `ratio_range` (retries, then clips)."""
    fam = family or FAMILIES[int(rng.integers(len(FAMILIES)))]
    lo, hi = ratio_range
    mask = _MAKERS[fam](rng, shape)
    for _ in range(20):
        ratio = mask.mean()
        if lo <= ratio <= hi:
            break
        mask = _MAKERS[fam](rng, shape) if ratio > hi else mask | _MAKERS[fam](rng, shape)
    if mask.mean() > hi:  # still too big: erode until within range
        while mask.mean() > hi:
            mask = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if not mask.any():
        h, w = shape
        mask[h // 3 : h // 3 + max(2, h // 8), w // 4 : 3 * w // 4] = True
    if rng.random() < 0.3:
        mask = grow(mask, int(rng.integers(1, 4)))
    return mask
