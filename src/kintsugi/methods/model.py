"""Our learned fillers, run with ONNX Runtime (no torch at run time).

The networks are trained by `kintsugi.training` and exported to `kintsugi/weights/*.onnx`.
"""

from __future__ import annotations

import cv2
import numpy as np


def prefill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The classical first guess the network corrects: OpenCV Telea, radius 3.

    image RGB uint8 HxWx3, mask bool HxW (True = hole) → RGB uint8 HxWx3. Training calls this
    same function, so the network always sees the guess it was trained on.
    """
    return cv2.inpaint(image, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA)
