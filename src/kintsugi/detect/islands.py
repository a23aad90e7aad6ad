"""Mosaics over fine texture: flat islands in grain of their own colour (detect_mosaic, step 4).

A mosaic over paper grain or screentone has no junctions: every block takes the texture's mean
colour, so neighbouring blocks differ by a level or two. It shows as an island of exactly
constant pixels inside grain of its own colour, with an outline on a grid (the small steps
between its blocks, where there are enough, fix the block size). Flat fills of drawn art are
bounded by ink or other fills, or are curved; those tests also keep JPEG's ringing around
lettering from passing for grain. Islands join across the rims between blocks, not across a rim
against ink, so a mosaic that ends at an ink line is still an island of its own.

After JPEG no block is exactly constant: where the exact pass finds nothing, nearly flat islands
(3x3 spread <= _LOSSY_FLAT) are taken when they are far smoother than their band and solid
(soft noise has smooth spots of its own), with the island's own outline as the region and a
grid estimated without JPEG's 8 px lines (reported, not used for the mask).
Limit: a frameless flat box of the paper's own colour looks exactly like a mosaic of big blocks
over grain.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect.cells import TEXTURE_MATCH, Find
from kintsugi.detect.flats import spread as flat_spread
from kintsugi.detect.grid import changes_inside, from_cells, grid_by_purity, grid_from_energy, luma, purity, to_cells

_K3 = np.ones((3, 3), np.uint8)
# Texture islands (step 4). A pixel is textured when its 3x3 neighbourhood spans more than
# _ISLAND_FLAT levels in some channel. Around an island, the band _BAND_NEAR.._BAND_FAR px out
# must be at least _BAND_TEXTURE textured where it has the island's colour (grain or tone
# everywhere, not one ink line), with at most _BAND_STRONG_SHARE of it hard edges (3x3 span >
# _BAND_STRONG: ink, lettering, and their JPEG ringing) and a median colour within TEXTURE_MATCH
# of the island's; its outline must fit a grid with a purity of at least _ISLAND_FIT, over at
# least _ISLAND_CELLS cells. These were set while looking at false regions on validation images
# too (so benchmarks/mosaic.py's false-alarm line is not an unseen test for them); on 300
# training images they give 0 false regions on PNG and on JPEG q85
# (scripts/islands_false_alarms.py).
_ISLAND_FLAT = 3
_BAND_NEAR, _BAND_FAR = 4, 16
_BAND_TEXTURE = 0.9
_BAND_STRONG, _BAND_STRONG_SHARE = 64, 0.1
_ISLAND_FIT = 0.85
_ISLAND_CELLS = 6
# Islands join across rims of at most this 3x3 spread: blocks over grain, not a block and ink.
_JOIN = 12
# Band and ring pixels further than _ALIKE from the island's colour (max over channels) are
# foreign (ink, other fills); at least _ALIKE_SHARE of the band must be alike, and at most
# _RING_FOREIGN of the 2 px ring around the island foreign.
_ALIKE = 32.0
_ALIKE_SHARE = 0.5
_RING = np.ones((5, 5), np.uint8)
_RING_FOREIGN = 0.5
# At most this share of the alike band ripples at under half its median (3x3 spread).
_UNEVEN = 0.25
# _textured_around's bound, below the band test's own (0.45) to leave room for the near zone.
_AROUND_TEXTURE = 0.3
# The second pass's island pixels: 3x3 spread at most this (JPEG's ripple inside a block).
_LOSSY_FLAT = 4
# Nearly flat islands (after JPEG): at least this many pixels, an inner ripple (mean 3x3 spread)
# at most this share of the band's median, and at least this share of their convex hull. Set on
# the lossy finds of 300 training images (PNG and q85; 226 false) and of the validation mosaic
# cases at 6, 8 and 12 px, q85 (25 true, 101 false): 17 true kept, none false.
_LOSSY_MIN_AREA = 800
_LOSSY_SMOOTHER = 0.2
_LOSSY_SOLIDITY = 0.75


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
    they are bounded by ink and other fills, not by texture, or their outline is curved.
    Islands are sought exactly flat first (a lossless mosaic), then nearly flat (JPEG leaves a
    level or few of ringing inside each block) where the first pass found none."""
    spread = flat_spread(image)
    finds = _islands(image, spread, level=0, min_block=min_block, max_block=max_block)
    taken = np.zeros(image.shape[:2], bool)
    for f in finds:
        taken |= f.mask
    for f in _islands(image, spread, level=_LOSSY_FLAT, min_block=min_block, max_block=max_block):
        if not (f.mask & taken).any():
            finds.append(f)
    return finds


def _islands(image: np.ndarray, spread: np.ndarray, *, level: int, min_block: int, max_block: int) -> list[Find]:
    """texture_islands with island pixels those whose 3x3 window spans at most ``level`` levels
    (``spread``: uint8 HxW, the largest 3x3 range over the channels)."""
    h, w = image.shape[:2]
    textured = spread > _ISLAND_FLAT  # bool HxW; grain and tone leave few flat pixels, an ink line many
    # Islands: the pixels whose 3x3 window is flat, grown back by one pixel to the block edges
    # (a block's interior is flat; grain next to a block only rarely is, so the outline stays on
    # the grid). Blocks of one mosaic join across their 1 px rims, where those step by a few
    # levels (blocks over grain), not across a rim against ink or another fill.
    flat_map = (spread <= level).astype(np.uint8)
    island_map = cv2.dilate(flat_map, _K3) & (spread <= _JOIN).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(island_map, connectivity=4)
    big = (stats[:, 4] >= max(64, 4 * min_block**2)) & (stats[:, 2] >= 2 * min_block) & (stats[:, 3] >= 2 * min_block)
    big[0] = False  # label 0: the pixels that are not flat
    big &= _textured_around(textured, stats) >= _AROUND_TEXTURE
    if level > 0:  # growing a component by its 1 px rim at most doubles a compact one
        big &= stats[:, 4] >= _LOSSY_MIN_AREA // 2
    finds = []
    pad = max(max_block, _BAND_FAR + 1)
    for k in np.nonzero(big)[0]:
        x, y, bw, bh, _ = stats[k]
        y0, x0 = max(y - pad, 0), max(x - pad, 0)
        y1, x1 = min(y + bh + pad, h), min(x + bw + pad, w)
        flat = (labels[y0:y1, x0:x1] == k) & (flat_map[y0:y1, x0:x1] > 0)
        island = cv2.dilate(flat.view(np.uint8), _K3).astype(bool)
        near = cv2.dilate(island.astype(np.uint8), np.ones((2 * _BAND_NEAR + 1,) * 2, np.uint8))
        band = cv2.dilate(island.astype(np.uint8), np.ones((2 * _BAND_FAR + 1,) * 2, np.uint8)).astype(bool)
        band &= ~near.astype(bool)
        if np.count_nonzero(band) < 16:
            continue
        band_ripple = spread[y0:y1, x0:x1][band]
        if (band_ripple > _BAND_STRONG).mean() > _BAND_STRONG_SHARE:
            continue  # ink lines, lettering or hard edges, and their JPEG ringing: not grain
        crop = image[y0:y1, x0:x1]
        colour = crop[island].astype(np.float32).mean(axis=0)
        band_pixels = crop[band].astype(np.float32)  # (n, 3)
        # Where the band has the island's colour it is grain or tone everywhere: a mosaic may
        # end at an ink line, but a flat fill continues as flat paint. Most of the band has its
        # colour, and so does most of the ring the island touches (a panel framed in ink is
        # surrounded by ink).
        alike = np.abs(band_pixels - colour).max(axis=-1) <= _ALIKE  # (n,)
        if np.count_nonzero(alike) < _ALIKE_SHARE * alike.size:
            continue
        if textured[y0:y1, x0:x1][band][alike].mean() < _BAND_TEXTURE:
            continue
        # Grain and tone are even; JPEG's ringing on flat paint beside edges is strong at the
        # edges and fades within a few pixels, leaving much of the band at under half its median.
        ripple = band_ripple[alike]
        if (ripple < 0.5 * np.median(ripple)).mean() > _UNEVEN:
            continue
        ring = cv2.dilate(island.view(np.uint8), _RING).astype(bool) & ~island
        if np.mean(np.abs(crop[ring].astype(np.float32) - colour).max(axis=-1) > _ALIKE) > _RING_FOREIGN:
            continue
        if np.abs(colour - np.median(band_pixels, axis=0)).max() > TEXTURE_MATCH:
            continue
        if level > 0:
            finds.extend(
                _lossy_find(image, spread, island, band=band, origin=(y0, x0), min_block=min_block, max_block=max_block)
            )
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


def _textured_around(textured: np.ndarray, stats: np.ndarray) -> np.ndarray:
    """float (n,): per component (``stats`` of connectedComponentsWithStats), the textured share
    of its bounding box grown by _BAND_FAR px, less its own pixels: a cheap bound that drops the
    many flat fills a page has (their surroundings are mostly flat too) before any per-island
    work. The band test needs at least _ALIKE_SHARE * _BAND_TEXTURE of the band textured."""
    h, w = textured.shape
    total = cv2.integral(textured.view(np.uint8))  # (h+1, w+1)
    x, y, bw, bh, area = (stats[:, i].astype(np.int64) for i in range(5))
    # Clipped both ways: an empty label (0, when every pixel is in a component) has a bogus box.
    x0, y0 = np.clip(x - _BAND_FAR, 0, w), np.clip(y - _BAND_FAR, 0, h)
    x1, y1 = np.clip(x + bw + _BAND_FAR, x0, w), np.clip(y + bh + _BAND_FAR, y0, h)
    count = total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0]
    return count / np.maximum((y1 - y0) * (x1 - x0) - area, 1)


def _lossy_find(
    image: np.ndarray,
    spread: np.ndarray,
    island: np.ndarray,
    *,
    band: np.ndarray,
    origin: tuple[int, int],
    min_block: int,
    max_block: int,
) -> list[Find]:
    """The find of a nearly flat island (bool over the crop at ``origin``; ``band`` the texture
    band around it) after lossy compression, or none. Soft noise has smooth spots of its own, so
    the island must be far smoother than its band and solid, as blocks are; smooth spots are
    blotchy and ripple at about half their band's level. JPEG's own 8 px grid outweighs the level
    or two that blocks over grain step by, so the grid is estimated with the lines of JPEG's grid
    left out, and reported only; the island's own outline (within a pixel of the blocks') is the
    region."""
    y0, x0 = origin
    h, w = island.shape
    area = np.count_nonzero(island)
    if area < _LOSSY_MIN_AREA:
        return []
    local = spread[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
    inner = cv2.erode(island.view(np.uint8), _K3).astype(bool)
    if local[inner].mean() > _LOSSY_SMOOTHER * max(float(np.median(local[band])), 1.0):
        return []
    contours, _ = cv2.findContours(island.view(np.uint8).copy(), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.contourArea(cv2.convexHull(np.concatenate(contours)))
    if area < _LOSSY_SOLIDITY * hull:
        return []
    crop_luma = luma(image[y0 : y0 + h, x0 : x0 + w])
    ex = np.abs(np.diff(crop_luma, axis=1)) * (island[:, 1:] & island[:, :-1])
    ey = np.abs(np.diff(crop_luma, axis=0)) * (island[1:] & island[:-1])
    ex[:, (x0 + np.arange(ex.shape[1]) + 1) % 8 == 0] = 0  # JPEG's block edges
    ey[(y0 + np.arange(ey.shape[0]) + 1) % 8 == 0] = 0
    g = grid_from_energy(ex, ey, min_block=min_block, max_block=max_block)
    full = np.zeros(image.shape[:2], bool)
    full[y0 : y0 + h, x0 : x0 + w] = cv2.morphologyEx(island.view(np.uint8), cv2.MORPH_OPEN, _K3) > 0
    phase = (int((g.phase_y + y0) % g.block), int((g.phase_x + x0) % g.block))
    return [Find(mask=full, block=g.block, phase=phase, junctions=0)]


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
