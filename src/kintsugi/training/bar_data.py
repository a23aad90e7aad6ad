"""Training samples for the bar segmentation network (model.BarNet): art with synthetic solid
and translucent bars, hard negatives, B&W pages and JPEG, and the bars' masks.

Everything is numpy; one sample is (image HxWx3 uint8, target 2xHxW bool: solid, translucent).
The art is composited and downscaled to 512 px at most, as the validation split is; the
network sees it at kintsugi.detect.barnet.NET_SCALE, as at run time.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect.barnet import to_net_scale
from kintsugi.training.backgrounds import composite
from kintsugi.training.synth_art import manga_page
from kintsugi.training.synth_bars import draw_bars, ink_strokes, page_structures
from kintsugi.training.synth_mosaic import jpeg_roundtrip

MAX_SIDE = 512


def scene(rgba: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One whole picture with its bars: (image HxWx3 uint8, target 2xHxW bool)."""
    scale = MAX_SIDE / max(rgba.shape[:2]) * (rng.uniform(0.6, 1.0) if rng.random() < 0.3 else 1.0)
    if scale < 1:
        size = (max(1, round(rgba.shape[1] * scale)), max(1, round(rgba.shape[0] * scale)))
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
    art = composite(rgba, rng)
    if rng.random() < 0.2:
        art = manga_page(art, rng)
    ink = None
    if rng.random() < 0.15:
        art, ink = ink_strokes(art, rng)
    if rng.random() < 0.3:
        art = page_structures(art, rng)  # drawn shapes that look like bars and are not
    target = np.zeros((2, *art.shape[:2]), bool)
    pick = rng.random()
    image = art
    if 0.15 <= pick < 0.55 or pick >= 0.9:
        image, target[0], _ = draw_bars(image, rng, translucent=False, colour=ink)
    if pick >= 0.55:
        image, target[1], _ = draw_bars(image, rng, translucent=True)
        target[0] &= ~target[1]  # a translucent bar drawn over a solid one: labelled translucent
    if rng.random() < 0.5:
        image = jpeg_roundtrip(image, int(rng.integers(60, 96)))
    return image, target


def crop(
    image: np.ndarray, target: np.ndarray, *, rng: np.random.Generator, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """A size x size window, centred near a bar pixel 70% of the time; a smaller picture is
    padded with one flat colour (a letterbox border: not a bar)."""
    h, w = image.shape[:2]
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        top, left = int(rng.integers(0, ph + 1)), int(rng.integers(0, pw + 1))
        pad = ((top, ph - top), (left, pw - left))
        colour = rng.integers(0, 256, 3) if rng.random() < 0.5 else np.full(3, rng.choice([0, 255]))
        image = np.stack([np.pad(image[..., c], pad, constant_values=int(colour[c])) for c in range(3)], -1)
        target = np.pad(target, ((0, 0), *pad))
        h, w = image.shape[:2]
    ys, xs = np.nonzero(target.any(axis=0))
    if ys.size and rng.random() < 0.7:
        k = int(rng.integers(ys.size))
        y = int(np.clip(ys[k] - rng.integers(0, size), 0, h - size))
        x = int(np.clip(xs[k] - rng.integers(0, size), 0, w - size))
    else:
        y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    return np.ascontiguousarray(image[y : y + size, x : x + size]), np.ascontiguousarray(
        target[:, y : y + size, x : x + size]
    )


def bar_batch(
    images: list[np.ndarray], rng: np.random.Generator, *, batch: int, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(images (B,size,size,3) uint8, targets (B,2,size,size) bool) from random cached art."""
    pairs = []
    for _ in range(batch):
        rgba = images[int(rng.integers(len(images)))]
        if min(rgba.shape[:2]) < 32:
            rgba = cv2.resize(rgba, (max(32, rgba.shape[1]), max(32, rgba.shape[0])), interpolation=cv2.INTER_CUBIC)
        image, target = scene(rgba, rng)
        # The network sees the picture at NET_SCALE, as at run time; a target pixel is a bar
        # pixel when most of what it covers was.
        small = to_net_scale(target.transpose(1, 2, 0).astype(np.float32))  # h x w x 2
        pairs.append(crop(to_net_scale(image), small.transpose(2, 0, 1) > 0.5, rng=rng, size=size))
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
