"""detect_mosaic: a mosaic is a grid of constant blocks with a regular period.

Steps: block corners and their grids (corners), the cell test on each grid (cells), mosaics over
texture (islands); finds of different grids over the same pixels are then resolved here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kintsugi.detect.cells import Find, cell_test, regions_on_grid
from kintsugi.detect.corners import candidate_grids
from kintsugi.detect.grid import check_blocks, check_image, from_cells
from kintsugi.detect.islands import merge_islands, texture_islands
from kintsugi.regions import Box

# Cells are tested this many blocks around a grid's corners. (12 let a mosaic over a line be
# followed further, but lost more than it gained: visible-part IoU at 16 px 0.806 -> 0.791.)
_CROP_BLOCKS = 6


@dataclass(frozen=True)
class Region:
    """One detected mosaic: its Box (half-open), block size and phase (phase_y, phase_x)."""

    box: Box
    block: int
    phase: tuple[int, int]


@dataclass
class Detection:
    """mask: bool HxW, True = mosaic (whole blocks; a mosaic over grain found after JPEG keeps its
    island's own outline, its grid being only estimated). regions: one per connected mosaic."""

    mask: np.ndarray
    regions: list[Region] = field(default_factory=list)


def _is_multiple(f: Find, g: Find) -> bool:
    """f's grid lines are every k-th line (k >= 2) of g's."""
    return (
        f.block > g.block
        and f.block % g.block == 0
        and f.phase[0] % g.block == g.phase[0]
        and f.phase[1] % g.block == g.phase[1]
    )


def _pick(finds: list[Find]) -> list[Find]:
    """Resolve finds of different grids over the same pixels: the most junctions wins, except
    that a grid made of every k-th line of the winner's, with nearly as many junctions, is the
    true one (the winner's extra lines run through the middle of constant blocks)."""
    kept: list[Find] = []
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


def detect_mosaic(image: np.ndarray, *, min_block: int = 4, max_block: int = 32) -> Detection:
    """Find mosaic regions in an RGB uint8 HxWx3 image. Returns the mask (bool HxW, True =
    mosaic, whole blocks but for islands found after JPEG) and one Region per connected mosaic with
    its block size and phase."""
    check_image(image)
    check_blocks(min_block, max_block)
    h, w = image.shape[:2]
    mask = np.zeros((h, w), bool)
    if h < 2 * min_block or w < 2 * min_block:
        return Detection(mask=mask)
    finds = []
    for b, py, px, corners in candidate_grids(image, min_block=min_block, max_block=max_block):
        # Test the cells around the grid's corners only (a mosaic reaches a few blocks past its
        # outermost corners at most); the crop keeps the grid, its phase shifts with the origin.
        margin = _CROP_BLOCKS * b
        y0, x0 = max(corners.y0 - margin, 0), max(corners.x0 - margin, 0)
        y1, x1 = min(corners.y1 - 1 + margin, h), min(corners.x1 - 1 + margin, w)
        phase = ((py - y0) % b, (px - x0) % b)
        for cell_map, count in regions_on_grid(cell_test(image[y0:y1, x0:x1], b, phase), b):
            full = np.zeros((h, w), bool)
            full[y0:y1, x0:x1] = from_cells(cell_map, (y1 - y0, x1 - x0), b, phase)
            finds.append(Find(mask=full, block=b, phase=(py, px), junctions=count))
    finds = merge_islands(finds, texture_islands(image, min_block=min_block, max_block=max_block))
    regions = []
    for f in _pick(finds):
        mask |= f.mask
        ys, xs = np.nonzero(f.mask)
        regions.append(
            Region(
                box=Box(int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1),
                block=f.block,
                phase=f.phase,
            )
        )
    return Detection(mask=mask, regions=regions)
