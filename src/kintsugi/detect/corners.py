"""Block corners and the grids through them (detect_mosaic, steps 1-2).

1. Block corners. A pixel corner where 3 or 4 flat 2x2 patches of different colour meet is
   what a mosaic is made of: every block corner inside it, visible through JPEG. Flat-colour art
   has long straight edges and L-shaped corners (2 "arms"), rarely 3- or 4-way meetings.
   Searched in luma (survives JPEG) and in RGB (blocks of equal luma), fitted separately.
2. Grid fit. Corners are clustered spatially; each cluster's grid is the (block, phase) that
   passes through the most corners beyond chance.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.regions import Box

# Block corners: each 2x2 patch around a corner spans at most this many luma levels (JPEG q85
# ringing next to a strong edge stays below it), and an arm is a step of at least _CORNER_STEP
# levels and 1.5x the range of the patches it separates.
_PATCH_RANGE = 30.0
_CORNER_STEP = 8.0
# Corners are clustered on a map of _TILE px tiles.
_TILE = 16
_MIN_CORNERS = 3
# Grids tested per image (each cluster of corners proposes one).
_MAX_GRIDS = 8


def _block_corners(planes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs) of pixel corners where 3-4 flat patches of different colour meet. Corner (y, x)
    lies between rows y-1 | y and columns x-1 | x, so a block corner has y ≡ phase_y, x ≡ phase_x.
    planes: uint8 HxW (luma alone, or R, G, B).

    Each of the four 2x2 patches around the corner (top-left pixels (y-2|y, x-2|x)) must be flat
    (range <= _PATCH_RANGE in every plane), and at least 3 of the 4 arms (the line segments between
    neighbouring patches) must be steps: a jump of the patch means of at least _CORNER_STEP and
    1.5x the range of the two patches in some plane (on a ramp, neighbouring 2x2 patches differ by
    about their own range). Whole-image work is done on uint8/uint16 with OpenCV; the exact test
    runs on the few candidates only.
    """
    s = 2
    h, w = planes[0].shape
    if h < 2 * s + 1 or w < 2 * s + 1:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    k2 = np.ones((s, s), np.uint8)
    spread = jv = jh = None
    sums = []
    for p in planes:
        # range and sum of the 2x2 patch whose top-left pixel is (y, x): HxW uint8 / uint16
        r = cv2.subtract(
            cv2.dilate(p, k2, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE),
            cv2.erode(p, k2, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE),
        )
        spread = r if spread is None else cv2.max(spread, r)
        total = cv2.boxFilter(p, cv2.CV_16U, (s, s), normalize=False, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
        sums.append(total)
        # |patch(y', x) - patch(y', x-2)| across a vertical line, and across a horizontal one
        a, b = cv2.absdiff(total[:, s:], total[:, :-s]), cv2.absdiff(total[s:], total[:-s])
        jv, jh = (a, b) if jv is None else (cv2.max(jv, a), cv2.max(jh, b))
    # Candidates: all four patches flat, and >= 3 arms with a jump of at least _CORNER_STEP.
    flat = (spread <= _PATCH_RANGE).astype(np.uint8)
    quads = np.array([[1, 0, 1], [0, 0, 0], [1, 0, 1]], np.uint8)  # patches at y-2|y, x-2|x
    flat_all = cv2.erode(flat, quads, anchor=(2, 2), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    big_v = np.zeros((h, w), np.uint8)
    big_v[:, s:] = jv >= s * s * _CORNER_STEP  # at (patch row, x): the line x-1 | x
    big_h = np.zeros((h, w), np.uint8)
    big_h[s:] = jh >= s * s * _CORNER_STEP  # at (y, patch column): the line y-1 | y
    arms = big_v + big_h  # down and right arms
    arms[s:] += big_v[:-s]  # up arm
    arms[:, s:] += big_h[:, :-s]  # left arm
    cand = (flat_all > 0) & (arms >= 3)
    cand[:s] = cand[h - s + 1 :] = False
    cand[:, :s] = cand[:, w - s + 1 :] = False
    ys, xs = np.nonzero(cand)
    # The exact test, with the ramp guard, on the candidates: float32 (n,) values per patch.
    offsets = [(-s, -s), (-s, 0), (0, -s), (0, 0)]  # TL, TR, BL, BR patches
    rng = [spread[ys + dy, xs + dx].astype(np.float32) for dy, dx in offsets]
    means = [[t[ys + dy, xs + dx].astype(np.float32) / (s * s) for dy, dx in offsets] for t in sums]
    arms = np.zeros(ys.size, np.uint8)
    for i, j in ((0, 1), (2, 3), (0, 2), (1, 3)):
        jump = np.max([np.abs(m[i] - m[j]) for m in means], axis=0)
        arms += jump >= np.maximum(_CORNER_STEP, 1.5 * np.maximum(rng[i], rng[j]))
    keep = arms >= 3
    return ys[keep], xs[keep]


def _fit_grid(ys: np.ndarray, xs: np.ndarray, *, min_block: int, max_block: int) -> tuple[int, int, int, int]:
    """The grid (block, phase_y, phase_x) through the most corners, and how many it passes through.

    Counts are taken in excess of chance (n / block² of n scattered corners land on any one
    residue pair), so stray corners do not favour small periods. Divisors of the true period pass
    through the same corners, so the largest period within 15% of the best excess wins; a
    multiple passes through only ~1/k² of them.
    """
    fits = []
    for b in range(min_block, max_block + 1):
        counts = np.bincount((ys % b) * b + xs % b, minlength=b * b)
        r = int(counts.argmax())
        fits.append((counts[r] - ys.size / (b * b), int(counts[r]), b, r // b, r % b))
    top = max(f[0] for f in fits)
    _, count, b, py, px = max((f for f in fits if f[0] >= 0.85 * top), key=lambda f: f[2])
    return b, py, px, count


def _cluster_fits(
    ys: np.ndarray, xs: np.ndarray, shape: tuple[int, int], *, min_block: int, max_block: int
) -> list[tuple[tuple[int, int, int], int, Box]]:
    """((block, phase_y, phase_x), corners on it, the Box around them) for each spatial cluster
    of corners. A corner (y, x) lies between rows y-1 | y, so the Box holds rows y0..y1-1 of the
    corners' own coordinates."""
    if ys.size < _MIN_CORNERS:
        return []
    h, w = shape
    tiles = np.zeros((-(-h // _TILE), -(-w // _TILE)), np.uint8)
    tiles[ys // _TILE, xs // _TILE] = 1
    # Corners of one mosaic lie at most a few blocks apart (flat blocks leave gaps).
    reach = 2 * (-(-max_block // _TILE)) + 1
    tiles = cv2.dilate(tiles, np.ones((reach, reach), np.uint8))
    n, labels = cv2.connectedComponents(tiles, connectivity=8)
    cluster = labels[ys // _TILE, xs // _TILE]
    fits = []
    for k in range(1, n):
        cy, cx = ys[cluster == k], xs[cluster == k]
        # Nearby mosaics with different grids share a cluster: fit, drop the corners on that
        # grid, and fit the rest again.
        for _ in range(3):
            if cy.size < _MIN_CORNERS:
                break
            b, py, px, count = _fit_grid(cy, cx, min_block=min_block, max_block=max_block)
            if count < _MIN_CORNERS:
                break
            off = ((cy - py) % b != 0) | ((cx - px) % b != 0)
            on_y, on_x = cy[~off], cx[~off]
            box = Box(int(on_y.min()), int(on_x.min()), int(on_y.max()) + 1, int(on_x.max()) + 1)
            fits.append(((b, py, px), count, box))
            cy, cx = cy[off], cx[off]
    return fits


def candidate_grids(image: np.ndarray, *, min_block: int, max_block: int) -> list[tuple[int, int, int, Box]]:
    """Distinct grids (block, phase_y, phase_x, extent of their corners), most corners first.
    Corners are sought in luma (robust to JPEG's chroma smear) and, separately, in RGB (blocks of
    equal luma); JPEG's chroma ringing adds stray RGB corners that must not sway the luma fit."""
    grids: dict[tuple[int, int, int], tuple[int, Box]] = {}
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    for planes in ([gray], list(cv2.split(image))):
        ys, xs = _block_corners(planes)
        for grid, count, box in _cluster_fits(ys, xs, gray.shape, min_block=min_block, max_block=max_block):
            if grid in grids:  # one grid seen in several clusters or both passes: union
                n, seen = grids[grid]
                box = Box(min(seen.y0, box.y0), min(seen.x0, box.x0), max(seen.y1, box.y1), max(seen.x1, box.x1))
                count += n
            grids[grid] = (count, box)
    ranked = sorted(grids.items(), key=lambda kv: -kv[1][0])[:_MAX_GRIDS]
    return [(b, py, px, box) for (b, py, px), (_, box) in ranked]
