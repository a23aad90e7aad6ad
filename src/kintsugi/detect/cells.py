"""The cell test on one grid, and the mosaic regions it supports (detect_mosaic, step 3).

A mosaic block is constant inside and a mosaic edge is a step sitting exactly on the grid line
(smooth shading changes as much inside a cell as across its side). A region is built from the
cells around grid junctions (3-4 steps meeting at a grid vertex), closed and hole-filled. Shape
prior: evidence a few cells apart is one mosaic (a mosaic over a character shows junctions along
its lines, flat fills between them), and mosaics are drawn as rectangles or blobs, so the cells
of the evidence's bounding box near its convex hull join it if a mosaic could have made them
(constant, and stepping to a neighbour or equal to one: flat paint, not smooth shading); so do
flat blocks surrounded by texture of their own mean colour (pixelated paper grain or
screentone). A region then grows along flat cells with grid-line steps on two opposite sides,
4-connected to it: a mosaic over a single line or edge is a row of such blocks, without a
junction. Flat paint beyond that extent is left out: nothing distinguishes it from mosaic
blocks over flat paint. A region needs several junctions on several grid lines each way.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kintsugi.detect.grid import to_cells

# Cell test: ripple inside a constant cell — mean |difference| between neighbouring pixels, in
# luma or half of it in chroma — at most this...
_MAX_ROUGHNESS = 2.0
# ...or this fraction of the largest step on its sides (JPEG ringing)...
_RINGING = 0.1
# ...and the smallest step between two constant cells (mean over RGB, averaged along the cell
# side, so JPEG noise averages out) that counts as a mosaic edge.
_CELL_STEP = 4.0
# A region needs this many grid junctions, on at least this many distinct grid lines each way;
# a cluster of pixel corners needs _MIN_CORNERS on one grid to propose it (a few big blocks
# show few corners; the cell test decides).
_MIN_JUNCTIONS = 4
_MIN_LINES_EACH_WAY = 2
# Pixelated texture: a flat block's colour is within this of the texture around it (per channel).
TEXTURE_MATCH = 8.0
# Shape prior: evidence on one grid within this many cells of each other is one mosaic (a mosaic
# over a character shows junctions along its lines, with flat fills between them)...
_GROUP_CELLS = 3
# ...and the region is the part of the evidence's bounding box within this many cells of its
# convex hull (censors are rectangles or blobs), restricted to cells a mosaic could have made:
# constant, and either stepping to a neighbour or equal to one within _EQUAL levels (flat paint;
# smooth shading is constant inside a small cell but differs from the next cell).
_HULL_REACH = 1
_EQUAL = 2.0
# Cells added by the shape prior ripple at most _FLOOR_FACTOR x the evidence's own cells (90th
# percentile), and never need to be flatter than _FLOOR_MIN (mean |step| between neighbours).
_FLOOR_FACTOR, _FLOOR_MIN = 1.5, 0.3
# Pixelated texture: the texture around a flat group ripples at least this many times the floor.
_TEXTURE_FACTOR = 2.0
# ...and its flat cells are not all of one colour (within this many levels): that is paint.
_UNIFORM = 0.5


@dataclass
class Cells:
    """Per-cell results for one grid; shapes (ny, nx), (ny, nx-1) and (ny-1, nx)."""

    constant: np.ndarray  # bool, flat inside
    rough: np.ndarray  # float32, the ripple inside each cell's core (what `constant` thresholds)
    means: np.ndarray  # float32 (ny, nx, 3), mean colour of each cell's core
    step_x: np.ndarray  # bool, a mosaic edge between cell (i, j) and (i, j+1)
    step_y: np.ndarray  # bool, a mosaic edge between cell (i, j) and (i+1, j)


def cell_test(rgb: np.ndarray, block: int, phase: tuple[int, int]) -> Cells:
    """Which cells of the grid (block, phase) over rgb (RGB uint8 HxWx3) are constant, and which
    neighbouring constant cells are separated by a mosaic edge."""
    b = block
    m = 1 if b >= 6 else 0  # skip a 1 px rim: blur and chroma subsampling soften block edges
    core = slice(m, b - m)
    cc = to_cells(rgb.astype(np.float32), b, phase)  # (ny, b, nx, b, 3)
    # Ripple inside the core: mean |difference| between neighbours, in luma and in chroma (a
    # colour ramp may be flat in luma). JPEG halves the chroma resolution and smears it across
    # block edges, so chroma ripple counts half. (ny, nx)
    ycc = to_cells(cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32), b, phase)
    dx = np.abs(np.diff(ycc, axis=3))[:, core, :, m : b - 1 - m].mean(axis=(1, 3))  # (ny, nx, 3)
    dy = np.abs(np.diff(ycc, axis=1))[:, m : b - 1 - m, :, core].mean(axis=(1, 3))
    ripple = (dx + dy) / 2
    rough = np.maximum(ripple[..., 0], 0.5 * ripple[..., 1:].mean(axis=-1))
    means = cc[:, core, :, core].mean(axis=(1, 3))  # (ny, nx, 3)
    i0, i1 = (b - 2, 1) if b >= 4 else (0, b - 1)
    # Step across a grid line from 2 px before it to 1 px after, averaged along the cell side:
    # a step softened over ~3 px still counts in full. (ny, nx-1) and (ny-1, nx).
    sx = np.abs((cc[:, core, 1:, i1] - cc[:, core, :-1, i0]).mean(axis=1)).mean(axis=-1)
    sy = np.abs((cc[1:, i1, :, core] - cc[:-1, i0, :, core]).mean(axis=2)).mean(axis=-1)
    cx = np.abs(means[:, 1:] - means[:, :-1]).mean(axis=-1)
    cy = np.abs(means[1:] - means[:-1]).mean(axis=-1)
    # JPEG rings inside a block in proportion to the steps around it, so a cell next to strong
    # steps may ripple more and still be a constant block.
    big = np.zeros(rough.shape, np.float32)
    big[:, 1:] = np.maximum(big[:, 1:], sx)
    big[:, :-1] = np.maximum(big[:, :-1], sx)
    big[1:] = np.maximum(big[1:], sy)
    big[:-1] = np.maximum(big[:-1], sy)
    constant = rough <= np.maximum(_MAX_ROUGHNESS, _RINGING * big)
    # A mosaic edge: a step between two constant cells that carries most of the contrast between
    # their cores and dwarfs the RGB ripple inside them. A ramp steps only 3/b of the core
    # contrast across the line, and about 3x its ripple.
    ripple_rgb = (
        np.abs(np.diff(cc, axis=3))[:, core, :, m : b - 1 - m].mean(axis=(1, 3, 4))
        + np.abs(np.diff(cc, axis=1))[:, m : b - 1 - m, :, core].mean(axis=(1, 3, 4))
    ) / 2
    share = 0.7 if b >= 6 else 0.5
    rx = np.maximum(ripple_rgb[:, 1:], ripple_rgb[:, :-1])
    ry = np.maximum(ripple_rgb[1:], ripple_rgb[:-1])
    step_x = constant[:, 1:] & constant[:, :-1] & (sx >= _CELL_STEP) & (sx >= share * cx) & (sx >= 4 * rx)
    step_y = constant[1:] & constant[:-1] & (sy >= _CELL_STEP) & (sy >= share * cy) & (sy >= 4 * ry)
    return Cells(constant=constant, rough=rough.astype(np.float32), means=means, step_x=step_x, step_y=step_y)


def _fill_holes(cells: np.ndarray) -> np.ndarray:
    """bool (ny, nx) with enclosed background filled (flood fill from the outside)."""
    h, w = cells.shape
    canvas = np.zeros((h + 2, w + 2), np.uint8)
    canvas[1:-1, 1:-1] = cells
    cv2.floodFill(canvas, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 2)
    return canvas[1:-1, 1:-1] != 2


def regions_on_grid(cells: Cells, block: int) -> list[tuple[np.ndarray, int]]:
    """Mosaic regions on one grid as (cell map bool (ny, nx), number of junctions).

    A junction is a grid vertex where at least 3 of its 4 arms are steps. Evidence cells touch
    a junction and have steps on >= 2 of their own sides (a flat cell outside the mosaic that only
    borders it has 1); the evidence is closed and hole-filled, then constant cells inside its
    convex hull and pixelated texture next to it are added.
    """
    sx, sy = cells.step_x, cells.step_y  # (ny, nx-1), (ny-1, nx)
    # Blocks under 6 px are about the size of the detail of drawn art (stripes, small UI tiles):
    # they need more evidence.
    need = _MIN_JUNCTIONS if block >= 6 else 3 * _MIN_JUNCTIONS
    arms = sx[:-1].astype(np.uint8) + sx[1:] + sy[:, :-1] + sy[:, 1:]  # (ny-1, nx-1) vertices
    junction = arms >= 3
    near = np.zeros(cells.constant.shape, bool)  # the 4 cells around each junction
    near[:-1, :-1] |= junction
    near[:-1, 1:] |= junction
    near[1:, :-1] |= junction
    near[1:, 1:] |= junction
    sides = np.zeros(cells.constant.shape, np.uint8)
    sides[:, 1:] += sx
    sides[:, :-1] += sx
    sides[1:] += sy
    sides[:-1] += sy
    evidence = (near & (sides >= 2)).astype(np.uint8)
    # Close gaps of one cell (pad first: OpenCV's erosion treats the outside as set).
    padded = cv2.morphologyEx(np.pad(evidence, 2), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    closed = padded[2:-2, 2:-2] | evidence
    n, labels = cv2.connectedComponents(closed, connectivity=8)
    strong = np.zeros(closed.shape, np.uint8)  # components that qualify on their own
    for k in range(1, n):
        comp = labels == k
        inside = (comp[:-1, :-1] | comp[:-1, 1:] | comp[1:, :-1] | comp[1:, 1:]) & junction
        lines = min(np.count_nonzero(inside.any(axis=0)), np.count_nonzero(inside.any(axis=1)))
        if np.count_nonzero(inside) >= need and lines >= _MIN_LINES_EACH_WAY:
            strong |= comp
    # Weaker evidence near a qualifying component joins it; on its own it proposes nothing.
    groups = cv2.dilate(closed, np.ones((2 * _GROUP_CELLS + 1,) * 2, np.uint8))
    n, labels = cv2.connectedComponents(groups, connectivity=8)
    out = []
    for k in range(1, n):
        if not strong[labels == k].any():
            continue
        comp = (labels == k) & (closed > 0)
        count = int(((comp[:-1, :-1] | comp[:-1, 1:] | comp[1:, :-1] | comp[1:, 1:]) & junction).sum())
        # Cells with steps on two sides near the evidence extend its extent (a mosaic edge
        # over detail often shows steps but no junction).
        seed = comp | ((labels == k) & (sides >= 2))
        region = _fill_holes(seed)
        ys, xs = np.nonzero(seed)
        box = np.zeros(comp.shape, bool)
        box[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = True
        hull = _hull(seed)
        reach = np.ones((2 * _HULL_REACH + 1,) * 2, np.uint8)
        near_hull = box & cv2.dilate(hull.astype(np.uint8), reach).astype(bool)
        floor = _ripple_floor(cells.rough[comp & cells.constant])
        flat = cells.constant & (cells.rough <= floor)
        # Stepping cells may lie a little outside the hull (a mosaic's edge over detail); flat
        # paint only inside it: past the hull it is as likely art beside the mosaic as blocks
        # over paint, and such blocks changed nothing anyway.
        region |= flat & ((near_hull & (sides > 0)) | (box & hull & _equal_neighbour(cells, _EQUAL)))
        region = _along_steps(region, flat & _opposite_steps(cells))
        region = _add_pixelated_texture(region, cells, floor=floor)
        out.append((region, count))
    return out


def _opposite_steps(cells: Cells) -> np.ndarray:
    """bool (ny, nx): cells with mosaic edges on two opposite sides (left and right, or top and
    bottom): a block in a row of blocks over a line or an edge."""
    sx, sy = cells.step_x, cells.step_y
    left = np.zeros(cells.constant.shape, bool)
    right, top, bottom = left.copy(), left.copy(), left.copy()
    left[:, 1:], right[:, :-1] = sx, sx
    top[1:], bottom[:-1] = sy, sy
    return (left & right) | (top & bottom)


def _along_steps(region: np.ndarray, stepping: np.ndarray) -> np.ndarray:
    """region (bool (ny, nx)) grown through the ``stepping`` cells 4-connected to it
    (_opposite_steps). A mosaic over a single line or edge is a row of such blocks with no
    junction along it (each block steps to the art on both sides); it continues the region's own
    grid, which drawn art lines up with only by chance."""
    both = (region | stepping).astype(np.uint8)
    n, labels = cv2.connectedComponents(both, connectivity=4)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[region])] = True
    keep[0] = False
    return keep[labels]


def _ripple_floor(evidence: np.ndarray) -> float:
    """The most ripple a cell added by the shape prior may show: about that of the evidence's own
    constant cells (float (n,)). On a lossless image mosaic blocks are exactly flat and smooth
    shading ripples by a level per pixel, so the floor stays near 0; after JPEG the blocks ripple
    as much as any flat paint and the floor rises with them (capped by the cell test's own)."""
    if evidence.size == 0:
        return _MAX_ROUGHNESS
    return float(min(_MAX_ROUGHNESS, max(_FLOOR_MIN, _FLOOR_FACTOR * np.percentile(evidence, 90))))


def _equal_neighbour(cells: Cells, tol: float) -> np.ndarray:
    """bool (ny, nx): constant cells whose colour equals a 4-neighbouring constant cell's."""
    c, m = cells.constant, cells.means
    ex = c[:, 1:] & c[:, :-1] & (np.abs(m[:, 1:] - m[:, :-1]).max(axis=-1) <= tol)
    ey = c[1:] & c[:-1] & (np.abs(m[1:] - m[:-1]).max(axis=-1) <= tol)
    out = np.zeros(c.shape, bool)
    out[:, 1:] |= ex
    out[:, :-1] |= ex
    out[1:] |= ey
    out[:-1] |= ey
    return out


def _hull(cells: np.ndarray) -> np.ndarray:
    """bool (ny, nx): the cells inside the convex hull of the True cells (centres)."""
    ys, xs = np.nonzero(cells)
    pts = np.stack([xs, ys], axis=1).astype(np.int32)
    out = np.zeros(cells.shape, np.uint8)
    cv2.fillConvexPoly(out, cv2.convexHull(pts), 1)
    return out.astype(bool)


_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)


def _add_pixelated_texture(region: np.ndarray, cells: Cells, *, floor: float) -> np.ndarray:
    """Add flat blocks next to the region that are pixelated texture (paper grain, screentone,
    hatching): a group of constant cells that is surrounded by textured cells of the same mean
    colour. A flat fill next to a mosaic is bounded by outlines of another colour instead, and is
    left out. region: bool (ny, nx)."""
    # Flat: as flat as the mosaic's own blocks (`floor`); textured: clearly rougher. After JPEG,
    # grain and fine screens come out nearly flat too, so `constant` alone would join them.
    flat = cells.constant & (cells.rough <= floor)
    rougher = ~cells.constant | (cells.rough > _TEXTURE_FACTOR * max(floor, _FLOOR_MIN))
    free = (flat & ~region).astype(np.uint8)
    n, labels = cv2.connectedComponents(free, connectivity=4)
    touching = np.unique(labels[cv2.dilate(region.astype(np.uint8), _CROSS).astype(bool) & (free > 0)])
    out = region.copy()
    limit = 2 * np.count_nonzero(region)
    for k in touching:
        comp = labels == k
        if np.count_nonzero(comp) > limit or _uniform(cells.means[comp]):
            continue
        ring = cv2.dilate(comp.astype(np.uint8), _CROSS).astype(bool) & ~comp & ~region
        if not ring.any():
            out |= comp
            continue
        textured = ring & rougher
        if np.count_nonzero(textured) < 0.6 * np.count_nonzero(ring):
            continue
        # Textured ring cells whose mean colour matches a neighbouring flat cell of the group.
        ry, rx = np.nonzero(textured)
        close = np.zeros(ry.size, bool)
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            qy, qx = ry + dy, rx + dx
            ok = (qy >= 0) & (qy < comp.shape[0]) & (qx >= 0) & (qx < comp.shape[1])
            qy, qx = np.where(ok, qy, 0), np.where(ok, qx, 0)
            d = np.abs(cells.means[ry, rx] - cells.means[qy, qx]).max(axis=-1)
            close |= ok & comp[qy, qx] & (d <= TEXTURE_MATCH)
        if np.count_nonzero(close) >= 0.6 * ry.size:
            out |= comp
    return out


def _uniform(means: np.ndarray) -> bool:
    """True when the cells' mean colours (float (n, 3)) are all one colour: flat paint. Blocks
    over grain or a screen each average a different patch of it and differ by a level or so."""
    return bool(np.abs(means - np.median(means, axis=0)).max(initial=0.0) < _UNIFORM)


@dataclass
class Find:
    mask: np.ndarray  # bool HxW
    block: int
    phase: tuple[int, int]
    junctions: int
