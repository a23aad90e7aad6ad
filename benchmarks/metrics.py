"""Image quality metrics shared by the benchmark scripts (numpy + OpenCV)."""

from __future__ import annotations

import cv2
import numpy as np


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    """PSNR in dB of uint8 images (HxWx3), over the bool HxW `where` if given."""
    diff = a.astype(np.float64) - b.astype(np.float64)
    sq = diff[where] if where is not None else diff
    mse = float(np.mean(sq**2)) if sq.size else 0.0
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def l1(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    """Mean absolute error in [0,1] units over `where`."""
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))[where]
    return float(d.mean() / 255.0) if d.size else 0.0


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM (Wang et al. 2004, 11x11 Gaussian, sigma 1.5) averaged over channels: HxW."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    x, y = a.astype(np.float64), b.astype(np.float64)

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean(-1) if s.ndim == 3 else s


def ssim(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    s = ssim_map(a, b)
    return float(s[where].mean() if where is not None else s.mean())
