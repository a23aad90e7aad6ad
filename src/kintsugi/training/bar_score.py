"""Fit the bar scores (kintsugi.detect.bar_score) on training art with synthetic bars.

    python -m kintsugi.training.bar_score [--kind bar] [--data data/cache/train.npz] [--images 600]
                                          [--false-rate 0.02] [--out PATH] [--samples PATH]
    python -m kintsugi.training.bar_score --kind translucent --false-rate 0.01

Training images (data/cache/train.npz, downscaled to 512 px at most like the validation
split) each give two cases, clean and with 1-5 synthetic bars (kintsugi.training.synth_bars),
every other image saved as JPEG q85; half the clean cases carry drawn page structures (panel
borders, outlined boxes, plus signs, letter stems: synth_bars.page_structures); every third
image is also crossed by ink strokes, clean and with bars of that ink. Every candidate of
kintsugi.detect.bars.solid_candidates is labelled by its IoU with the true bars: a bar (>= 0.7),
not a bar (< 0.3), or left out between. ``--kind translucent``: the same with translucent bars
(opacity 0.3-0.8) and kintsugi.detect.translucent.translucent_candidates, without the inked
images (written to weights/translucent_score.json). Five perceptrons with one hidden layer (16 tanh units:
a weighted sum alone could not tell a bar along one plain side from a panel border), from
different seeds, weigh the features, their logits averaged; the threshold is set so that
``--false-rate`` of the clean training cases keep a candidate. The detector evaluates the
weights with numpy.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kintsugi.detect.bar_score import FEATURES_OF, ensemble_logits, standardise
from kintsugi.detect.bars import solid_candidates
from kintsugi.detect.rects import polygon_mask
from kintsugi.detect.translucent import translucent_candidates
from kintsugi.training.synth_bars import draw_bars, ink_strokes, page_structures
from kintsugi.training.synth_mosaic import jpeg_roundtrip

POSITIVE, NEGATIVE = 0.7, 0.3  # IoU with a true bar


@dataclass
class Samples:
    features: np.ndarray  # (N, F) float64
    iou: np.ndarray  # (N,) best IoU with a true bar
    case: np.ndarray  # (N,) index of the case the candidate came from
    clean: np.ndarray  # (N,) bool: from a clean case


def training_images(path: Path, *, count: int, seed: int, max_side: int = 512) -> list[np.ndarray]:
    """``count`` random training images (RGB uint8), downscaled to ``max_side`` at most."""
    images = np.load(path, allow_pickle=True)["images"]
    out = []
    for i in np.random.default_rng(seed).permutation(len(images)):
        image = np.ascontiguousarray(images[i][..., :3])
        scale = max_side / max(image.shape[:2])
        if scale < 1:
            size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        if min(image.shape[:2]) >= 64:
            out.append(image)
        if len(out) == count:
            break
    return out


def collect(images: list[np.ndarray], *, seed: int, kind: str = "bar") -> Samples:
    """Candidates and labels of every image, clean and with bars of ``kind`` (JPEG q85 for odd
    images); then, for solid bars, of every third image crossed by ink strokes, clean and with
    bars of that ink."""
    translucent = kind == "translucent"
    rows: list[np.ndarray] = []
    ious: list[float] = []
    cases: list[int] = []
    out = (rows, ious, cases)
    for index, art in enumerate(images):
        if index % 50 == 0:
            print(f"  image {index}/{len(images)}: {len(rows)} candidates", flush=True)
        # The translucent fit's cases come from a stream of their own.
        rng = np.random.default_rng([seed, index, 5] if translucent else [seed, index])
        barred, truth, _ = draw_bars(art, rng, translucent=translucent)
        # Half the clean cases carry page structures that look like bars and are not.
        clean_art = page_structures(art, rng) if index % 4 < 2 else art
        jpeg = bool(index % 2)
        _label(clean_art, np.zeros(art.shape[:2], bool), case=2 * index, jpeg=jpeg, out=out, kind=kind)
        _label(barred, truth, case=2 * index + 1, jpeg=jpeg, out=out, kind=kind)
    if translucent:
        return _samples(rows, ious, cases, kind=kind)
    # A bar of the colour of the ink strokes it crosses touches strokes of its own colour, as a
    # drawn shape's outline does: without these cases such bars were mostly missed.
    for j, index in enumerate(range(0, len(images), 3)):
        rng = np.random.default_rng([seed, index, 3])
        inked, ink = ink_strokes(images[index], rng)
        barred, truth, _ = draw_bars(inked, rng, translucent=False, colour=ink)
        case = 2 * (len(images) + j)
        _label(inked, np.zeros(truth.shape, bool), case=case, jpeg=bool(j % 2), out=out)
        _label(barred, truth, case=case + 1, jpeg=bool(j % 2), out=out)
    return _samples(rows, ious, cases, kind=kind)


def _samples(rows: list[np.ndarray], ious: list[float], cases: list[int], *, kind: str) -> Samples:
    features = np.array(rows, np.float64).reshape(-1, len(FEATURES_OF[kind]))
    case_ids = np.array(cases, np.int64)
    return Samples(features, np.array(ious, np.float64), case_ids, case_ids % 2 == 0)


def n_cases(n_images: int, kind: str = "bar") -> int:
    """Clean cases ``collect`` makes from ``n_images`` images (each image, and for solid bars
    every third inked)."""
    return n_images + (len(range(0, n_images, 3)) if kind == "bar" else 0)


def _label(
    image: np.ndarray, bars: np.ndarray, *, case: int, jpeg: bool, out: tuple[list, list, list], kind: str = "bar"
) -> None:
    """Append every candidate of ``image`` (saved as JPEG q85 first with ``jpeg``) with its best
    IoU against the true ``bars`` (bool HxW) and its case number to the lists ``out``."""
    rows, ious, cases = out
    if jpeg:
        image = jpeg_roundtrip(image, 85)
    _, labels = cv2.connectedComponents(bars.view(np.uint8), connectivity=8)
    for candidate in solid_candidates(image) if kind == "bar" else translucent_candidates(image):
        mask = polygon_mask(candidate.bar.corners, image.shape[:2])
        best = 0.0
        for k in np.unique(labels[mask]):
            if k:
                bar = labels == k
                best = max(best, np.count_nonzero(mask & bar) / np.count_nonzero(mask | bar))
        rows.append(candidate.features)
        ious.append(best)
        cases.append(case)


def fit_mlp(x: np.ndarray, y: np.ndarray, *, hidden: int = 16, steps: int = 1500, seed: int = 0) -> dict:
    """A one-hidden-layer perceptron (tanh) on standardised x (N, F) and y (N,) in {0, 1},
    full-batch AdamW (weight decay 1e-3): its weights as numpy arrays (w1 (H, F), b1 (H,),
    w2 (H,), b2 ()); ``stack`` makes an ensemble kintsugi.detect.bar_score evaluates."""
    import torch  # training only: the detector evaluates the weights with numpy

    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=1e-3)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt)[:, 0], yt)
        loss.backward()
        opt.step()
    first, second = net[0], net[2]
    return {
        "w1": first.weight.detach().numpy().astype(np.float64),
        "b1": first.bias.detach().numpy().astype(np.float64),
        "w2": second.weight.detach().numpy()[0].astype(np.float64),
        "b2": float(second.bias.detach()[0]),
    }


def stack(nets: list[dict]) -> dict[str, np.ndarray]:
    """Perceptrons from fit_mlp as one ensemble: each weight with a leading axis K."""
    return {k: np.stack([np.asarray(net[k], np.float64) for net in nets]) for k in ("w1", "b1", "w2", "b2")}


def clean_threshold(scores: np.ndarray, samples: Samples, *, false_rate: float, n_clean: int) -> float:
    """The score above which ``false_rate`` of the ``n_clean`` clean cases keep a candidate."""
    best = np.full(n_clean, -np.inf)
    clean_cases = samples.case[samples.clean] // 2
    np.maximum.at(best, clean_cases, scores[samples.clean])
    ranked = np.sort(best)[::-1]
    k = min(int(false_rate * n_clean), n_clean - 1)
    if not np.isfinite(ranked[k]):  # fewer clean cases than that have a candidate at all
        return float(scores.min()) - 1.0
    return float(ranked[k]) + 1e-6  # the k best-scoring clean cases stay above it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=sorted(FEATURES_OF), default="bar")
    parser.add_argument("--data", type=Path, default=Path("data/cache/train.npz"))
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--false-rate", type=float, default=0.02)
    parser.add_argument("--out", type=Path, help="default src/kintsugi/weights/{bar,translucent}_score.json")
    parser.add_argument("--ensemble", type=int, default=5, help="perceptrons averaged")
    parser.add_argument("--samples", type=Path, help="keep the collected candidates here (.npz) and reuse them")
    args = parser.parse_args()
    images = training_images(args.data, count=args.images, seed=args.seed)
    if args.samples and args.samples.is_file():
        samples = Samples(**np.load(args.samples))
    else:
        samples = collect(images, seed=args.seed, kind=args.kind)
        if args.samples:
            np.savez(args.samples, **vars(samples))
    sure = (samples.iou >= POSITIVE) | (samples.iou < NEGATIVE)
    mean, scale = samples.features.mean(0), samples.features.std(0) + 1e-6
    x = standardise(samples.features, mean, scale)
    # Several perceptrons from different seeds, their logits averaged: one alone moves the
    # operating point by a few points of recall from seed to seed.
    nets = [
        fit_mlp(x[sure], (samples.iou[sure] >= POSITIVE).astype(np.float64), seed=args.seed + k)
        for k in range(args.ensemble)
    ]
    ensemble = stack(nets)
    scores = ensemble_logits(ensemble, x)
    clean_cases = n_cases(len(images), args.kind)
    limit = clean_threshold(scores, samples, false_rate=args.false_rate, n_clean=clean_cases)
    kept = scores >= limit
    print(
        f"{len(images)} images, {len(samples.iou)} candidates ({int(np.sum(samples.iou >= POSITIVE))} bars); "
        f"threshold {limit:.3f}: bar candidates kept {np.mean(kept[samples.iou >= POSITIVE]):.3f}, "
        f"clean cases flagged {len(set(samples.case[kept & samples.clean]))}/{clean_cases}"
    )
    record = {
        "features": list(FEATURES_OF[args.kind]),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        **{k: np.round(v, 6).tolist() for k, v in ensemble.items()},
        "threshold": round(limit, 6),
        "fitted_on": {
            "kind": args.kind,
            "images": len(images),
            "seed": args.seed,
            "false_rate": args.false_rate,
            "data": str(args.data),
        },
    }
    out = args.out or Path(f"src/kintsugi/weights/{args.kind}_score.json")
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
