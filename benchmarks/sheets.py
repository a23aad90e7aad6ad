"""Contact sheets for the benchmarks: rows of crops, scaled to one height, written as a PNG."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def sheet_row(img: np.ndarray, mosaic: np.ndarray, region: np.ndarray, outs: dict[str, np.ndarray]) -> list:
    ys, xs = np.nonzero(region)
    pad = 16
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, img.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, img.shape[1])
    crops = [mosaic] + [o for n, o in outs.items() if not n.startswith("nearest")] + [img]
    return [c[y0:y1, x0:x1] for c in crops]


def save_sheet(rows: list[list[np.ndarray]], names: list[str], out: Path) -> None:
    if not rows:
        return
    out.mkdir(parents=True, exist_ok=True)
    ignore = out / ".gitignore"
    if not ignore.exists():  # outputs are never committed
        ignore.write_text("*\n")
    h = 200
    lines = []
    for r in rows:
        tiles = [
            cv2.resize(x, (max(1, round(x.shape[1] * h / x.shape[0])), h), interpolation=cv2.INTER_NEAREST) for x in r
        ]
        lines.append(np.concatenate([np.pad(t, ((4, 4), (4, 4), (0, 0)), constant_values=255) for t in tiles], 1))
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, 0), (0, width - line.shape[1]), (0, 0)), constant_values=255) for line in lines]
    path = out / "mosaic_sheet.png"
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(lines, 0), cv2.COLOR_RGB2BGR))
    print(f"\ncontact sheet ({' / '.join(names)}): {path}")
