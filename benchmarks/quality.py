"""Inpainting quality on the validation split: our model vs OpenCV Telea / NS vs PatchMatch.

    python benchmarks/quality.py [--n 24] [--val data/val] [--extra NAME=PATH.onnx ...] [--single-pass]

Prints one table per mask family (bars; strokes by hole ratio) with whole-image PSNR/SSIM, PSNR
and L1 inside the hole, and seconds per image; saves a contact sheet (input / model /
PatchMatch / truth) to benchmarks/out/quality_sheet.png. PatchMatch comes from `pypatchmatch`
(a benchmark-only dependency). `--extra` adds an ONNX file as another row (e.g. the
partial-convolution baseline), run exactly as the shipped `model` method runs its network (the
engine's region crops, Telea pre-fill, test-time flips); `--single-pass` adds the row
`model 1-pass`, the shipped network without the flips.
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
from metrics import l1, psnr, ssim  # noqa: E402

import kintsugi  # noqa: E402
from kintsugi import engine, methods  # noqa: E402
from kintsugi.training.synth_masks import random_mask  # noqa: E402

FAMILIES = {  # name → (mask family, hole-ratio range)
    "bars": ("bars", (0.01, 0.5)),
    "strokes 0-10%": ("strokes", (0.01, 0.10)),
    "strokes 10-20%": ("strokes", (0.10, 0.20)),
    "strokes 20-30%": ("strokes", (0.20, 0.30)),
    "strokes 30-50%": ("strokes", (0.30, 0.50)),
}


def load_val(folder: Path, n: int) -> list[np.ndarray]:
    files = sorted(folder.glob("*.png"))[:n]
    if not files:
        raise SystemExit(
            f"no validation images in {folder}: run scripts/fetch_training_data.sh and "
            "python -m kintsugi.training.prepare first"
        )
    return [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]


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


@functools.cache
def _session(path: str):
    import onnxruntime as ort

    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def build_methods(
    extra: list[str], *, single_pass: bool = False
) -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    table = {}
    names = [m.name for m in methods.available("inpaint")]
    for name in ["model", "telea", "ns"]:
        if name in names:
            table[name] = functools.partial(lambda n, i, m: kintsugi.inpaint(i, m, method=n), name)
    for spec in extra:
        label, path = spec.split("=", 1)
        table[label] = onnx_fill(path)
    if single_pass:
        from kintsugi.methods.model import weights_path

        table["model 1-pass"] = onnx_fill(str(weights_path("inpaint")), flips=False)
    table["patchmatch"] = patchmatch_fill
    return table


def paint_green(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[mask] = (0, 255, 0)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--val", type=Path, default=Path("data/val"))
    ap.add_argument("--n", type=int, default=24, help="validation images per family")
    ap.add_argument("--extra", action="append", default=[], help="NAME=PATH.onnx, another row")
    ap.add_argument("--single-pass", action="store_true", help="add the shipped network without flips")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = ap.parse_args(argv)
    images = load_val(args.val, args.n)
    table = build_methods(args.extra, single_pass=args.single_pass)
    for fn in table.values():  # warm-up: sessions are built once per batch, not per image
        fn(images[0], random_mask(np.random.default_rng(0), images[0].shape[:2]))
    sheet_rows = []
    for fam_index, (fam_name, (family, ratios)) in enumerate(FAMILIES.items()):
        rng = np.random.default_rng(fam_index)  # the same masks on every run
        scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for idx, img in enumerate(images):
            mask = random_mask(rng, img.shape[:2], family=family, ratio_range=ratios)
            outs = {}
            for name, fn in table.items():
                t = time.perf_counter()
                out = fn(img, mask)
                scores[name]["sec"].append(time.perf_counter() - t)
                scores[name]["psnr"].append(psnr(out, img))
                scores[name]["ssim"].append(ssim(out, img))
                scores[name]["psnr_hole"].append(psnr(out, img, mask))
                scores[name]["l1_hole"].append(l1(out, img, mask))
                outs[name] = out
            if idx < 2 and "model" in outs:
                sheet_rows.append([paint_green(img, mask), outs["model"], outs["patchmatch"], img])
        print(f"\n{fam_name}  ({len(images)} images)")
        print(
            f"{'method':14s} {'PSNR':>7s} {'SSIM':>7s} {'PSNR-hole':>10s} {'L1-hole':>8s} {'L1/PM':>6s} {'s/img':>7s}"
        )
        pm_l1 = np.mean(scores["patchmatch"]["l1_hole"])
        for name, s in scores.items():
            row = {k: float(np.mean(v)) for k, v in s.items()}
            print(
                f"{name:14s} {row['psnr']:7.2f} {row['ssim']:7.4f} {row['psnr_hole']:10.2f} "
                f"{row['l1_hole']:8.4f} {row['l1_hole'] / pm_l1:6.3f} {row['sec']:7.3f}"
            )
    if sheet_rows:
        args.out.mkdir(parents=True, exist_ok=True)
        rows = []
        for r in sheet_rows:
            h = 256
            rows.append(np.concatenate([cv2.resize(x, (round(x.shape[1] * h / x.shape[0]), h)) for x in r], 1))
        width = max(r.shape[1] for r in rows)
        rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
        path = args.out / "quality_sheet.png"
        cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
        print(f"\ncontact sheet (input / model / PatchMatch / truth): {path}")


if __name__ == "__main__":
    main()
