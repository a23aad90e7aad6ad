"""Losses that need no downloaded network. Tensors are (B,C,H,W); mask is (B,1,H,W), 1 = hole."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the weighted pixels (per channel)."""
    return ((pred - target).abs() * weight).sum() / (weight.sum() * pred.shape[1]).clamp(min=1.0)


def gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def gaussian_blur(x: torch.Tensor, sigma: float = 2.0) -> torch.Tensor:
    """Separable Gaussian blur of (B,C,H,W), 3 sigma each side, edges reflected: the low-pass
    that benchmarks/quality.py scores (OpenCV's 8-bit kernel size for sigma 2 is 13 taps too)."""
    r = int(round(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = (k / k.sum()).view(1, 1, 1, -1).repeat(x.shape[1], 1, 1, 1)  # (C,1,1,2r+1)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k, groups=x.shape[1])
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.transpose(2, 3), groups=x.shape[1])


def lowpass_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 in the hole between the two images blurred at sigma 2 (the structure error)."""
    return masked_l1(gaussian_blur(pred), gaussian_blur(target), mask)


def inpaint_loss(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *, grad_weight: float = 0.5, lowpass: float = 0.0
) -> dict[str, torch.Tensor]:
    """L1 in the hole at three scales (sharp detail and the right low frequencies) plus L1 of
    the image gradients on the hole and its rim (line work, and no seam at the border), weighted
    ``grad_weight``; with ``lowpass`` > 0, plus that weight times the sigma-2 low-pass L1 in the
    hole (a network that only gives `hybrid` its structure, whose detail is copied)."""
    rim = F.max_pool2d(mask, 5, stride=1, padding=2)
    l1 = masked_l1(pred, target, mask)
    ms = pred.new_zeros(())
    p, t, m = pred, target, mask
    for _ in range(2):
        p, t, m = F.avg_pool2d(p, 2), F.avg_pool2d(t, 2), F.avg_pool2d(m, 2)
        ms = ms + masked_l1(p, t, m)
    gx_p, gy_p = gradients(pred)
    gx_t, gy_t = gradients(target)
    grad = masked_l1(gx_p, gx_t, rim[..., :, 1:]) + masked_l1(gy_p, gy_t, rim[..., 1:, :])
    total = l1 + 0.5 * ms + grad_weight * grad
    out = {"l1": l1, "ms": ms, "grad": grad}
    if lowpass:
        out["lowpass"] = lowpass_l1(pred, target, mask)
        total = total + lowpass * out["lowpass"]
    return {"total": total, **out}
