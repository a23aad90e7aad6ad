"""kintsugi: repair green-painted regions and mosaics in anime, manga and illustration images.

import kintsugi
repaired = kintsugi.inpaint(image, mask)                 # RGB uint8 HxWx3, bool HxW
restored = kintsugi.restore_mosaic(original, mask)       # the un-painted mosaic image
kintsugi.methods()                                       # -> list of MethodInfo
"""

from __future__ import annotations

import numpy as np

from kintsugi import engine, methods
from kintsugi.errors import KintsugiError

__all__ = ["KintsugiError", "inpaint", "methods", "restore_mosaic"]
__version__ = "0.1.0"


def inpaint(image: np.ndarray, mask: np.ndarray, *, method: str | None = None) -> np.ndarray:
    """Fill the hole (``mask`` True) of ``image`` with an inpainting method (default: the best
    available). Pixels outside the hole are returned unchanged."""
    return engine.fill_holes(image, mask, method=method, kind="inpaint")


def restore_mosaic(image: np.ndarray, mask: np.ndarray, *, method: str | None = None) -> np.ndarray:
    """Restore the mosaic under ``mask`` in ``image``, the original (un-painted) picture."""
    return engine.fill_holes(image, mask, method=method, kind="mosaic")
