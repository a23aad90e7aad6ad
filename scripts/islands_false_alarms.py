"""False mosaic regions on clean *training* images, with and without the texture-island step.

    python scripts/islands_false_alarms.py [--n 300] [--cache data/cache/train.npz]

The texture-island thresholds in kintsugi.detect are checked here, on art the validation
benchmark (benchmarks/mosaic.py) never shows: n training images composited on random
backgrounds (paper grain and screentone among them), as PNG and after JPEG q85.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import kintsugi.detect as detect
import kintsugi.detect.mosaic as detect_mosaic_module
from kintsugi.training.backgrounds import composite
from kintsugi.training.data import load_cache
from kintsugi.training.synth_mosaic import jpeg_roundtrip


def false_regions(images: list[np.ndarray]) -> dict[str, int]:
    out = {}
    for label, quality in (("PNG", None), ("JPEG q85", 85)):
        found = (detect.detect_mosaic(jpeg_roundtrip(i, quality) if quality else i) for i in images)
        out[label] = sum(bool(f.regions) for f in found)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--cache", type=Path, default=Path("data/cache/train.npz"))
    args = ap.parse_args()
    cache = load_cache(args.cache)
    rng = np.random.default_rng(123)
    images = [composite(cache[i], rng) for i in rng.choice(len(cache), args.n, replace=False)]
    with_islands = false_regions(images)
    real = detect_mosaic_module.texture_islands
    detect_mosaic_module.texture_islands = lambda image, **kw: []  # the same detector without step 4
    try:
        without = false_regions(images)
    finally:
        detect_mosaic_module.texture_islands = real
    print(f"{'images with a false region':28s} {'PNG':>8s} {'JPEG q85':>9s}")
    for label, row in (("with texture islands", with_islands), ("without", without)):
        print(f"{label:28s} {row['PNG']:>4d}/{args.n} {row['JPEG q85']:>5d}/{args.n}")


if __name__ == "__main__":
    main()
