"""Training batches: random native-resolution crops of the cached art (or generated art),
composited on random backgrounds, with random hole masks.

Everything is numpy until `to_tensors`; one batch is built in the training process itself
(two cores: worker processes would only steal time from the network).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kintsugi.methods.model import prefill
from kintsugi.training.backgrounds import composite
from kintsugi.training.synth_art import generate, manga_page
from kintsugi.training.synth_masks import random_mask

SYNTH_TRAIN_SEED0 = 1_000_000  # generated art for training; seeds below stay free for tests and examples


def load_cache(path: Path) -> list[np.ndarray]:
    """The RGBA uint8 images of a cache (prepare.py) or of a pack (pack.py: PNG bytes)."""
    with np.load(path, allow_pickle=True) as z:
        if "png" not in z:
            return list(z["images"])
        decoded = (cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_UNCHANGED) for b in z["png"])
        return [cv2.cvtColor(im, cv2.COLOR_BGRA2RGBA) for im in decoded]


@dataclass(frozen=True)
class Sample:
    image: np.ndarray  # HxWx3 uint8, the truth
    mask: np.ndarray  # HxW bool, True = hole


def random_crop(rgba: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """A size×size crop at native resolution; smaller art is padded transparent, and art much
    larger than the crop is sometimes downscaled so that crops also see whole figures."""
    h, w = rgba.shape[:2]
    if min(h, w) > 2 * size and rng.random() < 0.5:
        s = rng.uniform(2 * size / min(h, w), 1.0)
        rgba = cv2.resize(rgba, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        h, w = rgba.shape[:2]
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        rgba = np.pad(rgba, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
        h, w = rgba.shape[:2]
    y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    crop = rgba[y : y + size, x : x + size]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


def make_sample(
    images: list[np.ndarray], rng: np.random.Generator, *, size: int, synth_fraction: float, bw_fraction: float = 0.0
) -> Sample:
    """One training sample; ``bw_fraction`` of them become black-and-white manga pages
    (``synth_art.manga_page``: screened with dots or lines, or plain grey)."""
    if rng.random() < synth_fraction:
        img = generate(np.random.default_rng(int(rng.integers(SYNTH_TRAIN_SEED0, 2**31))), size=(size, size))
    else:
        rgba = random_crop(images[int(rng.integers(len(images)))], rng, size)
        # Crops that are mostly transparent teach little: retry once on another image.
        if rgba[..., 3].mean() < 40:
            rgba = random_crop(images[int(rng.integers(len(images)))], rng, size)
        img = composite(rgba, rng)
    if bw_fraction and rng.random() < bw_fraction:
        img = manga_page(img, rng)
    return Sample(img, random_mask(rng, (size, size)))


def corrupt(sample: Sample, rng: np.random.Generator, *, task: str) -> tuple[np.ndarray, np.ndarray]:
    """What the network is given: (input HxWx3 uint8, mask HxW bool).

    inpaint: the truth itself (the network masks it); mosaic: the truth pixelated over every
    grid block the mask touches, with the mask grown to those blocks.
    """
    if task == "inpaint":
        return prefill(sample.image, sample.mask), sample.mask
    from kintsugi.training.synth_mosaic import apply_mosaic, mosaic_mask, random_mosaic_params

    params = random_mosaic_params(rng)
    region = mosaic_mask(sample.mask, block=params.block, phase=params.phase)
    return apply_mosaic(sample.image, sample.mask, **params.kwargs()), region


Batch = tuple[np.ndarray, np.ndarray, np.ndarray]  # inputs (B,H,W,3), truths (B,H,W,3), masks (B,H,W)


def _stack(samples: list[Sample], rng: np.random.Generator, task: str) -> Batch:
    pairs = [corrupt(s, rng, task=task) for s in samples]
    return (np.stack([p[0] for p in pairs]), np.stack([s.image for s in samples]), np.stack([p[1] for p in pairs]))


def make_batch(
    images: list[np.ndarray],
    rng: np.random.Generator,
    *,
    batch: int,
    size: int,
    synth_fraction: float,
    bw_fraction: float = 0.0,
    task: str = "inpaint",
) -> Batch:
    samples = [
        make_sample(images, rng, size=size, synth_fraction=synth_fraction, bw_fraction=bw_fraction)
        for _ in range(batch)
    ]
    return _stack(samples, rng, task)


def fixed_val_set(
    val_images: list[np.ndarray], *, n: int, size: int, task: str = "inpaint", seed: int = 0, manga: bool = False
) -> Batch:
    """The same n crops and masks every time: the training loop's periodic validation; with
    ``manga``, every crop is made a B&W manga page (its own fixed screen)."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n):
        rgba = random_crop(val_images[i % len(val_images)], rng, size)
        img = composite(rgba, rng)
        if manga:
            img = manga_page(img, np.random.default_rng([seed, i]))
        samples.append(Sample(img, random_mask(rng, (size, size))))
    return _stack(samples, rng, task)
