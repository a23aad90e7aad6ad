"""image + hole mask + method -> repaired image, one region crop at a time (IOPaint-style).

For each merged region box: crop with the method's margin, downscale when the crop exceeds the
method's ``max_side``, fill, upscale, and paste back only the hole pixels. Every pixel outside
the hole is therefore bit-identical to the input.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi import methods, regions
from kintsugi.errors import InvalidInput, MethodError


def fill_holes(image: np.ndarray, mask: np.ndarray, *, method: str | None = None, kind: str = "inpaint") -> np.ndarray:
    """Repair ``image`` (RGB uint8 HxWx3) where ``mask`` (bool HxW, True = hole) is set.

    ``method`` defaults to the default method of ``kind``; it must be of that kind. Returns a new
    array; the inputs are not modified.
    """
    image = check_image(image)
    mask = check_mask(mask, shape=image.shape[:2])
    meta = methods.require(method, kind=kind)
    if not mask.any():
        return image.copy()
    return fill_regions(
        methods.get(meta.name), image, mask=mask, margin=meta.margin, max_side=meta.max_side, name=meta.name
    )


def fill_regions(
    fill: methods.Fill,
    image: np.ndarray,
    *,
    mask: np.ndarray,
    margin: int,
    max_side: int | None,
    name: str,
) -> np.ndarray:
    """Run ``fill`` on a crop around each merged hole region of checked inputs (RGB uint8 HxWx3,
    bool HxW) and paste back only the hole pixels; a new array."""
    result = image.copy()
    for box in regions.hole_boxes(mask, margin=margin):
        crop_mask = mask[box.slices]
        filled = fill_crop(fill, image[box.slices], mask=crop_mask, max_side=max_side, name=name)
        regions.paste_holes(result, filled, mask=crop_mask, box=box)
    return result


def fill_crop(
    fill: methods.Fill,
    crop: np.ndarray,
    *,
    mask: np.ndarray,
    max_side: int | None,
    name: str,
) -> np.ndarray:
    """Run ``fill`` on one crop (RGB uint8 hxwx3, bool hxw), scaled down to ``max_side`` if needed.

    The method gets contiguous copies, so a method that writes into its input cannot touch the
    caller's image.
    """
    height, width = mask.shape
    if max_side is None or max(height, width) <= max_side:
        return _checked(fill(crop.copy(), mask.copy()), shape=crop.shape, name=name)
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # cv2 takes (w, h)
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    # Any hole coverage makes a small pixel a hole, so the small hole covers the whole big one.
    small_mask = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    filled = _checked(fill(small, small_mask), shape=small.shape, name=name)
    return cv2.resize(filled, (width, height), interpolation=cv2.INTER_CUBIC)


def _checked(result: object, *, shape: tuple[int, ...], name: str) -> np.ndarray:
    if not isinstance(result, np.ndarray) or result.dtype != np.uint8 or result.shape != shape:
        got = f"{result.dtype} {result.shape}" if isinstance(result, np.ndarray) else type(result).__name__
        raise MethodError(f"method {name!r} returned {got}, expected uint8 {shape}")
    return result


def check_image(image: object) -> np.ndarray:
    """Validate the API's image contract (RGB uint8 HxWx3)."""
    if not isinstance(image, np.ndarray):
        raise InvalidInput(f"image must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        hint = " (split off the alpha channel first: image[..., :3])" if image.ndim == 3 and image.shape[2] == 4 else ""
        raise InvalidInput(f"image must be RGB uint8 HxWx3, got {image.dtype} {image.shape}{hint}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidInput(f"image is empty: {image.shape}")
    return image


def check_mask(mask: object, *, shape: tuple[int, int]) -> np.ndarray:
    """Validate the hole mask: bool HxW (integer arrays are accepted, nonzero = hole)."""
    if not isinstance(mask, np.ndarray):
        raise InvalidInput(f"mask must be a numpy array, got {type(mask).__name__}")
    if mask.shape != tuple(shape):
        raise InvalidInput(f"mask shape {mask.shape} does not match the image {tuple(shape)}")
    if mask.dtype == np.bool_:
        return mask
    if np.issubdtype(mask.dtype, np.integer):
        return mask != 0
    raise InvalidInput(f"mask must be bool (True = hole), got {mask.dtype}")
