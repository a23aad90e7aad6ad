"""Grids of square blocks: cutting arrays into cells, and estimating a mosaic's grid.

Grid convention (shared with kintsugi.methods.mosaic and kintsugi.training.synth_mosaic): square
blocks of side `block` whose first rows / columns lie at y ≡ phase_y and x ≡ phase_x (mod
block), 0 <= phase < block.

estimate_grid is for a known mosaic area (e.g. a painted mask): it folds the area's step energy
modulo every period and takes the period that puts it on the fewest grid lines. On a losslessly
stored mosaic it first tries the exact pixel changes inside the area, which all lie on grid lines
however small they are (a mosaic over grain steps by a level or two).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Step energy (estimate_grid): luma steps below this are JPEG ringing or paper noise.
_EDGE_FLOOR = 6.0
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


def check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"image must be RGB uint8 HxWx3, got {getattr(image, 'dtype', type(image))} {getattr(image, 'shape', '')}"
        )


def check_blocks(min_block: int, max_block: int) -> None:
    if not 2 <= min_block <= max_block:
        raise ValueError(f"need 2 <= min_block <= max_block, got {min_block}, {max_block}")


def luma(image: np.ndarray) -> np.ndarray:
    """float32 HxW, BT.601 luma: JPEG keeps luma at full resolution, chroma at half."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def block_padding(length: int, *, block: int, phase: int) -> tuple[int, int]:
    """Padding (before, after) that turns 0..length-1 into whole blocks aligned on ``phase``."""
    before = (block - phase % block) % block
    return before, -(length + before) % block


def cell_padding(shape: tuple[int, int], *, block: int, phase: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """((top, bottom), (left, right)): the np.pad widths that make an HxW array whole cells of
    the grid (block, phase). The one copy of this arithmetic: detection, restoration
    (kintsugi.methods.mosaic) and synthesis (kintsugi.training.synth_mosaic) all cut cells here."""
    return (
        block_padding(shape[0], block=block, phase=phase[0]),
        block_padding(shape[1], block=block, phase=phase[1]),
    )


def to_cells(arr: np.ndarray, block: int, phase: tuple[int, int]) -> np.ndarray:
    """HxW[xC] → (ny, block, nx, block[, C]); partial border cells are padded by edge repeat."""
    p = np.pad(arr, cell_padding(arr.shape[:2], block=block, phase=phase) + ((0, 0),) * (arr.ndim - 2), mode="edge")
    ny, nx = p.shape[0] // block, p.shape[1] // block
    return p.reshape((ny, block, nx, block) + arr.shape[2:])


def from_cells(cells: np.ndarray, shape: tuple[int, int], block: int, phase: tuple[int, int]) -> np.ndarray:
    """Cell map (ny, nx) → pixel map of `shape`."""
    (t, _), (left, _) = cell_padding(shape, block=block, phase=phase)
    full = np.repeat(np.repeat(cells, block, axis=0), block, axis=1)
    return full[t : t + shape[0], left : left + shape[1]]


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


def grid_from_energy(ex: np.ndarray, ey: np.ndarray, *, min_block: int, max_block: int) -> Grid:
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


def purity(shape: np.ndarray, block: int) -> np.ndarray:
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


def grid_by_purity(shape: np.ndarray, *, min_block: int, max_block: int) -> tuple[float, int, int, int] | None:
    """The grid that cuts the bool (h, w) `shape` into the purest cells: (score, block, phase_y,
    phase_x), phase relative to the array. Divisors of the true block fit as well, so the largest
    block within 10% of the best score wins."""
    h, w = shape.shape
    fits = []
    for b in range(min_block, min(max_block, h // 2, w // 2) + 1):
        score = purity(shape, b)
        py, px = np.unravel_index(int(score.argmax()), score.shape)
        fits.append((float(score[py, px]), b, int(py), int(px)))
    if not fits:
        return None
    best = max(f[0] for f in fits)
    return max((f for f in fits if f[0] >= 0.9 * best), key=lambda f: f[1])


def changes_inside(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where any channel of image (RGB uint8 HxWx3) changes at all between two neighbours that
    both lie in mask (bool HxW): dx bool (H, W-1) between columns x and x+1, dy bool (H-1, W)."""
    rgb = image.astype(np.int16)
    dx = (np.abs(np.diff(rgb, axis=1)).max(axis=-1) > 0) & mask[:, 1:] & mask[:, :-1]
    dy = (np.abs(np.diff(rgb, axis=0)).max(axis=-1) > 0) & mask[1:] & mask[:-1]
    return dx, dy


def estimate_grid(
    image: np.ndarray, mask: np.ndarray | None = None, *, min_block: int = 4, max_block: int = 32
) -> Grid:
    """Block size and phase of the mosaic in `image` (RGB uint8 HxWx3), within `mask` (bool HxW)
    if given — steps on the mask's border count, as a mosaic's border lies on its grid.

    confidence is the comb score in [0, 1]: the normalised share of step energy on the grid lines.
    0 means no periodic structure was found; block is then 8 with phase 0.
    """
    check_image(image)
    check_blocks(min_block, max_block)
    ex, ey = _step_energy(luma(image))
    if mask is not None:
        if mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
            raise ValueError(f"mask must be bool HxW matching the image, got {mask.dtype} {mask.shape}")
        exact = _exact_grid(image, mask, min_block=min_block, max_block=max_block)
        if exact is not None:
            return exact
        ex = ex * (mask[:, 1:] | mask[:, :-1])
        ey = ey * (mask[1:] | mask[:-1])
    return grid_from_energy(ex, ey, min_block=min_block, max_block=max_block)


def _exact_grid(image: np.ndarray, mask: np.ndarray, *, min_block: int, max_block: int) -> Grid | None:
    """The grid of a losslessly stored mosaic that fills `mask`: every pixel change inside it,
    however small, lies on a grid line (blocks are exactly constant). This catches what step
    energy misses: a mosaic over paper grain steps by a level or two between blocks, below the
    energy floor, and only its border is left, which fits many periods. None when the changes
    inside the mask are not (>= _EXACT_SHARE) on one grid, as after JPEG or when the mask spills
    over unmosaicked pixels."""
    dx, dy = changes_inside(image, mask)
    if np.count_nonzero(dx) + np.count_nonzero(dy) < 4 * max_block:
        return None
    g = grid_from_energy(dx.astype(np.float32), dy.astype(np.float32), min_block=min_block, max_block=max_block)
    if g.confidence <= 0:
        return None
    # Changes between columns x and x+1 lie on the grid when x + 1 ≡ phase_x (mod block).
    on_x = dx[:, (np.arange(dx.shape[1]) + 1 - g.phase_x) % g.block == 0]
    on_y = dy[(np.arange(dy.shape[0]) + 1 - g.phase_y) % g.block == 0]
    share = (np.count_nonzero(on_x) + np.count_nonzero(on_y)) / (np.count_nonzero(dx) + np.count_nonzero(dy))
    return g if share >= _EXACT_SHARE else None
