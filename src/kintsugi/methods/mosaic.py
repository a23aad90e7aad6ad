"""Classical mosaic restoration: cubic interpolation of the block means at the block centres.

A mosaic block holds the mean colour of the art beneath it, so the block means are samples of a
blurred picture on a grid of pitch `block`, taken at the block centres. Interpolating them
(cubic) at the right phase gives a smooth estimate that keeps the evidence. The grid is estimated
from the masked pixels (kintsugi.detect.estimate_grid) unless given.

enforce_block_means makes any restoration consistent with the evidence: re-averaging each
restored block gives back the mosaic's block colour.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi.detect import Grid, cell_padding, estimate_grid


def _check(image: np.ndarray, mask: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("image must be RGB uint8 HxWx3")
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
        raise ValueError("mask must be bool HxW matching the image")


def _pads(grid: Grid, shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) padding that makes the image whole grid cells."""
    return cell_padding(shape, block=grid.block, phase=(grid.phase_y, grid.phase_x))


def block_means(image: np.ndarray, mask: np.ndarray, grid: Grid) -> np.ndarray:
    """float32 (ny, nx, 3): each grid cell's colour — the mean of its masked (mosaic) pixels, or
    for cells without any, of all its pixels (the context around the mosaic). Partial cells at
    the image border average their in-image pixels only."""
    b = grid.block
    (t, bo), (le, ri) = _pads(grid, image.shape[:2])
    pad = ((t, bo), (le, ri))
    img = np.pad(image.astype(np.float32), pad + ((0, 0),))
    inside = np.pad(np.ones(mask.shape, np.float32), pad)
    hole = np.pad(mask.astype(np.float32), pad)
    ny, nx = img.shape[0] // b, img.shape[1] // b

    def cell_sum(a: np.ndarray) -> np.ndarray:
        return a.reshape((ny, b, nx, b) + a.shape[2:]).sum(axis=(1, 3))

    n_hole, n_all = cell_sum(hole), cell_sum(inside)  # (ny, nx)
    s_hole, s_all = cell_sum(img * hole[..., None]), cell_sum(img)  # (ny, nx, 3)
    use_hole = n_hole > 0
    num = np.where(use_hole[..., None], s_hole, s_all)
    den = np.where(use_hole, n_hole, n_all)
    return num / np.maximum(den, 1)[..., None]


def _upsample(cells: np.ndarray, grid: Grid, shape: tuple[int, int]) -> np.ndarray:
    """Cubic interpolation of cell values (ny, nx, C) placed at the cell centres → float32 HxWxC.
    cv2.resize by an integer factor maps source pixel i onto i*b + (b-1)/2: the block centre."""
    b = grid.block
    (t, _), (le, _) = _pads(grid, shape)
    ny, nx = cells.shape[:2]
    up = cv2.resize(cells, (nx * b, ny * b), interpolation=cv2.INTER_CUBIC)
    return up[t : t + shape[0], le : le + shape[1]].reshape(shape + cells.shape[2:])


def restore_cubic(image: np.ndarray, mask: np.ndarray, *, grid: Grid | None = None) -> np.ndarray:
    """Restore the mosaic under `mask` (bool HxW) in `image` (RGB uint8 HxWx3): cubic upsampling
    of the block means at the block centres, written into the mask only. Returns a new image."""
    _check(image, mask)
    out = image.copy()
    if not mask.any():
        return out
    grid = grid or estimate_grid(image, mask)
    smooth = _upsample(block_means(image, mask, grid), grid, mask.shape)
    out[mask] = np.clip(np.rint(smooth[mask]), 0, 255).astype(np.uint8)
    return out


def enforce_block_means(
    restored: np.ndarray, mosaic: np.ndarray, mask: np.ndarray, *, grid: Grid, iterations: int = 4
) -> np.ndarray:
    """Make `restored` agree with the mosaic: every block lying wholly inside `mask` is brought
    to the mean colour the mosaic shows for it, by back-projection (the per-block error is
    interpolated like the means and added, a few times), so the correction stays smooth.
    Pixels outside the mask are left as they are. All images RGB uint8 HxWx3."""
    _check(restored, mask)
    _check(mosaic, mask)
    b = grid.block
    (t, bo), (le, ri) = _pads(grid, mask.shape)
    whole = np.pad(mask, ((t, bo), (le, ri)))  # padding counts as outside: border cells excluded
    ny, nx = whole.shape[0] // b, whole.shape[1] // b
    full = whole.reshape(ny, b, nx, b).all(axis=(1, 3))  # (ny, nx) blocks wholly in the mask
    if not full.any():
        return restored.copy()
    target = block_means(mosaic, mask, grid)
    work = restored.astype(np.float32)
    for _ in range(iterations):
        err = np.where(full[..., None], target - block_means(work, mask, grid), 0.0).astype(np.float32)
        work[mask] += _upsample(err, grid, mask.shape)[mask]
        work = np.clip(work, 0, 255)
    out = restored.copy()
    out[mask] = np.rint(work[mask]).astype(np.uint8)
    return out
