"""Mosaic restoration and detection on the validation split.

    python benchmarks/mosaic.py [--val data/val] [--n 0] [--offset 0] [--seed 0] [--out benchmarks/out]
                                [--family val|native|manga|native-manga|procedural|procedural-manga]
                                [--methods NAME ...] [--extra NAME=PATH.onnx ...]

Every validation image gets, per block size (6, 8, 12, 16, 24), one synthetic mosaic
(kintsugi.training.synth_mosaic, mean sampling, random grid phase) over a random region: a
rectangle or a blob, 4 blocks to half the image across, placed over drawn content (the best of 8
random placements by share of detailed pixels — a censor covers something, not empty paper).
Images smaller than 6 blocks are skipped for that block size. Fixed seeds: the same regions on
every run. --family picks the images (benchmarks/families.py): val (data/val, 512 px at most),
native (the validation images at their native resolution, those over 512 px), manga (data/val
as B&W manga pages), native-manga, procedural (cel-shaded art drawn at 720x960 from unseen
seeds; --n defaults to 20) or procedural-manga; --offset skips the first images (unseen ones
for a check).

Tables
  restoration  PSNR, low-pass PSNR (between sigma-2 blurs: the structure, blind to the phase
               of screens and hatching) and SSIM inside the region for every mosaic method vs
               nearest (the mosaic itself), per block size, and seconds per image; then each
               method's gains over mosaic-cubic. The row "truth, sigma-2 blur" is an oracle:
               how much PSNR a perfectly placed smooth answer gains at all.
  detection    detect_mosaic on the mosaicked image, clean and after JPEG q85: mean IoU with the
               true region; IoU with its visible part (the blocks where the mosaic changed some
               pixel by >= 8 levels — a mosaic over flat paper is invisible and no detector can
               find it); IoU-dc, the IoU with the visible part where the invisible blocks are
               "don't care" (neither a hit nor a miss); bound, the IoU with the true region of
               the convex hull of the visible blocks (an oracle: what finding every visible block
               and assuming a convex censor would score); block-size accuracy; seconds per image.
  false alarms share of clean validation images (PNG and JPEG q85) with any detected region.
Contact sheet: benchmarks/out/mosaic_sheet.png (mosaic / methods... / truth).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from families import load_family  # noqa: E402
from metrics import lowpass_psnr, psnr, ssim  # noqa: E402
from sheets import save_sheet, sheet_row  # noqa: E402

from kintsugi.detect import detect_mosaic, estimate_grid  # noqa: E402
from kintsugi.methods.mosaic import enforce_block_means, restore_cubic  # noqa: E402
from kintsugi.regions import Box  # noqa: E402
from kintsugi.training.synth_mosaic import apply_mosaic, jpeg_roundtrip, mosaic_mask  # noqa: E402

BLOCKS = (6, 8, 12, 16, 24)
FAMILIES = ("val", "native", "manga", "native-manga", "procedural", "procedural-manga")
Restore = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (mosaic image, region mask) -> image


# --- methods ---------------------------------------------------------------------------------


def nearest(mosaic: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mosaic itself: every pixel keeps its block's colour."""
    return mosaic.copy()


def cubic_consistent(mosaic: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Cubic, then back-projected so each block re-averages to its mosaic colour."""
    grid = estimate_grid(mosaic, mask)
    return enforce_block_means(restore_cubic(mosaic, mask, grid=grid), mosaic, mask, grid=grid)


def onnx_restore(path: str) -> Restore:
    """mosaic-model's pipeline (the engine's region crops, the grey rule, the block means) with the
    network of another ONNX file, e.g. a fine-tune's export."""
    import onnxruntime as ort

    from kintsugi import engine, methods
    from kintsugi.methods.model import restore_mosaic

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    meta = methods.require("mosaic-model", kind="mosaic")

    def fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return restore_mosaic(sess, image, mask)

    return lambda img, m: engine.fill_regions(fill, img, mask=m, margin=meta.margin, max_side=meta.max_side, name=path)


def restoration_methods(extra: dict[str, str] | None = None) -> dict[str, Restore]:
    """Rows of the restoration table: name -> callable(mosaic_image, mask) -> image.

    >>> HOOK (lead): the restoration model joins here. Every method of kind "mosaic" in the
    >>> registry (e.g. "mosaic-model" once its weights are installed) becomes a row, run through
    >>> the engine exactly as `kintsugi inpaint --originals` runs it. Add any other candidate
    >>> (an ONNX file, a checkpoint) as another name -> callable entry.
    """
    table: dict[str, Restore] = {"nearest (mosaic)": nearest}
    try:
        import kintsugi
        from kintsugi import methods as registry

        names = [m.name for m in registry.available("mosaic")]
    except Exception:  # no registry in this checkout: the classical rows only
        names = []
    for name in names:
        table[name] = functools.partial(lambda n, img, m: kintsugi.restore_mosaic(img, m, method=n), name)
    if "mosaic-cubic" not in table:
        table["mosaic-cubic"] = restore_cubic
    table["cubic + block means"] = cubic_consistent
    for label, path in (extra or {}).items():  # candidate weights, run exactly as mosaic-model runs
        table[label] = onnx_restore(path)
    if "mosaic-model" in names:  # the shipped method enforces block means; this row shows why
        from kintsugi.methods.model import restore_mosaic, session

        table["model, no block means"] = lambda img, m: restore_mosaic(session("mosaic"), img, m, consistent=False)
    return table


# --- data ------------------------------------------------------------------------------------


def _shape_mask(rng: np.random.Generator, shape: tuple[int, int], size: float) -> np.ndarray:
    """A rectangle or a blob of about `size` px across, at a random centre."""
    h, w = shape
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    mask = np.zeros(shape, np.uint8)
    if rng.random() < 0.5:
        hh, ww = size * rng.uniform(0.7, 1.3), size * rng.uniform(0.7, 1.3)
        mask[max(int(cy - hh / 2), 0) : int(cy + hh / 2), max(int(cx - ww / 2), 0) : int(cx + ww / 2)] = 1
    else:
        for _ in range(4):
            oy, ox = rng.normal(0, size / 6, 2)
            axes = (max(int(size * rng.uniform(0.25, 0.45)), 1), max(int(size * rng.uniform(0.2, 0.35)), 1))
            cv2.ellipse(mask, (int(cx + ox), int(cy + oy)), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return mask.astype(bool)


def make_region(rng: np.random.Generator, image: np.ndarray, block: int) -> np.ndarray:
    """bool HxW censor region over drawn content (see the module docstring)."""
    h, w = image.shape[:2]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    detail = cv2.dilate((np.abs(cv2.Laplacian(gray, cv2.CV_32F)) > 8).astype(np.uint8), np.ones((5, 5), np.uint8))
    lo = max(4 * block, 0.15 * min(h, w))
    hi = max(lo, 0.5 * min(h, w))
    best, best_share = None, -1.0
    for _ in range(8):
        mask = _shape_mask(rng, (h, w), rng.uniform(lo, hi))
        share = float(detail[mask].mean()) if mask.any() else -1.0
        if share > best_share:
            best, best_share = mask, share
    return best


def case_rng(seed: int, index: int, block: int, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, index, block, salt])


def detection_case(
    rng: np.random.Generator, image: np.ndarray, block: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """One detection case: (region bool HxW, the mosaicked image RGB uint8, the visible part of
    the region: the blocks whose pixels the mosaic changed by 8 levels or more, grid phase)."""
    mask = make_region(rng, image, block)
    phase = (int(rng.integers(block)), int(rng.integers(block)))
    region = mosaic_mask(mask, block=block, phase=phase)
    clean = apply_mosaic(image, mask, block=block, phase=phase)
    changed = (np.abs(clean.astype(np.int16) - image).max(axis=-1) >= 8) & region
    return region, clean, mosaic_mask(changed, block=block, phase=phase) & region, phase


# --- tables ----------------------------------------------------------------------------------


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a & b) / max(np.count_nonzero(a | b), 1))


def restoration_table(
    images: list[tuple[str, np.ndarray]],
    table: dict[str, Restore],
    *,
    seed: int,
    sheet: list[list[np.ndarray]],
    offset: int = 0,
) -> None:
    scores: dict[str, dict[int, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    counts = {}
    for block in BLOCKS:
        n = 0
        for index, (_, img) in enumerate(images, start=offset):
            if min(img.shape[:2]) < 6 * block:
                continue
            rng = case_rng(seed, index, block)
            mask = make_region(rng, img, block)
            phase = (int(rng.integers(block)), int(rng.integers(block)))
            region = mosaic_mask(mask, block=block, phase=phase)
            mosaic = apply_mosaic(img, mask, block=block, phase=phase)
            outs = {}
            for name, fn in {**table, ORACLE: functools.partial(smooth_truth, img)}.items():
                t = time.perf_counter()
                out = fn(mosaic, region)
                scores[name][block]["sec"].append(time.perf_counter() - t)
                scores[name][block]["psnr"].append(psnr(out, img, region))
                scores[name][block]["lp"].append(lowpass_psnr(out, img, region))
                scores[name][block]["ssim"].append(ssim(out, img, region))
                if name != ORACLE:
                    outs[name] = out
            n += 1
            if block in (8, 16) and len(sheet) < 6 and index % 7 == (0 if block == 8 else 3):
                sheet.append(sheet_row(img, mosaic, region, outs))
        counts[block] = n
    cols = "".join(f"{f'b={b} (n={counts[b]})':>15s}" for b in BLOCKS)
    titles = {"psnr": "PSNR", "lp": "low-pass PSNR (sigma-2 blurs)", "ssim": "SSIM"}
    for metric, fmt, midfmt in (
        ("psnr", "{:15.2f}", "{:11.2f}"),
        ("lp", "{:15.2f}", "{:11.2f}"),
        ("ssim", "{:15.4f}", "{:11.4f}"),
    ):
        print(f"\nrestoration: {titles[metric]} inside the region (mean over images)")
        print(f"{'method':22s}{cols}{'mean 6-16':>11s}{'s/img':>8s}")
        for name, per_block in scores.items():
            vals = [float(np.mean(per_block[b][metric])) for b in BLOCKS]
            mid = float(np.mean([v for b, v in zip(BLOCKS, vals, strict=True) if 6 <= b <= 16]))
            sec = float(np.mean([s for b in BLOCKS for s in per_block[b]["sec"]]))
            print(f"{name:22s}" + "".join(fmt.format(v) for v in vals) + midfmt.format(mid) + f"{sec:8.3f}")
    if "mosaic-cubic" in scores:
        print_gains(scores, reference="mosaic-cubic", metric="psnr")
        print_gains(scores, reference="mosaic-cubic", metric="lp")


ORACLE = "truth, sigma-2 blur"  # not a method: the best a smooth answer can do, for reference


def smooth_truth(truth: np.ndarray, mosaic: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The truth's sigma-2 blur in the region: an oracle row showing how far PSNR rewards a smooth
    answer at all where the art holds screens or hatching that no block mean records."""
    out = mosaic.copy()
    blurred = cv2.GaussianBlur(truth.astype(np.float32), (0, 0), 2.0)
    out[region] = np.clip(np.rint(blurred[region]), 0, 255).astype(np.uint8)
    return out


def print_gains(scores: dict[str, dict[int, dict[str, list[float]]]], *, reference: str, metric: str) -> None:
    """Each method's mean score minus the reference method's, per block size (the same cases)."""
    name = {"psnr": "PSNR", "lp": "low-pass PSNR"}[metric]
    print(f"\nrestoration: {name} gain over {reference} (dB, mean over images)")
    print(f"{'method':22s}" + "".join(f"{f'b={b}':>15s}" for b in BLOCKS) + f"{'mean 6-16':>11s}")
    ref = {b: np.array(scores[reference][b][metric]) for b in BLOCKS}
    for name, per_block in scores.items():
        if name == reference:
            continue
        gains = [float(np.mean(np.array(per_block[b][metric]) - ref[b])) if ref[b].size else np.nan for b in BLOCKS]
        mid = float(np.nanmean([g for b, g in zip(BLOCKS, gains, strict=True) if 6 <= b <= 16]))
        print(f"{name:22s}" + "".join(f"{g:15.2f}" for g in gains) + f"{mid:11.2f}")


def detection_table(images: list[tuple[str, np.ndarray]], *, seed: int, offset: int = 0) -> None:
    print("\ndetection: detect_mosaic on the mosaicked image (mean over images)")
    print(
        f"{'block':>6s} {'jpeg':>5s} {'n':>4s} {'IoU':>7s} {'IoU-visible':>12s} {'IoU-dc':>8s} {'bound':>8s} "
        f"{'visible':>8s} "
        f"{'block acc':>10s} {'phase acc':>10s} {'s/img':>7s}"
    )
    for jpeg in (None, 85):
        for block in BLOCKS:
            rows = []
            for index, (_, img) in enumerate(images, start=offset):
                if min(img.shape[:2]) < 6 * block:
                    continue
                rng = case_rng(seed, index, block)  # the same regions as the restoration table
                region, clean, visible, phase = detection_case(rng, img, block)
                mosaic = jpeg_roundtrip(clean, jpeg) if jpeg else clean
                t = time.perf_counter()
                found = detect_mosaic(mosaic)
                sec = time.perf_counter() - t
                # The block size and phase reported for the region overlapping the truth most.
                best = max(found.regions, default=None, key=lambda r: _overlap(r.box, region))
                rows.append(
                    (
                        iou(found.mask, region),
                        iou(found.mask, visible),
                        iou_ignoring(found.mask, visible, ignore=region & ~visible),
                        iou(hull_of(visible, block=block, phase=phase), region),
                        np.count_nonzero(visible) / max(np.count_nonzero(region), 1),
                        best is not None and best.block == block,
                        best is not None and best.block == block and best.phase == phase,
                        sec,
                    )
                )
            r = np.array(rows, float)
            print(
                f"{block:6d} {str(jpeg or '-'):>5s} {len(r):4d} {r[:, 0].mean():7.3f} {r[:, 1].mean():12.3f} "
                f"{r[:, 2].mean():8.3f} {r[:, 3].mean():8.3f} {r[:, 4].mean():8.2f} {r[:, 5].mean():10.2f} "
                f"{r[:, 6].mean():10.2f} {r[:, 7].mean():7.3f}"
            )


def iou_ignoring(a: np.ndarray, b: np.ndarray, *, ignore: np.ndarray) -> float:
    """IoU of a and b over the pixels outside `ignore` (a "don't care" label, as for void pixels
    in segmentation benchmarks)."""
    keep = ~ignore
    return iou(a & keep, b & keep)


def flat_beside(art: np.ndarray, region: np.ndarray, *, block: int, phase: tuple[int, int]) -> np.ndarray:
    """bool HxW: the pixels outside ``region`` in blocks a mosaic on the same grid would leave
    unchanged (every pixel within 8 levels, as for the visible part), joined to the region through
    such blocks. The region's extent over flat paint cannot be seen from either side: a block over
    the paint inside it is left identical, and so is one outside it; this is the outside half."""
    whole = apply_mosaic(art, np.ones(region.shape, bool), block=block, phase=phase)
    changed = mosaic_mask((np.abs(whole.astype(np.int16) - art).max(axis=-1) >= 8), block=block, phase=phase)
    n, labels = cv2.connectedComponents((region | ~changed).astype(np.uint8), connectivity=8)
    joined = np.isin(labels, np.unique(labels[region]))
    return joined & ~changed & ~region


def hull_of(visible: np.ndarray, *, block: int, phase: tuple[int, int]) -> np.ndarray:
    """The grid cells of the convex hull of the visible blocks: what an oracle that found every
    visible block, and knew that censors are convex, would report."""
    if not visible.any():
        return visible
    hull = np.zeros(visible.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(visible.astype(np.uint8))), 1)
    return mosaic_mask(hull > 0, block=block, phase=phase)


def _overlap(box: Box, region: np.ndarray) -> int:
    return int(np.count_nonzero(region[box.slices]))


def false_alarm_table(images: list[tuple[str, np.ndarray]]) -> None:
    print("\nfalse alarms: clean validation images (no mosaic) with any detected region")
    for jpeg in (None, 85):
        hits, secs = [], []
        for name, img in images:
            src = jpeg_roundtrip(img, jpeg) if jpeg else img
            t = time.perf_counter()
            found = detect_mosaic(src)
            secs.append(time.perf_counter() - t)
            if found.regions:
                hits.append((name, [(r.block, tuple(r.box)) for r in found.regions]))
        share = 1 - len(hits) / len(images)
        print(
            f"  {'JPEG q85' if jpeg else 'PNG':9s} {len(hits)}/{len(images)} images with a false region "
            f"({100 * share:.1f}% clean), {np.mean(secs):.3f} s/img"
        )
        for name, regs in hits:
            print(f"      {name}: {regs}")


def speed_table(images: list[tuple[str, np.ndarray]], *, seed: int) -> None:
    """detect_mosaic on 1280x720 frames (validation art resized, a block-12 mosaic in it)."""
    secs = []
    for index, (_, img) in enumerate(images[:10]):
        frame = cv2.resize(img, (1280, 720), interpolation=cv2.INTER_CUBIC)
        rng = case_rng(seed, index, 12, salt=1)
        frame = apply_mosaic(frame, make_region(rng, frame, 12), block=12, phase=(0, 0))
        t = time.perf_counter()
        detect_mosaic(frame)
        secs.append(time.perf_counter() - t)
    print(
        f"\ndetection speed at 1280x720: median {np.median(secs):.3f} s, max {np.max(secs):.3f} s ({len(secs)} frames)"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--val", type=Path, default=Path("data/val"))
    ap.add_argument("--n", type=int, default=0, help="use the first N validation images (0: all)")
    ap.add_argument("--offset", type=int, default=0, help="skip the first images (cases keep their seeds)")
    ap.add_argument("--family", default="val", choices=FAMILIES)
    ap.add_argument("--data", type=Path, default=Path("data"), help="manifest and raw files (--family native)")
    ap.add_argument("--methods", nargs="*", help="restoration rows to run (default: all)")
    ap.add_argument("--extra", nargs="*", default=[], help="NAME=PATH.onnx: another mosaic network as a row")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    ap.add_argument("--skip", nargs="*", default=[], choices=["restoration", "detection", "false", "speed"])
    args = ap.parse_args(argv)
    images = load_family(args.family, val=args.val, data=args.data, n=args.n, offset=args.offset)
    extra = dict(e.split("=", 1) for e in args.extra)
    table = restoration_methods(extra)
    if args.methods:
        keep = {*args.methods, *extra}
        table = {k: v for k, v in table.items() if k in keep or k.startswith("nearest")}
    sheet: list[list[np.ndarray]] = []
    if "restoration" not in args.skip:
        restoration_table(images, table, seed=args.seed, sheet=sheet, offset=args.offset)
    if "detection" not in args.skip:
        detection_table(images, seed=args.seed, offset=args.offset)
    if "false" not in args.skip:
        false_alarm_table(images)
    if "speed" not in args.skip:
        speed_table(images, seed=args.seed)
    names = ["mosaic"] + [n for n in table if not n.startswith("nearest")] + ["truth"]
    save_sheet(sheet, names, args.out)


if __name__ == "__main__":
    main()
