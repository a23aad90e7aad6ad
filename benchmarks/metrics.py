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


# The texture and line measures of issue 13: all inside the hole, sigma-2 Gaussian as the
# boundary between structure (low-pass) and detail (high-pass).
SIGMA = 2.0


def _blur(a: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(a.astype(np.float32), (0, 0), SIGMA)


def lowpass_l1(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    """L1 (in [0,1] units) between the sigma-2 blurs of two uint8 images, over `where`: the
    structure error, blind to texture phase."""
    d = np.abs(_blur(a) - _blur(b))[where]
    return float(d.mean() / 255.0) if d.size else 0.0


def lowpass_psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    """PSNR between the sigma-2 blurs of two uint8 images, over `where`: the structure's error,
    blind to the phase of a screen or of hatching (which no block mean records)."""
    d = (_blur(a) - _blur(b))[where]
    mse = float(np.mean(d**2)) if d.size else 0.0
    return 100.0 if mse <= 1e-10 else float(10 * np.log10(255.0**2 / mse))


def detail(a: np.ndarray, where: np.ndarray) -> float:
    """Amount of detail: std of (image - its sigma-2 blur) over `where`, channels pooled."""
    hp = (a.astype(np.float32) - _blur(a))[where]
    return float(hp.std()) if hp.size else 0.0


def edge_f1(a: np.ndarray, truth: np.ndarray, where: np.ndarray, *, tol: int = 2) -> float:
    """F1 of Canny edges of `a` against the truth's inside `where`, an edge counting as found
    within `tol` px. NaN when neither has an edge there (nothing to score)."""

    def edges(x: np.ndarray) -> np.ndarray:
        return cv2.Canny(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), 50, 150) > 0

    ea, et = edges(a) & where, edges(truth) & where
    if not ea.any() and not et.any():
        return float("nan")
    if not ea.any() or not et.any():
        return 0.0
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    near_t = cv2.dilate(et.astype(np.uint8), kernel) > 0
    near_a = cv2.dilate(ea.astype(np.uint8), kernel) > 0
    precision = (ea & near_t).sum() / ea.sum()
    recall = (et & near_a).sum() / et.sum()
    return float(0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))


def colour_spread(a: np.ndarray, where: np.ndarray) -> int:
    """Largest RGB max-min over `where`: 0 when every pixel there is grey."""
    px = a[where].astype(np.int16)
    return int((px.max(1) - px.min(1)).max()) if px.size else 0
