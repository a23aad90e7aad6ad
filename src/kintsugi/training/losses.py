"""Losses that need no downloaded network. Tensors are (B,C,H,W); mask is (B,1,H,W), 1 = hole."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over the weighted pixels (per channel)."""
    return ((pred - target).abs() * weight).sum() / (weight.sum() * pred.shape[1]).clamp(min=1.0)


def gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def inpaint_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """L1 in the hole at three scales (sharp detail and the right low frequencies) plus L1 of
    the image gradients on the hole and its rim (line work, and no seam at the border)."""
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
    total = l1 + 0.5 * ms + 0.5 * grad
    return {"total": total, "l1": l1, "ms": ms, "grad": grad}
