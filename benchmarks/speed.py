"""Throughput of `kintsugi inpaint`: a folder of 1280x720 images with bar masks, and a 6000x4000
page with two small bars (median of 3 runs). Prints a table; run from the repository root:

    python benchmarks/speed.py [--images 20] [--methods telea model]

Targets (issue 2): the page in under 1 s; the tool's own per-image overhead on top of the
method under 50 ms. "method" is the time spent inside the fill function (measured by wrapping
it); "overhead" is everything else the real batch path does: read, green detection, region
crops, paste, atomic PNG write.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from kintsugi import batch, engine, io, masks, methods


@dataclass
class Row:
    case: str
    method: str
    images: int
    total_s: float
    method_s: float

    @property
    def per_image_ms(self) -> float:
        return 1000 * self.total_s / self.images

    @property
    def overhead_ms(self) -> float:
        return 1000 * (self.total_s - self.method_s) / self.images


def make_picture(height: int, width: int, *, seed: int) -> np.ndarray:
    """Flat colour regions with ink outlines and a gradient: cheap, but not trivially compressible."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(150, 250, width, dtype=np.float32)
    image = np.repeat(np.stack([ramp, ramp * 0.9, np.full(width, 245.0)], 1)[None].astype(np.uint8), height, 0)
    scale = max(height, width) / 1280
    for _ in range(12):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(40, 200) * scale), int(rng.integers(40, 200) * scale))
        colour = tuple(int(c) for c in rng.integers(60, 250, 3))
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, (30, 25, 35), 2, cv2.LINE_AA)
    return image


def paint_strokes(image: np.ndarray, *, seed: int, ratio: tuple[float, float] = (0.09, 0.11)) -> np.ndarray:
    """Green brush strokes covering about 10% of the image (issue 3's speed case)."""
    from kintsugi.training.synth_masks import random_mask  # numpy + OpenCV only, no torch

    mask = random_mask(np.random.default_rng(seed), image.shape[:2], family="strokes", ratio_range=ratio)
    painted = image.copy()
    painted[mask] = (0, 255, 0)
    return painted


def paint_bars(image: np.ndarray, bars: list[tuple[int, int, int, int]]) -> np.ndarray:
    painted = image.copy()
    for x0, y0, x1, y1 in bars:
        cv2.rectangle(painted, (x0, y0), (x1, y1), (0, 255, 0), -1)
    return painted


def timed_method(name: str) -> tuple[str, list[float]]:
    """Register a copy of ``name`` whose fill records its own run time."""
    meta = methods.info(name)
    spent: list[float] = []

    def factory() -> methods.Fill:
        fill = methods.get(name)

        def timed(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
            start = time.perf_counter()
            try:
                return fill(image, mask)
            finally:
                spent.append(time.perf_counter() - start)

        return timed

    bench_name = f"bench-{name}"
    methods.register(
        bench_name,
        kind=meta.kind,
        description="timed",
        factory=factory,
        max_side=meta.max_side,
        margin=meta.margin,
    )
    return bench_name, spent


def run_batch(folder: Path, out: Path, *, method: str) -> float:
    options = batch.Options(output_dir=out, method=method, overwrite=True, max_pixels=None)
    jobs = batch.plan([folder], options=options)
    methods.get(method)  # build the method outside the timed region, as a long batch amortises it
    start = time.perf_counter()
    summary = batch.run(jobs, options=options, progress=False)
    elapsed = time.perf_counter() - start
    if len(summary.by_status("done")) != len(jobs):
        raise SystemExit(f"benchmark batch failed: {summary.describe()}")
    return elapsed


def stage_times(path: Path, *, method: str, out: Path) -> dict[str, float]:
    """One image through the stages separately (seconds), to show where the time goes."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    picture = io.read_image(path, max_pixels=None)
    times["read"] = time.perf_counter() - start
    start = time.perf_counter()
    hole, _ = masks.green_mask(picture.rgb)
    times["mask"] = time.perf_counter() - start
    start = time.perf_counter()
    result = engine.fill_holes(picture.rgb, hole, method=method)
    times["fill+paste"] = time.perf_counter() - start
    start = time.perf_counter()
    io.write_image(out, result, alpha=picture.alpha)
    times["write"] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description="kintsugi speed benchmark")
    parser.add_argument("--images", type=int, default=20, help="1280x720 images in the folder case")
    parser.add_argument("--methods", nargs="*", default=None, help="default: telea, and model when available")
    args = parser.parse_args()
    available = {m.name for m in methods.available("inpaint")}
    names = args.methods or [n for n in ("telea", "model") if n in available]

    rows: list[Row] = []
    stages: dict[str, dict[str, float]] = {}
    loads: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="kintsugi-bench-") as tmp:
        root = Path(tmp)
        folder, page_dir, strokes_dir = root / "frames", root / "page", root / "strokes"
        folder.mkdir()
        page_dir.mkdir()
        strokes_dir.mkdir()
        rng = np.random.default_rng(0)
        for i in range(args.images):
            bars = []
            for _ in range(3):
                x0, y0 = int(rng.integers(0, 1000)), int(rng.integers(0, 680))
                bars.append((x0, y0, x0 + int(rng.integers(80, 260)), y0 + int(rng.integers(16, 40))))
            Image.fromarray(paint_bars(make_picture(720, 1280, seed=i), bars)).save(folder / f"f{i:03d}.png")
        for i in range(max(1, args.images // 4)):
            Image.fromarray(paint_strokes(make_picture(720, 1280, seed=100 + i), seed=i)).save(
                strokes_dir / f"s{i:03d}.png"
            )
        page = paint_bars(make_picture(4000, 6000, seed=99), [(1200, 900, 1500, 940), (4000, 3000, 4400, 3030)])
        Image.fromarray(page).save(page_dir / "page.png", compress_level=1)

        for name in names:
            start = time.perf_counter()
            methods.get(name)  # the session is built once per batch; its cost is reported apart
            loads[name] = time.perf_counter() - start
            bench, spent = timed_method(name)
            spent.clear()
            total = run_batch(folder, root / "out-frames", method=bench)
            rows.append(Row("1280x720, 3 bars", name, args.images, total, sum(spent)))
            spent.clear()
            n_strokes = max(1, args.images // 4)
            total = run_batch(strokes_dir, root / "out-strokes", method=bench)
            rows.append(Row("1280x720, 10% strokes", name, n_strokes, total, sum(spent)))
            # The page runs three times (a cold first run pays for fresh memory pages); median.
            runs = []
            for _ in range(3):
                spent.clear()
                runs.append((run_batch(page_dir, root / "out-page", method=bench), sum(spent)))
            total, method_s = sorted(runs)[1]
            rows.append(Row("6000x4000, 2 bars", name, 1, total, method_s))
            stages[name] = stage_times(page_dir / "page.png", method=name, out=root / "stage.png")

    print(f"{'case':<22} {'method':<8} {'images':>6} {'total s':>8} {'ms/image':>9}", end="")
    print(f" {'method ms':>10} {'overhead ms':>12}")
    for row in rows:
        method_ms = 1000 * row.method_s / row.images
        print(
            f"{row.case:<22} {row.method:<8} {row.images:>6} {row.total_s:>8.2f} {row.per_image_ms:>9.1f} "
            f"{method_ms:>10.1f} {row.overhead_ms:>12.1f}"
        )
    for name, seconds in loads.items():
        print(f"method load ({name}): {1000 * seconds:.0f} ms, once per batch")
    for name, times in stages.items():
        parts = ", ".join(f"{stage} {1000 * t:.0f} ms" for stage, t in times.items())
        print(f"6000x4000 page stages ({name}): {parts}")


if __name__ == "__main__":
    main()
