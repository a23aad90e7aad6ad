"""Synthetic mosaic censoring, for training the mosaic restoration model and for benchmarks.

numpy/OpenCV only (no torch), deterministic given the arguments (and the rng for the
random parameters).

Grid convention (shared with kintsugi.detect): a grid of square blocks of side `block` whose
block starts lie on rows y ≡ phase_y and columns x ≡ phase_x (mod block). Blocks cut by the
image border are partial blocks; they are averaged over their in-image pixels, as censor tools do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from kintsugi.detect.grid import cell_padding

SAMPLINGS = ("mean", "center")


@dataclass(frozen=True)
class MosaicParams:
    """Keyword arguments for apply_mosaic: `apply_mosaic(img, mask, **params.kwargs())`."""

    block: int
    phase: tuple[int, int]
    sampling: str
    blur: float
    jpeg_quality: int | None

    def kwargs(self) -> dict[str, object]:
        return asdict(self)


def _check(image: np.ndarray, mask: np.ndarray, block: int) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be RGB uint8 HxWx3, got {image.dtype} {image.shape}")
    if mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
        raise ValueError(f"mask must be bool HxW matching the image, got {mask.dtype} {mask.shape}")
    if block < 2:
        raise ValueError(f"block must be >= 2, got {block}")


def _cells_touched(mask: np.ndarray, block: int, phase: tuple[int, int]) -> np.ndarray:
    """bool (ny, nx): the grid cells that contain at least one mask pixel."""
    padded = np.pad(mask, cell_padding(mask.shape, block=block, phase=phase))
    ny, nx = padded.shape[0] // block, padded.shape[1] // block
    return padded.reshape(ny, block, nx, block).any(axis=(1, 3))


def _expand(cells: np.ndarray, shape: tuple[int, int], block: int, phase: tuple[int, int]) -> np.ndarray:
    """Cell array (ny, nx, ...) → per-pixel array of `shape` (+ trailing dims)."""
    (t, _), (left, _) = cell_padding(shape, block=block, phase=phase)
    full = np.repeat(np.repeat(cells, block, axis=0), block, axis=1)
    return full[t : t + shape[0], left : left + shape[1]]


def mosaic_mask(mask: np.ndarray, *, block: int, phase: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The effective mosaic region of `mask`: the union of the whole blocks it touches (bool HxW)."""
    if mask.dtype != np.bool_ or mask.ndim != 2:
        raise ValueError(f"mask must be bool HxW, got {mask.dtype} {mask.shape}")
    if block < 2:
        raise ValueError(f"block must be >= 2, got {block}")
    return _expand(_cells_touched(mask, block, phase), mask.shape, block, phase)


def block_values(
    image: np.ndarray, *, block: int, phase: tuple[int, int] = (0, 0), sampling: str = "mean"
) -> np.ndarray:
    """float32 (ny, nx, 3): each grid cell's colour — the mean of its in-image pixels, or its
    centre pixel (the centre of the in-image part of a partial cell)."""
    h, w = image.shape[:2]
    (t, b), (left, r) = cell_padding((h, w), block=block, phase=phase)
    ny, nx = (h + t + b) // block, (w + left + r) // block
    if sampling == "mean":
        # Sum and count over padded whole cells, so partial border cells average only real pixels.
        padded = np.pad(image.astype(np.float32), ((t, b), (left, r), (0, 0)))
        sums = padded.reshape(ny, block, nx, block, 3).sum(axis=(1, 3))
        ones = np.pad(np.ones((h, w), np.float32), ((t, b), (left, r)))
        counts = ones.reshape(ny, block, nx, block).sum(axis=(1, 3))
        return sums / counts[..., None]
    if sampling == "center":
        starts_y = np.clip(np.arange(ny) * block - t, 0, h - 1)
        ends_y = np.clip(np.arange(1, ny + 1) * block - t, 1, h)
        starts_x = np.clip(np.arange(nx) * block - left, 0, w - 1)
        ends_x = np.clip(np.arange(1, nx + 1) * block - left, 1, w)
        cy, cx = (starts_y + ends_y - 1) // 2, (starts_x + ends_x - 1) // 2
        return image[cy[:, None], cx[None, :]].astype(np.float32)
    raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")


def apply_mosaic(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    block: int,
    phase: tuple[int, int] = (0, 0),
    sampling: str = "mean",
    blur: float = 0.0,
    jpeg_quality: int | None = None,
) -> np.ndarray:
    """Censor `image` (RGB uint8 HxWx3) with a mosaic over `mask` (bool HxW); returns a new image.

    Every block the mask touches is pixelated over its full extent, so the censored region is
    `mosaic_mask(mask, block=block, phase=phase)`, which is what a restorer must fill. `blur`
    (Gaussian sigma in px, 0 = none) softens the block edges inside that region, as resampling
    of the published image does. `jpeg_quality` then recompresses the WHOLE image, so with JPEG
    the pixels outside the region change slightly too.
    """
    _check(image, mask, block)
    cells = _cells_touched(mask, block, phase)
    region = _expand(cells, mask.shape, block, phase)
    values = block_values(image, block=block, phase=phase, sampling=sampling)
    pixelated = _expand(np.rint(values).astype(np.uint8), mask.shape, block, phase)
    out = image.copy()
    out[region] = pixelated[region]
    if blur > 0:
        blurred = cv2.GaussianBlur(out, (0, 0), sigmaX=blur, borderType=cv2.BORDER_REFLECT)
        out[region] = blurred[region]
    if jpeg_quality is not None:
        out = jpeg_roundtrip(out, jpeg_quality)
    return out


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode RGB uint8 as JPEG (4:2:0, OpenCV's default) at `quality` and decode it again."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def random_mosaic_params(rng: np.random.Generator, *, min_block: int = 4, max_block: int = 24) -> MosaicParams:
    """Draw censor settings: block 4-24 (uniform), any grid offset, mostly mean sampling,
    sometimes slight blur, often JPEG recompression (quality 70-95)."""
    block = int(rng.integers(min_block, max_block + 1))
    phase = (int(rng.integers(0, block)), int(rng.integers(0, block)))
    sampling = "mean" if rng.random() < 0.8 else "center"
    blur = float(rng.uniform(0.3, 1.0)) if rng.random() < 0.25 else 0.0
    jpeg_quality = int(rng.integers(70, 96)) if rng.random() < 0.6 else None
    return MosaicParams(block=block, phase=phase, sampling=sampling, blur=blur, jpeg_quality=jpeg_quality)
