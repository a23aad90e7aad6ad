"""Validation families unlike the training art, for the mosaic benchmark (issue 14, part 4).

The training crops come from art downscaled to at most 768 px (prepare.MAX_SIDE) and often
further (data.random_crop); data/val holds the validation images downscaled to 512 px. Two
families the network never saw the like of:

  native   the validation images of the manifest at their native resolution: the original
           file from data/raw/extract, trimmed to its opaque box, composited on the background
           prepare.py draws for it (same seed), never resized. Only images whose native side
           exceeds ``min_side`` count (smaller ones are data/val itself).
  procedural  cel-shaded procedural art (synth_art.generate: flat fills, ink outlines, tone)
           drawn at 720x960, from seeds the training never draws (it draws 128 px crops from
           seeds >= data.SYNTH_TRAIN_SEED0): the look of anime colour art at a page's size.
  manga    black-and-white pages: each image screened by synth_art.manga_page (dots, lines or
           plain grey, its own fixed screen).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from kintsugi.training.backgrounds import composite
from kintsugi.training.prepare import load_rgba, trim
from kintsugi.training.synth_art import generate, manga_page

PROCEDURAL_SEED0 = 600_000  # below data.SYNTH_TRAIN_SEED0 and apart from quality.py's 500,000
PROCEDURAL_SIZE = (720, 960)


def native_val(data: Path, *, min_side: int = 512, limit: int = 0) -> list[tuple[str, np.ndarray]]:
    """(name, RGB uint8 HxWx3) for the manifest's validation images at native resolution whose
    longer side exceeds ``min_side``, in manifest order; ``limit`` > 0 keeps the first ones."""
    raw = data / "raw" / "extract"
    out = []
    for line in (data / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("split") != "val" or "#" in row["path"]:  # "#": carved from a Qt bundle
            continue
        path = raw / row["path"]
        if not path.is_file():
            continue
        rgba = load_rgba(path.read_bytes())
        if rgba is None:
            continue
        rgba = trim(rgba)
        if max(rgba.shape[:2]) <= min_side:
            continue
        # prepare.py's background for this image (seeded by its sha1), drawn at native size.
        rgb = composite(rgba, np.random.default_rng(int(row["sha1"][:8], 16)))
        out.append((row["id"].replace("/", "_"), rgb))
        if limit and len(out) >= limit:
            break
    return out


def manga_versions(images: list[tuple[str, np.ndarray]], *, start: int = 0) -> list[tuple[str, np.ndarray]]:
    """Each image as a B&W manga page (R = G = B), its screen fixed by its index in the family
    (``start``: the index of the first image, so that an offset keeps every image's screen)."""
    return [
        (f"{name}-bw", manga_page(img, np.random.default_rng([7, i])))
        for i, (name, img) in enumerate(images, start=start)
    ]


def procedural(n: int, *, start: int = 0) -> list[tuple[str, np.ndarray]]:
    """n procedural illustrations (RGB uint8 720x960x3), seeds PROCEDURAL_SEED0 + start + i."""
    seeds = range(PROCEDURAL_SEED0 + start, PROCEDURAL_SEED0 + start + n)
    return [(f"procedural-{s}", generate(np.random.default_rng(s), size=PROCEDURAL_SIZE)) for s in seeds]


def load_val(folder: Path, n: int, *, offset: int = 0) -> list[tuple[str, np.ndarray]]:
    files = sorted(folder.glob("*.png"))[offset:]
    files = files[:n] if n else files
    if not files:
        raise SystemExit(
            f"no validation images in {folder}: run scripts/fetch_training_data.sh and "
            "python -m kintsugi.training.prepare first"
        )
    return [(f.stem, cv2.cvtColor(cv2.imread(str(f), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)) for f in files]


def load_family(family: str, *, val: Path, data: Path, n: int, offset: int) -> list[tuple[str, np.ndarray]]:
    """(name, RGB uint8 image) of a family (benchmarks/mosaic.py --family): after ``offset``
    images, at most ``n`` (0: all; procedural families draw 20 by default)."""
    if family.startswith("procedural"):
        images = procedural(n or 20, start=offset)
        source = "synth_art.generate at 720x960"
    elif family.startswith("native"):
        images = native_val(data, limit=offset + n if n else 0)[offset:]
        source = f"{data}/raw at native resolution (over 512 px)"
    else:
        images = load_val(val, n, offset=offset)
        source = str(val)
    if family.endswith("manga"):
        images = manga_versions(images, start=offset)
    print(f"{len(images)} {family} images from {source}, offset {offset}")
    return images
