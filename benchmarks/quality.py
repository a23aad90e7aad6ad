"""Inpainting quality on the validation split: hybrid and model vs OpenCV Telea / NS vs PatchMatch.

    python benchmarks/quality.py [--n 24] [--offset 0] [--val data/val] [--extra NAME=PATH.onnx ...]
                                 [--hybrid-extra NAME=PATH.onnx ...]

Prints one table per family: colour art (bars; strokes by hole ratio) and black-and-white manga
pages (the validation art screened by `synth_art.manga_page`, and procedural art screened the
same way). Inside the hole: L1, low-pass L1 (sigma 2, the structure), the detail ratio (std of
image minus its blur, the family's mean of ours / that of the truth), edge F1 (Canny, 2 px), the largest RGB spread on
grey pages (colour leak), and seconds per image. Saves a contact sheet of 100% crops (input /
hybrid / model / PatchMatch / truth, of those run) to benchmarks/out/quality_sheet.png.
PatchMatch comes from `pypatchmatch` (a benchmark-only dependency). `--extra` adds an ONNX file as another row (e.g. the
partial-convolution baseline), run exactly as the shipped `model` method runs its network (the
engine's region crops, Telea pre-fill, test-time flips); `--single-pass` adds the row
`model 1-pass`, the shipped network without the flips. `--methods hybrid` runs only that row
(and PatchMatch); `--pm-cache DIR` keeps PatchMatch's outputs and reuses them on the next run
(its seconds then time the cache read).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import families  # noqa: E402
from metrics import colour_spread, detail, edge_f1, l1, lowpass_l1, psnr  # noqa: E402

import kintsugi  # noqa: E402
from kintsugi import engine, methods  # noqa: E402
from kintsugi.training.synth_art import generate, manga_page  # noqa: E402
from kintsugi.training.synth_masks import random_mask  # noqa: E402

SHEET_METHODS = ("hybrid", "model", "patchmatch")  # the sheet's columns between input and truth, those run
FAMILIES = {  # name → (art, mask family, hole-ratio range); art: colour, manga (screened), procedural manga
    "bars": ("colour", "bars", (0.01, 0.5)),
    "strokes 0-10%": ("colour", "strokes", (0.01, 0.10)),
    "strokes 10-20%": ("colour", "strokes", (0.10, 0.20)),
    "strokes 20-30%": ("colour", "strokes", (0.20, 0.30)),
    "strokes 30-50%": ("colour", "strokes", (0.30, 0.50)),
    "manga bars": ("manga", "bars", (0.01, 0.5)),
    "manga strokes 0-10%": ("manga", "strokes", (0.01, 0.10)),
    "manga strokes 10-20%": ("manga", "strokes", (0.10, 0.20)),
    "manga strokes 20-30%": ("manga", "strokes", (0.20, 0.30)),
    "procedural manga 0-20%": ("procedural", "strokes", (0.01, 0.20)),
}
PROCEDURAL_SEED0 = 500_000  # below the training art's seeds (SYNTH_TRAIN_SEED0): never trained on


def load_val(folder: Path, n: int, *, offset: int = 0) -> list[np.ndarray]:
    return [image for _, image in families.load_val(folder, n, offset=offset)]


def patchmatch_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from patchmatch import patch_match

    out = patch_match.inpaint(image, mask=mask.astype(np.uint8) * 255, patch_size=3)
    res = image.copy()
    res[mask] = out[mask]
    return res


def onnx_fill(path: str, *, flips: bool = True) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The `model` method's whole pipeline (engine crops, pre-fill, flips) on another ONNX file."""
    from kintsugi.methods.model import inpaint_fill

    meta = methods.require("model", kind="inpaint")
    fill = inpaint_fill(_session(path), flips=flips)
    return lambda image, mask: engine.fill_regions(
        fill, image, mask=mask, margin=meta.margin, max_side=meta.max_side, name=path
    )


def _hybrid_on(path: str, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`hybrid` (through the engine, as kintsugi.inpaint runs it) with its structure from another
    ONNX file."""
    meta = methods.require("hybrid", kind="inpaint")
    return engine.fill_regions(_hybrid(path), image, mask=mask, margin=meta.margin, max_side=meta.max_side, name=path)


@functools.cache
def _hybrid(path: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    return methods.hybrid_fill(_session(path))


@functools.cache
def _session(path: str):
    import onnxruntime as ort

    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def cached(fill: Callable, folder: Path | None) -> Callable:
    """``fill`` with its outputs kept as PNGs in ``folder`` under the key the caller passes
    (PatchMatch is the slowest row and never changes between runs)."""
    if folder is None:
        return lambda image, mask, key: fill(image, mask)
    folder.mkdir(parents=True, exist_ok=True)

    def run(image: np.ndarray, mask: np.ndarray, key: str) -> np.ndarray:
        path = folder / f"{key}.png"
        if path.is_file():
            out = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
            if out.shape == image.shape:
                return out
        out = fill(image, mask)
        cv2.imwrite(str(path), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
        return out

    return run


def build_methods(
    extra: list[str],
    *,
    single_pass: bool = False,
    only: list[str] | None = None,
    hybrid_extra: Sequence[str] = (),
) -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    table = {}
    names = [m.name for m in methods.available("inpaint")]
    for name in ["hybrid", "model", "telea"]:
        if name in names and (only is None or name in only):
            table[name] = functools.partial(lambda n, i, m: kintsugi.inpaint(i, m, method=n), name)
    for spec in extra:
        label, path = spec.split("=", 1)
        table[label] = onnx_fill(path)
    for spec in hybrid_extra:
        label, path = spec.split("=", 1)
        table[label] = functools.partial(_hybrid_on, path)
    if single_pass:
        from kintsugi.methods.model import weights_path

        table["model 1-pass"] = onnx_fill(str(weights_path("inpaint")), flips=False)
    table["patchmatch"] = patchmatch_fill
    return table


def paint_green(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[mask] = (0, 255, 0)
    return out


def art_for(kind: str, images: list[np.ndarray], idx: int, *, offset: int = 0) -> np.ndarray:
    """The idx-th truth image of an art kind (``offset``: where the images start in the split);
    the same one on every run."""
    if kind == "colour":
        return images[idx]
    if kind == "manga":
        return manga_page(images[idx], np.random.default_rng(offset + idx))
    seed = offset + idx
    return manga_page(generate(np.random.default_rng(PROCEDURAL_SEED0 + seed)), np.random.default_rng(seed))


def crop_around(images: list[np.ndarray], mask: np.ndarray, side: int = 128) -> list[np.ndarray]:
    """100% crops (side x side) centred on the hole, one per image."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    cy, cx = int(np.median(ys)), int(np.median(xs))
    y0, x0 = min(max(0, cy - side // 2), max(0, h - side)), min(max(0, cx - side // 2), max(0, w - side))
    out = []
    for im in images:
        c = im[y0 : y0 + side, x0 : x0 + side]
        out.append(np.pad(c, ((0, side - c.shape[0]), (0, side - c.shape[1]), (0, 0)), constant_values=255))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--val", type=Path, default=Path("data/val"))
    ap.add_argument("--n", type=int, default=24, help="validation images per family")
    ap.add_argument("--offset", type=int, default=0, help="skip this many validation images (sorted by name)")
    ap.add_argument("--extra", action="append", default=[], help="NAME=PATH.onnx, another row")
    ap.add_argument(
        "--hybrid-extra", action="append", default=[], help="NAME=PATH.onnx: `hybrid` with its structure from PATH"
    )
    ap.add_argument("--single-pass", action="store_true", help="add the shipped network without flips")
    ap.add_argument("--families", help="comma-separated subset of the families")
    ap.add_argument("--methods", help="comma-separated subset of hybrid,model,telea (PatchMatch always runs)")
    ap.add_argument("--pm-cache", type=Path, help="keep PatchMatch's outputs here and reuse them")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = ap.parse_args(argv)
    images = load_val(args.val, args.n, offset=args.offset)
    table = build_methods(
        args.extra,
        single_pass=args.single_pass,
        only=args.methods and args.methods.split(","),
        hybrid_extra=args.hybrid_extra,
    )
    for fn in table.values():  # warm-up: sessions are built once per batch, not per image
        fn(images[0], random_mask(np.random.default_rng(0), images[0].shape[:2]))
    pm_run = cached(table["patchmatch"], args.pm_cache)
    families = {k: v for k, v in FAMILIES.items() if not args.families or k in args.families.split(",")}
    sheet_rows = []
    for fam_index, (fam_name, (art, family, ratios)) in enumerate(FAMILIES.items()):
        if fam_name not in families:
            continue
        rng = np.random.default_rng(fam_index)  # the same masks on every run
        scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for idx in range(len(images)):
            img = art_for(art, images, idx, offset=args.offset)
            mask = random_mask(rng, img.shape[:2], family=family, ratio_range=ratios)
            outs = {}
            for name, fn in table.items():
                t = time.perf_counter()
                out = pm_run(img, mask, f"{fam_index}_{args.offset + idx}") if name == "patchmatch" else fn(img, mask)
                s = scores[name]
                s["sec"].append(time.perf_counter() - t)
                s["psnr"].append(psnr(out, img))
                s["l1"].append(l1(out, img, mask))
                s["lp"].append(lowpass_l1(out, img, mask))
                s["detail"].append(detail(out, mask))
                s["detail_truth"].append(detail(img, mask))
                s["f1"].append(edge_f1(out, img, mask))
                s["leak"].append(colour_spread(out, mask))
                outs[name] = out
            if idx < 2 and "hybrid" in outs:
                row = [paint_green(img, mask), *(outs[n] for n in SHEET_METHODS if n in outs), img]
                sheet_rows.append(crop_around(row, mask))
        print(f"\n{fam_name}  ({len(images)} images)")
        print(
            f"{'method':14s} {'PSNR':>6s} {'L1':>7s} {'L1/PM':>6s} {'LP/PM':>6s} {'detail':>6s} "
            f"{'edgeF1':>6s} {'leak':>5s} {'s/img':>6s}"
        )
        pm = {k: float(np.nanmean(v)) for k, v in scores["patchmatch"].items()}
        for name, s in scores.items():
            row = {k: float(np.nanmean(v)) for k, v in s.items()}
            # Ratio of the family's means: one flat hole (truth detail ~0) must not dominate.
            row["detail"] /= max(row["detail_truth"], 1e-6)
            leak = f"{max(s['leak']):5d}" if art != "colour" else f"{'-':>5s}"
            print(
                f"{name:14s} {row['psnr']:6.2f} {row['l1']:7.4f} {row['l1'] / pm['l1']:6.3f} "
                f"{row['lp'] / pm['lp']:6.3f} {row['detail']:6.2f} {row['f1']:6.4f} {leak} {row['sec']:6.3f}"
            )
    if sheet_rows:
        args.out.mkdir(parents=True, exist_ok=True)
        framed = [[np.pad(x, ((2, 2), (2, 2), (0, 0)), constant_values=255) for x in r] for r in sheet_rows]
        rows = [np.concatenate(r, 1) for r in framed]
        path = args.out / "quality_sheet.png"
        cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
        shown = " / ".join(n for n in SHEET_METHODS if n in scores)
        print(f"\ncontact sheet, 100% crops (input / {shown} / truth): {path}")


if __name__ == "__main__":
    main()
