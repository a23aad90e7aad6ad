"""Tiny synthetic test images: flat fills, ink lines, gradients. No files, no downloads."""

from __future__ import annotations

import io as _io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

GREEN = (0, 255, 0)


def art(height: int = 48, width: int = 64, *, seed: int = 0) -> np.ndarray:
    """Flat-colour 'illustration' (RGB uint8 HxWx3): gradient sky, a skin blob, ink lines.
    Deliberately free of green, so any green found is paint."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(180, 240, width, dtype=np.float32)
    image = np.empty((height, width, 3), np.uint8)
    image[:] = np.stack([ramp, ramp * 0.9, np.full(width, 250.0)], axis=1).astype(np.uint8)[None]
    centre = (int(rng.integers(width // 3, 2 * width // 3)), int(rng.integers(height // 3, 2 * height // 3)))
    cv2.circle(image, centre, min(height, width) // 4, (250, 214, 190), -1)
    cv2.circle(image, centre, min(height, width) // 4, (20, 20, 30), 1)
    cv2.line(image, (0, height - 5), (width - 1, height // 2), (20, 20, 30), 1)
    return image


def bar_mask(height: int, width: int, *, box: tuple[int, int, int, int]) -> np.ndarray:
    """bool HxW with the half-open rectangle (y0, x0, y1, x1) set."""
    mask = np.zeros((height, width), bool)
    y0, x0, y1, x1 = box
    mask[y0:y1, x0:x1] = True
    return mask


def paint(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Hard green paint over ``mask``."""
    painted = image.copy()
    painted[mask] = GREEN
    return painted


def paint_soft(image: np.ndarray, mask: np.ndarray, *, supersample: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Anti-aliased green: the mask's edge is blurred like a soft brush. Returns (painted, alpha)
    with alpha float32 HxW in [0, 1] = how much green each pixel got."""
    height, width = mask.shape
    big = cv2.resize(
        mask.astype(np.uint8) * 255, (width * supersample, height * supersample), interpolation=cv2.INTER_NEAREST
    )
    big = cv2.GaussianBlur(big, (0, 0), supersample * 0.6)
    alpha = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    alpha[alpha < 0.02] = 0
    mixed = image * (1 - alpha[..., None]) + np.array(GREEN, np.float32) * alpha[..., None]
    return np.rint(mixed).astype(np.uint8), alpha


def jpeg_roundtrip(image: np.ndarray, *, quality: int) -> np.ndarray:
    buffer = _io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def save(path: Path, image: np.ndarray, alpha: np.ndarray | None = None, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pil = Image.fromarray(image) if alpha is None else Image.fromarray(np.dstack([image, alpha]), "RGBA")
    pil.save(path, **options)
    return path


def load(path: Path) -> np.ndarray:
    """RGB(A) array of a written output, exactly as stored."""
    with Image.open(path) as im:
        return np.asarray(im).copy()


def painted_file(
    path: Path, *, seed: int = 0, box: tuple[int, int, int, int] = (10, 12, 22, 40)
) -> tuple[np.ndarray, np.ndarray]:
    """Write a painted PNG; returns (clean art, hole mask)."""
    clean = art(seed=seed)
    mask = bar_mask(*clean.shape[:2], box=box)
    save(path, paint(clean, mask))
    return clean, mask
