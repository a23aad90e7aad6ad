"""Backgrounds for compositing transparent art: white paper, flat colours, gradients,
screentone and paper texture — what the art would sit on in a page or a game."""

from __future__ import annotations

import numpy as np

from kintsugi.training.synth_art import screentone


def background(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """RGB uint8 HxWx3."""
    h, w = shape
    kind = rng.choice(5, p=[0.4, 0.2, 0.15, 0.1, 0.15])
    if kind == 0:
        return np.full((h, w, 3), 255, np.uint8)
    if kind == 1:
        return np.full((h, w, 3), rng.integers(0, 256, 3), np.uint8)
    if kind == 2:
        a, b = rng.integers(0, 256, 3).astype(np.float32), rng.integers(0, 256, 3).astype(np.float32)
        t = np.linspace(0, 1, h if rng.random() < 0.5 else w, dtype=np.float32)
        g = (a * (1 - t[:, None]) + b * t[:, None]).astype(np.uint8)
        return np.ascontiguousarray(np.broadcast_to(g[:, None] if len(t) == h else g[None], (h, w, 3)))
    if kind == 3:
        img = np.full((h, w, 3), 255, np.uint8)
        dots = screentone(
            (h, w),
            period=int(rng.integers(4, 9)),
            angle=float(rng.uniform(0, np.pi)),
            radius=float(rng.uniform(0.8, 2.2)),
        )
        img[dots] = rng.integers(0, 160)
        return img
    # Paper-like texture: low-amplitude noise around a light tone.
    base = rng.integers(200, 256, 3).astype(np.float32)
    noise = rng.normal(0, rng.uniform(2, 8), (h, w, 1)).astype(np.float32)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def composite(rgba: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Alpha-blend RGBA art over a random background → RGB uint8."""
    bg = background(rng, rgba.shape[:2]).astype(np.float32)
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    return (rgba[..., :3] * a + bg * (1 - a) + 0.5).astype(np.uint8)
