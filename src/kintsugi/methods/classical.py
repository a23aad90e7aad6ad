"""Classical inpainting with OpenCV: no model, no weights, works everywhere."""

from __future__ import annotations

import cv2
import numpy as np

# Neighbourhood radius of cv2.inpaint: the crop margin (16 px) comfortably covers it.
RADIUS = 5


def telea(image: np.ndarray, mask: np.ndarray, *, radius: int = RADIUS) -> np.ndarray:
    """Telea's fast marching method. image RGB uint8 HxWx3, mask bool HxW -> RGB uint8 HxWx3."""
    return _inpaint(image, mask, flags=cv2.INPAINT_TELEA, radius=radius)


def navier_stokes(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Navier-Stokes based inpainting; same contract as :func:`telea`."""
    return _inpaint(image, mask, flags=cv2.INPAINT_NS, radius=RADIUS)


def _inpaint(image: np.ndarray, mask: np.ndarray, *, flags: int, radius: int) -> np.ndarray:
    if mask.all():
        # Nothing to propagate from: OpenCV would return the hole unchanged (still green).
        # A flat mid-gray is an honest "no information" fill.
        return np.full_like(image, 128)
    # cv2.inpaint is channel-order agnostic, so RGB goes in and comes out as is.
    return cv2.inpaint(np.ascontiguousarray(image), np.ascontiguousarray(mask, np.uint8), radius, flags)
