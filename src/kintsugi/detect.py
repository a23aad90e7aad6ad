"""Mosaic detection without a model: a mosaic is a grid of constant blocks with a regular period.

Grid convention (shared with kintsugi.training.synth_mosaic): square blocks of side `block`
whose first rows / columns lie at y ≡ phase_y and x ≡ phase_x (mod block), 0 <= phase < block.

How detect_mosaic works
1. Block corners. A pixel corner where 3 or 4 flat 2x2 patches of different colour meet is
   what a mosaic is made of: every block corner inside it, visible through JPEG. Flat-colour art
   has long straight edges and L-shaped corners (2 "arms"), rarely 3- or 4-way meetings.
   Searched in luma (survives JPEG) and in RGB (blocks of equal luma), fitted separately.
2. Grid fit. Corners are clustered spatially; each cluster's grid is the (block, phase) that
   passes through the most corners beyond chance.
3. Cell test, around each grid's corners. A mosaic block is constant inside and a mosaic edge
   is a step sitting exactly on the grid line (smooth shading changes as much inside a cell as
   across its side). A region is built from the cells around grid junctions (3-4 steps meeting
   at a grid vertex), closed and hole-filled. Shape prior: evidence a few cells apart is one
   mosaic (a mosaic over a character shows junctions along its lines, flat fills between them),
   and mosaics are drawn as rectangles or blobs, so the cells of the evidence's bounding box
   near its convex hull join it if a mosaic could have made them (constant, and stepping to a
   neighbour or equal to one: flat paint, not smooth shading); so do flat blocks surrounded by
   texture of their own mean colour (pixelated paper grain or screentone). Flat paint beyond
   that extent is left out: nothing distinguishes it from mosaic blocks over flat paint. A
   region needs several junctions on several grid lines each way.
4. Texture islands. A mosaic over paper grain or screentone has no junctions: every block takes
   the texture's mean colour, so neighbouring blocks differ by a level or two. It shows as an
   island of exactly constant pixels inside grain of its own colour, with an outline on a grid
   (the small steps between its blocks, where there are enough, fix the block size). Flat fills
   of drawn art are bounded by ink or other fills, or are curved; those tests also keep JPEG's
   ringing around lettering from passing for grain. Limits: after JPEG the grain next to a block
   is rarely flat-free enough, so this step seldom fires on JPEGs; and a frameless flat box of
   the paper's own colour looks exactly like a mosaic of big blocks over grain.

estimate_grid is for a known mosaic area (e.g. a painted mask): it folds the area's step energy
modulo every period and takes the period that puts it on the fewest grid lines. On a losslessly
stored mosaic it first tries the exact pixel changes inside the area, which all lie on grid lines
however small they are (a mosaic over grain steps by a level or two).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

# Step energy (estimate_grid): luma steps below this are JPEG ringing or paper noise.
_EDGE_FLOOR = 6.0
# Block corners: each 2x2 patch around a corner spans at most this many luma levels (JPEG q85
# ringing next to a strong edge stays below it), and an arm is a step of at least _CORNER_STEP
# levels and 1.5x the range of the patches it separates.
_PATCH_RANGE = 30.0
_CORNER_STEP = 8.0
# Corners are clustered on a map of _TILE px tiles.
_TILE = 16
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
_MIN_CORNERS = 3
_MIN_LINES_EACH_WAY = 2
# Pixelated texture: a flat block's colour is within this of the texture around it (per channel).
_TEXTURE_MATCH = 8.0
# Cells are tested this many blocks around a grid's corners.
_CROP_BLOCKS = 6
# Grids tested per image (each cluster of corners proposes one).
_MAX_GRIDS = 8
# Shape prior: evidence on one grid within this many cells of each other is one mosaic (a mosaic
# over a character shows junctions along its lines, with flat fills between them)...
_GROUP_CELLS = 3
# ...and the region is the part of the evidence's bounding box within this many cells of its
# convex hull (censors are rectangles or blobs), restricted to cells a mosaic could have made:
# constant, and either stepping to a neighbour or equal to one within _EQUAL levels (flat paint;
# smooth shading is constant inside a small cell but differs from the next cell).
_HULL_REACH = 2
_EQUAL = 2.0
# Texture islands (step 4). A pixel is textured when its 3x3 neighbourhood spans more than
# _ISLAND_FLAT levels in some channel. Around an island, the band _BAND_NEAR.._BAND_FAR px out
# must be at least _BAND_TEXTURE textured (grain or tone everywhere, not one ink line), with at
# most _BAND_STRONG_SHARE of it hard edges (3x3 span > _BAND_STRONG: ink, lettering, and their
# JPEG ringing) and a median colour within _TEXTURE_MATCH of the island's; its outline must fit a
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
# estimate_grid on a lossless mosaic: at least this share of the pixel changes inside the mask
# must lie on one grid.
_EXACT_SHARE = 0.95


@dataclass(frozen=True)
class Grid:
    """Block size and grid phase (see the module docstring), with a confidence in [0, 1]."""

    block: int
    phase_y: int
    phase_x: int
    confidence: float


@dataclass(frozen=True)
class Region:
    """One detected mosaic: bbox (x0, y0, x1, y1), end-exclusive; phase (phase_y, phase_x)."""

    bbox: tuple[int, int, int, int]
    block: int
    phase: tuple[int, int]


@dataclass
class Detection:
    """mask: bool HxW, True = mosaic (whole blocks). regions: one per connected mosaic."""

    mask: np.ndarray
    regions: list[Region] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Array helpers


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"image must be RGB uint8 HxWx3, got {getattr(image, 'dtype', type(image))} {getattr(image, 'shape', '')}"
        )


def _check_blocks(min_block: int, max_block: int) -> None:
    if not 2 <= min_block <= max_block:
        raise ValueError(f"need 2 <= min_block <= max_block, got {min_block}, {max_block}")


def _luma(image: np.ndarray) -> np.ndarray:
    """float32 HxW, BT.601 luma: JPEG keeps luma at full resolution, chroma at half."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _lead(length: int, block: int, phase: int) -> tuple[int, int]:
    """Padding (before, after) that turns 0..length-1 into whole blocks aligned on `phase`."""
    before = (block - phase % block) % block
    return before, -(length + before) % block


def _to_cells(arr: np.ndarray, block: int, phase: tuple[int, int]) -> np.ndarray:
    """HxW[xC] → (ny, block, nx, block[, C]); partial border cells are padded by edge repeat."""
    (t, b), (left, r) = _lead(arr.shape[0], block, phase[0]), _lead(arr.shape[1], block, phase[1])
    p = np.pad(arr, ((t, b), (left, r)) + ((0, 0),) * (arr.ndim - 2), mode="edge")
    ny, nx = p.shape[0] // block, p.shape[1] // block
    return p.reshape((ny, block, nx, block) + arr.shape[2:])


def _from_cells(cells: np.ndarray, shape: tuple[int, int], block: int, phase: tuple[int, int]) -> np.ndarray:
    """Cell map (ny, nx) → pixel map of `shape`."""
    t, _ = _lead(shape[0], block, phase[0])
    left, _ = _lead(shape[1], block, phase[1])
    full = np.repeat(np.repeat(cells, block, axis=0), block, axis=1)
    return full[t : t + shape[0], left : left + shape[1]]


# ---------------------------------------------------------------------------------------------
# estimate_grid: periodicity of step energy


def _step_energy(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thinned, floored luma steps: ex (H, W-1) between columns x and x+1, ey (H-1, W).
    Only local maxima along the step direction are kept, so a blurred block edge collapses back
    onto its grid line."""

    def thin(d: np.ndarray) -> np.ndarray:  # d (..., n): |differences| along the last axis
        left = np.pad(d[..., :-1], [(0, 0)] * (d.ndim - 1) + [(1, 0)])
        right = np.pad(d[..., 1:], [(0, 0)] * (d.ndim - 1) + [(0, 1)])
        return np.where((d >= left) & (d > right), np.maximum(d - _EDGE_FLOOR, 0.0), 0.0)

    ex = thin(np.abs(np.diff(luma, axis=1)))
    ey = thin(np.abs(np.diff(luma, axis=0)).T).T
    return ex.astype(np.float32), ey.astype(np.float32)


def _comb(profile: np.ndarray, block: int) -> tuple[float, int, int]:
    """profile (n,): step energy per grid-line position (position x = between x and x+1).
    Returns (score, residue, lines): the share of energy on the best residue mod `block`,
    normalised so 0 = spread evenly and 1 = all on it; that residue; and how many distinct lines
    on it carry at least a tenth of the strongest one's energy."""
    fold = np.bincount(np.arange(profile.size) % block, profile, minlength=block)
    total = float(fold.sum())
    if total <= 0:
        return 0.0, 0, 0
    r = int(fold.argmax())
    teeth = profile[r::block]
    lines = int(np.count_nonzero(teeth >= 0.1 * teeth.max()))
    return (float(fold[r]) / total - 1.0 / block) / (1.0 - 1.0 / block), r, lines


def _grid_from_energy(ex: np.ndarray, ey: np.ndarray, *, min_block: int, max_block: int) -> Grid:
    """Grid of the area whose step energy is ex (H, W-1), ey (H-1, W): the largest period whose
    comb score is within 10% of the best (divisors of the true period score as well). A direction
    counts only with >= 2 lines on the grid, since one straight edge fits any period."""
    col, row = ex.sum(axis=0), ey.sum(axis=1)  # (W-1,), (H-1,)
    e_col, e_row = float(col.sum()), float(row.sum())
    fits = []
    for b in range(min_block, max_block + 1):
        sx, rx, nx = _comb(col, b)
        sy, ry, ny = _comb(row, b)
        # Weight each direction by its energy: a thin strip may show lines one way only.
        wx, wy = e_col * (nx >= 2), e_row * (ny >= 2)
        score = (sx * wx + sy * wy) / max(wx + wy, 1e-9)
        fits.append((score, b, (ry + 1) % b, (rx + 1) % b))  # blocks start after the step
    best = max(f[0] for f in fits)
    if best <= 0:
        return Grid(block=8, phase_y=0, phase_x=0, confidence=0.0)
    score, b, py, px = max((f for f in fits if f[0] >= 0.9 * best), key=lambda f: f[1])
    return Grid(block=b, phase_y=py, phase_x=px, confidence=float(np.clip(score, 0.0, 1.0)))


# ---------------------------------------------------------------------------------------------
# detect_mosaic, step 1-2: block corners and their grids


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


_Box = tuple[int, int, int, int]  # y0, y1, x0, x1


def _cluster_fits(
    ys: np.ndarray, xs: np.ndarray, shape: tuple[int, int], *, min_block: int, max_block: int
) -> list[tuple[tuple[int, int, int], int, _Box]]:
    """((block, phase_y, phase_x), corners on it, their extent (y0, y1, x0, x1) inclusive) for
    each spatial cluster of corners."""
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
            fits.append(((b, py, px), count, (int(on_y.min()), int(on_y.max()), int(on_x.min()), int(on_x.max()))))
            cy, cx = cy[off], cx[off]
    return fits


def _candidate_grids(image: np.ndarray, *, min_block: int, max_block: int) -> list[tuple[int, int, int, _Box]]:
    """Distinct grids (block, phase_y, phase_x, extent of their corners), most corners first.
    Corners are sought in luma (robust to JPEG's chroma smear) and, separately, in RGB (blocks of
    equal luma); JPEG's chroma ringing adds stray RGB corners that must not sway the luma fit."""
    grids: dict[tuple[int, int, int], tuple[int, _Box]] = {}
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    for planes in ([gray], list(cv2.split(image))):
        ys, xs = _block_corners(planes)
        for grid, count, box in _cluster_fits(ys, xs, gray.shape, min_block=min_block, max_block=max_block):
            if grid in grids:  # one grid seen in several clusters or both passes: union
                n, (y0, y1, x0, x1) = grids[grid]
                box = (min(y0, box[0]), max(y1, box[1]), min(x0, box[2]), max(x1, box[3]))
                count += n
            grids[grid] = (count, box)
    ranked = sorted(grids.items(), key=lambda kv: -kv[1][0])[:_MAX_GRIDS]
    return [(b, py, px, box) for (b, py, px), (_, box) in ranked]


# ---------------------------------------------------------------------------------------------
# detect_mosaic, step 3: cell test on one grid


@dataclass
class _Cells:
    """Per-cell results for one grid; shapes (ny, nx), (ny, nx-1) and (ny-1, nx)."""

    constant: np.ndarray  # bool, flat inside
    means: np.ndarray  # float32 (ny, nx, 3), mean colour of each cell's core
    step_x: np.ndarray  # bool, a mosaic edge between cell (i, j) and (i, j+1)
    step_y: np.ndarray  # bool, a mosaic edge between cell (i, j) and (i+1, j)


def _cell_test(rgb: np.ndarray, block: int, phase: tuple[int, int]) -> _Cells:
    """Which cells of the grid (block, phase) over rgb (RGB uint8 HxWx3) are constant, and which
    neighbouring constant cells are separated by a mosaic edge."""
    b = block
    m = 1 if b >= 6 else 0  # skip a 1 px rim: blur and chroma subsampling soften block edges
    core = slice(m, b - m)
    cc = _to_cells(rgb.astype(np.float32), b, phase)  # (ny, b, nx, b, 3)
    # Ripple inside the core: mean |difference| between neighbours, in luma and in chroma (a
    # colour ramp may be flat in luma). JPEG halves the chroma resolution and smears it across
    # block edges, so chroma ripple counts half. (ny, nx)
    ycc = _to_cells(cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32), b, phase)
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
    return _Cells(constant=constant, means=means, step_x=step_x, step_y=step_y)


def _fill_holes(cells: np.ndarray) -> np.ndarray:
    """bool (ny, nx) with enclosed background filled (flood fill from the outside)."""
    h, w = cells.shape
    canvas = np.zeros((h + 2, w + 2), np.uint8)
    canvas[1:-1, 1:-1] = cells
    cv2.floodFill(canvas, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 2)
    return canvas[1:-1, 1:-1] != 2


def _regions_on_grid(cells: _Cells, block: int) -> list[tuple[np.ndarray, int]]:
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
        reach = np.ones((2 * _HULL_REACH + 1,) * 2, np.uint8)
        shape = box & cv2.dilate(_hull(seed).astype(np.uint8), reach).astype(bool)
        region |= shape & cells.constant & ((sides > 0) | _equal_neighbour(cells, _EQUAL))
        region = _add_pixelated_texture(region, cells)
        out.append((region, count))
    return out


def _equal_neighbour(cells: _Cells, tol: float) -> np.ndarray:
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


def _add_pixelated_texture(region: np.ndarray, cells: _Cells) -> np.ndarray:
    """Add flat blocks next to the region that are pixelated texture (paper grain, screentone,
    hatching): a group of constant cells that is surrounded by textured cells of the same mean
    colour. A flat fill next to a mosaic is bounded by outlines of another colour instead, and is
    left out. region: bool (ny, nx)."""
    free = (cells.constant & ~region).astype(np.uint8)
    n, labels = cv2.connectedComponents(free, connectivity=4)
    touching = np.unique(labels[cv2.dilate(region.astype(np.uint8), _CROSS).astype(bool) & (free > 0)])
    out = region.copy()
    limit = 2 * np.count_nonzero(region)
    for k in touching:
        comp = labels == k
        if np.count_nonzero(comp) > limit:
            continue
        ring = cv2.dilate(comp.astype(np.uint8), _CROSS).astype(bool) & ~comp & ~region
        if not ring.any():
            out |= comp
            continue
        textured = ring & ~cells.constant
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
            close |= ok & comp[qy, qx] & (d <= _TEXTURE_MATCH)
        if np.count_nonzero(close) >= 0.6 * ry.size:
            out |= comp
    return out


_K3 = np.ones((3, 3), np.uint8)


def _purity(shape: np.ndarray, block: int) -> np.ndarray:
    """float (block, block) score per grid phase (phase_y, phase_x, relative to the array) of
    cutting the bool (h, w) `shape` into pure cells (all in or all out): 1 - impurity / (mean
    impurity over the phases). 1 when the outline runs on grid lines only, about 0 for an
    outline unrelated to the grid."""
    h, w = shape.shape
    integral = cv2.integral(shape.astype(np.uint8)).astype(np.float64)  # (h+1, w+1)
    # Cell edges for every phase at once: (block phases, k edges) per axis, clipped to the array.
    ey = np.clip(np.arange(block)[:, None] + np.arange(-1, h // block + 2)[None] * block, 0, h)
    ex = np.clip(np.arange(block)[:, None] + np.arange(-1, w // block + 2)[None] * block, 0, w)
    s = integral[ey[:, :, None, None], ex[None, None, :, :]]  # (b, ky, b, kx)
    inside = s[:, 1:, :, 1:] - s[:, :-1, :, 1:] - s[:, 1:, :, :-1] + s[:, :-1, :, :-1]
    area = np.diff(ey, axis=1)[:, :, None, None] * np.diff(ex, axis=1)[None, None, :, :]
    impurity = np.minimum(inside, area - inside).sum(axis=(1, 3))  # (b, b)
    mean = float(impurity.mean())
    return 1.0 - impurity / mean if mean > 0 else np.zeros((block, block))


def _grid_by_purity(shape: np.ndarray, *, min_block: int, max_block: int) -> tuple[float, int, int, int] | None:
    """The grid that cuts the bool (h, w) `shape` into the purest cells: (score, block, phase_y,
    phase_x), phase relative to the array. Divisors of the true block fit as well, so the largest
    block within 10% of the best score wins."""
    h, w = shape.shape
    fits = []
    for b in range(min_block, min(max_block, h // 2, w // 2) + 1):
        score = _purity(shape, b)
        py, px = np.unravel_index(int(score.argmax()), score.shape)
        fits.append((float(score[py, px]), b, int(py), int(px)))
    if not fits:
        return None
    best = max(f[0] for f in fits)
    return max((f for f in fits if f[0] >= 0.9 * best), key=lambda f: f[1])


def _changes_inside(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where any channel of image (RGB uint8 HxWx3) changes at all between two neighbours that
    both lie in mask (bool HxW): dx bool (H, W-1) between columns x and x+1, dy bool (H-1, W)."""
    rgb = image.astype(np.int16)
    dx = (np.abs(np.diff(rgb, axis=1)).max(axis=-1) > 0) & mask[:, 1:] & mask[:, :-1]
    dy = (np.abs(np.diff(rgb, axis=0)).max(axis=-1) > 0) & mask[1:] & mask[:-1]
    return dx, dy


def _island_grid(
    crop: np.ndarray, island: np.ndarray, *, min_block: int, max_block: int
) -> tuple[float, int, int, int] | None:
    """(purity, block, phase_y, phase_x) of an island (bool (h, w)) in crop (RGB uint8). The small
    steps between its blocks (grain averages to slightly different colours) sit on the grid
    lines and fix the block size where the outline alone cannot (a rectangle fits many grids);
    without enough of them the outline decides."""
    dx, dy = _changes_inside(crop, island)
    if np.count_nonzero(dx) + np.count_nonzero(dy) >= 4 * max_block:
        g = _grid_from_energy(dx.astype(np.float32), dy.astype(np.float32), min_block=min_block, max_block=max_block)
        if g.confidence >= 0.5:
            return float(_purity(island, g.block)[g.phase_y, g.phase_x]), g.block, g.phase_y, g.phase_x
    return _grid_by_purity(island, min_block=min_block, max_block=max_block)


def _texture_islands(image: np.ndarray, *, min_block: int, max_block: int) -> list[_Find]:
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
        if np.abs(crop[island].mean(axis=0) - np.median(crop[band], axis=0)).max() > _TEXTURE_MATCH:
            continue
        fit = _island_grid(image[y0:y1, x0:x1], island, min_block=min_block, max_block=max_block)
        if fit is None or fit[0] < _ISLAND_FIT:
            continue
        _, b, py, px = fit
        cells = _to_cells(island.astype(np.float32), b, (py, px)).mean(axis=(1, 3)) >= 0.5
        if np.count_nonzero(cells) < _ISLAND_CELLS or min(cells.any(0).sum(), cells.any(1).sum()) < 2:
            continue
        full = np.zeros((h, w), bool)
        full[y0:y1, x0:x1] = _from_cells(cells, (y1 - y0, x1 - x0), b, (py, px))
        finds.append(_Find(mask=full, block=b, phase=(int((py + y0) % b), int((px + x0) % b)), junctions=0))
    return finds


def _merge_islands(finds: list[_Find], islands: list[_Find]) -> list[_Find]:
    """An island on the grid of a find it touches joins it; one that overlaps a find on another
    grid is dropped (junctions are the stronger evidence); the rest stand alone."""
    out = list(finds)
    for isl in islands:
        grown = cv2.dilate(isl.mask.astype(np.uint8), _K3).astype(bool)
        same = [i for i, f in enumerate(out) if (f.block, f.phase) == (isl.block, isl.phase) and (f.mask & grown).any()]
        if same:
            f = out[same[0]]
            out[same[0]] = _Find(mask=f.mask | isl.mask, block=f.block, phase=f.phase, junctions=f.junctions)
        elif not any((f.mask & isl.mask).any() for f in out):
            out.append(isl)
    return out


@dataclass
class _Find:
    mask: np.ndarray  # bool HxW
    block: int
    phase: tuple[int, int]
    junctions: int


def _is_multiple(f: _Find, g: _Find) -> bool:
    """f's grid lines are every k-th line (k >= 2) of g's."""
    return (
        f.block > g.block
        and f.block % g.block == 0
        and f.phase[0] % g.block == g.phase[0]
        and f.phase[1] % g.block == g.phase[1]
    )


def _pick(finds: list[_Find]) -> list[_Find]:
    """Resolve finds of different grids over the same pixels: the most junctions wins, except
    that a grid made of every k-th line of the winner's, with nearly as many junctions, is the
    true one (the winner's extra lines run through the middle of constant blocks)."""
    kept: list[_Find] = []
    for f in sorted(finds, key=lambda f: (-f.junctions, -f.block)):
        area = np.count_nonzero(f.mask)
        clash = [i for i, g in enumerate(kept) if np.count_nonzero(g.mask & f.mask) > 0.3 * area]
        if not clash:
            kept.append(f)
            continue
        for i in clash:
            if _is_multiple(f, kept[i]) and f.junctions >= 0.7 * kept[i].junctions:
                kept[i] = f
                break
    return kept


# ---------------------------------------------------------------------------------------------
# Public API


def estimate_grid(
    image: np.ndarray, mask: np.ndarray | None = None, *, min_block: int = 4, max_block: int = 32
) -> Grid:
    """Block size and phase of the mosaic in `image` (RGB uint8 HxWx3), within `mask` (bool HxW)
    if given — steps on the mask's border count, as a mosaic's border lies on its grid.

    confidence is the comb score in [0, 1]: the normalised share of step energy on the grid lines.
    0 means no periodic structure was found; block is then 8 with phase 0.
    """
    _check_image(image)
    _check_blocks(min_block, max_block)
    ex, ey = _step_energy(_luma(image))
    if mask is not None:
        if mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
            raise ValueError(f"mask must be bool HxW matching the image, got {mask.dtype} {mask.shape}")
        exact = _exact_grid(image, mask, min_block=min_block, max_block=max_block)
        if exact is not None:
            return exact
        ex = ex * (mask[:, 1:] | mask[:, :-1])
        ey = ey * (mask[1:] | mask[:-1])
    return _grid_from_energy(ex, ey, min_block=min_block, max_block=max_block)


def _exact_grid(image: np.ndarray, mask: np.ndarray, *, min_block: int, max_block: int) -> Grid | None:
    """The grid of a losslessly stored mosaic that fills `mask`: every pixel change inside it,
    however small, lies on a grid line (blocks are exactly constant). This catches what step
    energy misses: a mosaic over paper grain steps by a level or two between blocks, below the
    energy floor, and only its border is left, which fits many periods. None when the changes
    inside the mask are not (>= _EXACT_SHARE) on one grid, as after JPEG or when the mask spills
    over unmosaicked pixels."""
    dx, dy = _changes_inside(image, mask)
    if np.count_nonzero(dx) + np.count_nonzero(dy) < 4 * max_block:
        return None
    g = _grid_from_energy(dx.astype(np.float32), dy.astype(np.float32), min_block=min_block, max_block=max_block)
    if g.confidence <= 0:
        return None
    # Changes between columns x and x+1 lie on the grid when x + 1 ≡ phase_x (mod block).
    on_x = dx[:, (np.arange(dx.shape[1]) + 1 - g.phase_x) % g.block == 0]
    on_y = dy[(np.arange(dy.shape[0]) + 1 - g.phase_y) % g.block == 0]
    share = (np.count_nonzero(on_x) + np.count_nonzero(on_y)) / (np.count_nonzero(dx) + np.count_nonzero(dy))
    return g if share >= _EXACT_SHARE else None


def detect_mosaic(image: np.ndarray, *, min_block: int = 4, max_block: int = 32) -> Detection:
    """Find mosaic regions in an RGB uint8 HxWx3 image. Returns the mask (bool HxW, True =
    mosaic, whole blocks) and one Region per connected mosaic with its block size and phase."""
    _check_image(image)
    _check_blocks(min_block, max_block)
    h, w = image.shape[:2]
    mask = np.zeros((h, w), bool)
    if h < 2 * min_block or w < 2 * min_block:
        return Detection(mask=mask)
    finds = []
    for b, py, px, (y0, y1, x0, x1) in _candidate_grids(image, min_block=min_block, max_block=max_block):
        # Test the cells around the grid's corners only (a mosaic reaches a few blocks past its
        # outermost corners at most); the crop keeps the grid, its phase shifts with the origin.
        margin = _CROP_BLOCKS * b
        y0, x0 = max(y0 - margin, 0), max(x0 - margin, 0)
        y1, x1 = min(y1 + margin, h), min(x1 + margin, w)
        phase = ((py - y0) % b, (px - x0) % b)
        for cell_map, count in _regions_on_grid(_cell_test(image[y0:y1, x0:x1], b, phase), b):
            full = np.zeros((h, w), bool)
            full[y0:y1, x0:x1] = _from_cells(cell_map, (y1 - y0, x1 - x0), b, phase)
            finds.append(_Find(mask=full, block=b, phase=(py, px), junctions=count))
    finds = _merge_islands(finds, _texture_islands(image, min_block=min_block, max_block=max_block))
    regions = []
    for f in _pick(finds):
        mask |= f.mask
        ys, xs = np.nonzero(f.mask)
        regions.append(
            Region(
                bbox=(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1), block=f.block, phase=f.phase
            )
        )
    return Detection(mask=mask, regions=regions)
