"""Mosaics over fine texture: flat islands in grain of their own colour (detect_mosaic, step 4).

A mosaic over paper grain or screentone has no junctions: every block takes the texture's mean
colour, so neighbouring blocks differ by a level or two. It shows as an island of exactly
constant pixels inside grain of its own colour, with an outline on a grid (the small steps
between its blocks, where there are enough, fix the block size). Flat fills of drawn art are
bounded by ink or other fills, or are curved; those tests also keep JPEG's ringing around
lettering from passing for grain. Limits: after JPEG the grain next to a block is rarely
flat-free enough, so this step seldom fires on JPEGs; and a frameless flat box of the paper's
own colour looks exactly like a mosaic of big blocks over grain.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect.cells import TEXTURE_MATCH, Find
from kintsugi.detect.grid import changes_inside, from_cells, grid_by_purity, grid_from_energy, purity, to_cells

_K3 = np.ones((3, 3), np.uint8)
# Texture islands (step 4). A pixel is textured when its 3x3 neighbourhood spans more than
# _ISLAND_FLAT levels in some channel. Around an island, the band _BAND_NEAR.._BAND_FAR px out
# must be at least _BAND_TEXTURE textured (grain or tone everywhere, not one ink line), with at
# most _BAND_STRONG_SHARE of it hard edges (3x3 span > _BAND_STRONG: ink, lettering, and their
# JPEG ringing) and a median colour within TEXTURE_MATCH of the island's; its outline must fit a
# grid with a purity of at least _ISLAND_FIT, over at least _ISLAND_CELLS cells. These were set
# while looking at false regions on validation images too (so benchmarks/mosaic.py's false-alarm
# line is not an unseen test for them); on 300 training images they give 0 false regions on PNG
# and 1 on JPEG q85 (scripts/islands_false_alarms.py).
_ISLAND_FLAT = 3
_BAND_NEAR, _BAND_FAR = 4, 16
_BAND_TEXTURE = 0.9
_BAND_STRONG, _BAND_STRONG_SHARE = 64, 0.1
_ISLAND_FIT = 0.85
_ISLAND_CELLS = 6


def _island_grid(
    crop: np.ndarray, island: np.ndarray, *, min_block: int, max_block: int
) -> tuple[float, int, int, int] | None:
    """(purity, block, phase_y, phase_x) of an island (bool (h, w)) in crop (RGB uint8). The small
    steps between its blocks (grain averages to slightly different colours) sit on the grid
    lines and fix the block size where the outline alone cannot (a rectangle fits many grids);
    without enough of them the outline decides."""
    dx, dy = changes_inside(crop, island)
    if np.count_nonzero(dx) + np.count_nonzero(dy) >= 4 * max_block:
        g = grid_from_energy(dx.astype(np.float32), dy.astype(np.float32), min_block=min_block, max_block=max_block)
        if g.confidence >= 0.5:
            return float(purity(island, g.block)[g.phase_y, g.phase_x]), g.block, g.phase_y, g.phase_x
    return grid_by_purity(island, min_block=min_block, max_block=max_block)


def texture_islands(image: np.ndarray, *, min_block: int, max_block: int) -> list[Find]:
    """Mosaics over fine texture (paper grain, screentone): flat islands inside texture of their
    own colour, whose outline runs on a grid. Flat fills of drawn art fail at least one test:
    they are bounded by ink and other fills, not by texture, or their outline is curved."""
    h, w = image.shape[:2]
    spread = None
    for p in cv2.split(image):
        r = cv2.subtract(cv2.dilate(p, _K3), cv2.erode(p, _K3))
        spread = r if spread is None else cv2.max(spread, r)
    textured = spread > _ISLAND_FLAT  # bool HxW; grain and tone leave few flat pixels, an ink line many
    # Islands: the pixels whose 3x3 window is exactly constant, grown back by one pixel to the
    # block edges (a block's interior is exactly constant; grain next to a block only rarely is,
    # so the outline stays on the grid). Blocks of one mosaic join across their 1 px rims.
    island_map = cv2.dilate((spread == 0).astype(np.uint8), _K3)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(island_map, connectivity=4)
    big = (stats[:, 4] >= max(64, 4 * min_block**2)) & (stats[:, 2] >= 2 * min_block) & (stats[:, 3] >= 2 * min_block)
    big[0] = False  # label 0: the pixels that are not flat
    finds = []
    pad = max(max_block, _BAND_FAR + 1)
    for k in np.nonzero(big)[0]:
        x, y, bw, bh, _ = stats[k]
        y0, x0 = max(y - pad, 0), max(x - pad, 0)
        y1, x1 = min(y + bh + pad, h), min(x + bw + pad, w)
        island = labels[y0:y1, x0:x1] == k
        near = cv2.dilate(island.astype(np.uint8), np.ones((2 * _BAND_NEAR + 1,) * 2, np.uint8))
        band = cv2.dilate(island.astype(np.uint8), np.ones((2 * _BAND_FAR + 1,) * 2, np.uint8)).astype(bool)
        band &= ~near.astype(bool)
        if np.count_nonzero(band) < 16 or textured[y0:y1, x0:x1][band].mean() < _BAND_TEXTURE:
            continue
        if (spread[y0:y1, x0:x1][band] > _BAND_STRONG).mean() > _BAND_STRONG_SHARE:
            continue  # ink lines, lettering or hard edges, and their JPEG ringing: not grain
        crop = image[y0:y1, x0:x1].astype(np.float32)
        if np.abs(crop[island].mean(axis=0) - np.median(crop[band], axis=0)).max() > TEXTURE_MATCH:
            continue
        fit = _island_grid(image[y0:y1, x0:x1], island, min_block=min_block, max_block=max_block)
        if fit is None or fit[0] < _ISLAND_FIT:
            continue
        _, b, py, px = fit
        cells = to_cells(island.astype(np.float32), b, (py, px)).mean(axis=(1, 3)) >= 0.5
        if np.count_nonzero(cells) < _ISLAND_CELLS or min(cells.any(0).sum(), cells.any(1).sum()) < 2:
            continue
        full = np.zeros((h, w), bool)
        full[y0:y1, x0:x1] = from_cells(cells, (y1 - y0, x1 - x0), b, (py, px))
        finds.append(Find(mask=full, block=b, phase=(int((py + y0) % b), int((px + x0) % b)), junctions=0))
    return finds


def merge_islands(finds: list[Find], islands: list[Find]) -> list[Find]:
    """An island on the grid of a find it touches joins it; one that overlaps a find on another
    grid is dropped (junctions are the stronger evidence); the rest stand alone."""
    out = list(finds)
    for isl in islands:
        grown = cv2.dilate(isl.mask.astype(np.uint8), _K3).astype(bool)
        same = [i for i, f in enumerate(out) if (f.block, f.phase) == (isl.block, isl.phase) and (f.mask & grown).any()]
        if same:
            f = out[same[0]]
            out[same[0]] = Find(mask=f.mask | isl.mask, block=f.block, phase=f.phase, junctions=f.junctions)
        elif not any((f.mask & isl.mask).any() for f in out):
            out.append(isl)
    return out
