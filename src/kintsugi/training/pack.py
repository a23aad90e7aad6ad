"""Pack a training subset small enough to travel with the working tree to a GPU machine.

    python -m kintsugi.training.pack --data data/cache --out data/pack --mib 24

Writes data/pack/{train,val}.npz: images as PNG bytes (RGBA), the longest side capped, drawn
at random from the cache until the budget is spent; validation images are the first of the
val split (the training loop's fixed validation crops need only a few). `load_cache` reads
both formats.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from kintsugi.training.data import load_cache


def encode(rgba: np.ndarray, *, max_side: int) -> bytes:
    h, w = rgba.shape[:2]
    if max(h, w) > max_side:
        s = max_side / max(h, w)
        rgba = cv2.resize(rgba, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def pack(
    train: list[np.ndarray], val: list[np.ndarray], *, budget: int, max_side: int, n_val: int, seed: int
) -> tuple[list[bytes], list[bytes]]:
    """(train PNGs, val PNGs) whose sizes add up to at most ``budget`` bytes."""
    val_png = [encode(im, max_side=max_side) for im in val[:n_val]]
    left = budget - sum(map(len, val_png))
    train_png = []
    for i in np.random.default_rng(seed).permutation(len(train)):
        b = encode(train[i], max_side=max_side)
        if len(b) <= left:
            train_png.append(b)
            left -= len(b)
    return train_png, val_png


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data/cache"))
    ap.add_argument("--out", type=Path, default=Path("data/pack"))
    ap.add_argument("--mib", type=float, default=24.0)
    ap.add_argument("--max-side", type=int, default=512)
    ap.add_argument("--val", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    train_png, val_png = pack(
        load_cache(args.data / "train.npz"),
        load_cache(args.data / "val.npz"),
        budget=int(args.mib * 2**20) - 4096,  # the npz headers
        max_side=args.max_side,
        n_val=args.val,
        seed=args.seed,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for name, items in (("train", train_png), ("val", val_png)):
        arr = np.empty(len(items), object)
        arr[:] = items
        np.savez(args.out / f"{name}.npz", png=arr)
    total = sum((args.out / f"{n}.npz").stat().st_size for n in ("train", "val"))
    print(f"packed {len(train_png)} train + {len(val_png)} val images into {args.out}: {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
