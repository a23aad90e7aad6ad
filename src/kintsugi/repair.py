"""Repair found censors, each kind its own way (`kintsugi inpaint --auto`).

- solid bars: inpainted with the default inpainting method (looked up in the registry);
- mosaics: restored with the mosaic method (the network when installed);
- translucent bars: un-blended. out = a*c + (1-a)*art, so art = (out - a*c) / (1-a) with the
  bar's measured colour c and opacity a; only where that recovery is poor (values far outside
  0..255: the estimate does not fit there) is the pixel inpainted instead. On the bar's rim a
  pixel may lie just outside the true bar: it keeps whichever of its own value and its
  un-blended value agrees better with its neighbours.

Every pixel outside the censors' masks is bit-identical to the input.
"""

from __future__ import annotations

import cv2
import numpy as np

from kintsugi import engine
from kintsugi.detect.censors import Censor, Censors

# An un-blended value more than this far outside 0..255 means the blend estimate is wrong there.
_POOR = 12.0


def unblend(pixels: np.ndarray, *, colour: tuple[float, float, float], opacity: float) -> np.ndarray:
    """float32 Nx3 (or HxWx3): the art under a bar of ``colour`` (RGB) at ``opacity``, unclipped."""
    c = np.asarray(colour, np.float32)
    return (pixels.astype(np.float32) - opacity * c) / max(1.0 - opacity, 1e-3)


def unblend_censor(image: np.ndarray, censor: Censor) -> tuple[np.ndarray, np.ndarray]:
    """(recovered crop RGB uint8 over censor.box, poor bool mask over the box) for a translucent
    censor of ``image`` (RGB uint8 HxWx3). Pixels outside censor.mask are the input's."""
    crop = image[censor.box.slices]
    mask = censor.mask
    art = unblend(crop, colour=censor.colour, opacity=censor.opacity)  # hxwx3 float32
    poor = mask & ((art < -_POOR) | (art > 255 + _POOR)).any(axis=-1)
    recovered = crop.astype(np.float32)
    recovered[mask] = art[mask]
    # Rim: the mask's outermost pixels; each keeps the candidate closer to its neighbours' median
    # (neighbours taken from the provisional result, rim excluded).
    inner = cv2.erode(mask.view(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    rim = mask & ~(inner > 0)
    if rim.any():
        reference = cv2.medianBlur(np.clip(recovered, 0, 255).astype(np.uint8), 3).astype(np.float32)
        keep = np.abs(crop.astype(np.float32) - reference).sum(axis=-1) < np.abs(art - reference).sum(axis=-1)
        recovered[rim & keep] = crop[rim & keep]
        poor &= ~(rim & keep)
    return np.clip(np.rint(recovered), 0, 255).astype(np.uint8), poor


def repair_censors(
    image: np.ndarray,
    found: Censors,
    *,
    method: str | None = None,
    mosaic_method: str | None = None,
) -> np.ndarray:
    """Repair every censor in ``found`` over ``image`` (RGB uint8 HxWx3); a new array.

    ``method``: the inpainting method for bars and poorly recovered pixels (None: the registry's
    default); ``mosaic_method``: the mosaic method (None: its default)."""
    image = engine.check_image(image)
    result = image.copy()
    inpaint = found.mask("bar")
    for censor in found.censors:
        if censor.kind != "translucent":
            continue
        recovered, poor = unblend_censor(image, censor)
        view = result[censor.box.slices]
        view[censor.mask] = recovered[censor.mask]
        inpaint[censor.box.slices] |= poor
    mosaic = found.mask("mosaic")
    if mosaic.any():
        result = engine.fill_holes(result, mosaic, method=mosaic_method, kind="mosaic")
    if inpaint.any():
        result = engine.fill_holes(result, inpaint, method=method, kind="inpaint")
    return result
