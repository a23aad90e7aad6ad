"""The inpainting networks: nn.Modules only (no data, no I/O).

Both take image (B,3,H,W) float in [0,1] and mask (B,1,H,W) float, 1 = hole, with H and W
multiples of `NetConfig.multiple`, and return the repaired image (B,3,H,W) in [0,1] with the
known pixels passed through unchanged.

- `FillNet` (default): the input already holds a cheap classical first guess inside the hole
  (OpenCV Telea, made by `kintsugi.methods.model.prefill` both in training and at run time);
  a small U-Net sees that guess plus the mask and predicts a correction. On two CPU cores this
  learns much faster than learning the fill from scratch (measured: the pyramid fill we tried
  first was 0.12 L1 in the hole before training, Telea 0.078).
- `PConvUNet`: the partial-convolution U-Net of Liu et al. 2018, our own implementation, kept as
  the baseline row.

For mosaics (task "mosaic") the input holds the mosaic pixels under the mask, and FillNet
corrects them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class NetConfig:
    arch: str = "fillnet"  # "fillnet" | "pconv" | "barnet"
    task: str = "inpaint"  # "inpaint" | "mosaic" | "bars" (barnet)
    widths: tuple[int, ...] = (16, 32, 64, 96, 128)  # per scale 1, 1/2, 1/4, 1/8, 1/16
    res_blocks: tuple[int, ...] = (0, 1, 1, 3, 3)  # residual blocks per encoder scale

    @classmethod
    def from_dict(cls, d: dict) -> NetConfig:
        """From a checkpoint's config (JSON-like: tuples stored as lists)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    @property
    def multiple(self) -> int:
        return 2 ** (len(self.widths) - 1)


def act(x: torch.Tensor) -> torch.Tensor:
    # Leaky: in our first run (plain ReLU, no normalisation) every pre-head unit was dead
    # after 1,750 steps, and the network was stuck at its input.
    return F.leaky_relu(x, 0.1)


def conv_bn(cin: int, cout: int, *, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """3x3 conv + batch norm (folded into the conv at export, so free at run time).

    Without normalisation our first runs diverged: activations grew to thousands at 1/16 scale
    and a single bad step saturated the output for good (measured in three probes)."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False), nn.BatchNorm2d(cout)
    )


class ResBlock(nn.Module):
    def __init__(self, ch: int, dilation: int = 1):
        super().__init__()
        self.c1 = conv_bn(ch, ch, dilation=dilation)
        self.c2 = conv_bn(ch, ch)
        nn.init.zeros_(self.c2[1].weight)  # each block starts as the identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return act(x + self.c2(act(self.c1(x))))


class _UNet(nn.Module):
    """The U-Net body FillNet and BarNet share: a stem at full scale, strided stages with
    residual blocks down to 1/16, and a decoder that adds each skip back (features (B,w0,H,W))."""

    def __init__(self, cfg: NetConfig, in_channels: int):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        self.stem = nn.Sequential(conv_bn(in_channels, w[0]), nn.LeakyReLU(0.1), conv_bn(w[0], w[0]), nn.LeakyReLU(0.1))
        self.down = nn.ModuleList()
        for i in range(1, len(w)):
            # Deeper scales get dilated blocks: a wide receptive field for large holes, cheaply.
            blocks = [ResBlock(w[i], dilation=1 if (i < 3 or j % 2 == 0) else 2) for j in range(cfg.res_blocks[i])]
            self.down.append(nn.Sequential(conv_bn(w[i - 1], w[i], stride=2), nn.LeakyReLU(0.1), *blocks))
        self.proj = nn.ModuleList(nn.Conv2d(w[i], w[i - 1], 1) for i in range(len(w) - 1, 0, -1))
        self.fuse = nn.ModuleList(conv_bn(w[i - 1], w[i - 1]) for i in range(len(w) - 1, 0, -1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        skips = [x]
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        for proj, fuse, skip in zip(self.proj, self.fuse, reversed(skips[:-1])):
            x = F.interpolate(proj(x), scale_factor=2.0, mode="nearest") + skip
            x = act(fuse(x))
        return x


class FillNet(_UNet):
    def __init__(self, cfg: NetConfig):
        super().__init__(cfg, in_channels=4)
        self.head = nn.Conv2d(cfg.widths[0], 3, 3, padding=1)
        # Start close to the classical guess itself, but not at it: a zero head passes no
        # gradient back to the rest of the network.
        nn.init.normal_(self.head.weight, std=1e-3)
        nn.init.zeros_(self.head.bias)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.features(torch.cat([image * 2.0 - 1.0, mask], 1))
        # A bounded correction: an unbounded one let a single bad step push outputs to 10x the
        # pixel range and the run never recovered (measured at step 250 of a probe).
        out = image + torch.tanh(self.head(x))
        return image * (1.0 - mask) + out * mask


class PartialConv2d(nn.Conv2d):
    """Partial convolution (Liu et al. 2018): convolve only known pixels, renormalise by the
    fraction of the window that was known, and mark an output known if any input was."""

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        kh, kw = self.kernel_size
        with torch.no_grad():
            ones = torch.ones(1, 1, kh, kw, device=x.device, dtype=x.dtype)
            count = F.conv2d(valid, ones, stride=self.stride, padding=self.padding, dilation=self.dilation)
            new_valid = (count > 0).to(x.dtype)
            scale = (kh * kw) / count.clamp(min=1.0) * new_valid
        out = F.conv2d(x * valid, self.weight, None, self.stride, self.padding, self.dilation)
        out = out * scale + self.bias.view(1, -1, 1, 1)
        return out * new_valid, new_valid


class PConvUNet(nn.Module):
    """Baseline: partial-conv encoder on the masked image, plain-conv decoder with skips."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        self.enc = nn.ModuleList([PartialConv2d(3, w[0], 5, padding=2)])
        self.enc.extend(PartialConv2d(w[i - 1], w[i], 3, stride=2, padding=1) for i in range(1, len(w)))
        self.enc_mid = nn.ModuleList(PartialConv2d(w[i], w[i], 3, padding=1) for i in range(len(w)))
        # As in the paper: batch norm after every encoder layer but the first (our un-normalised
        # runs diverged, see conv_bn), and leaky ReLU 0.2 in the decoder.
        self.enc_bn = nn.ModuleList(nn.Identity() if i == 0 else nn.BatchNorm2d(w[i]) for i in range(len(w)))
        self.mid_bn = nn.ModuleList(nn.BatchNorm2d(w[i]) for i in range(len(w)))
        self.dec = nn.ModuleList(nn.Conv2d(w[i] + w[i - 1], w[i - 1], 3, padding=1) for i in range(len(w) - 1, 0, -1))
        self.head = nn.Conv2d(w[0] + 3, 3, 3, padding=1)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        valid = 1.0 - mask
        x, v = image * 2.0 - 1.0, valid
        skips = []
        for conv, bn, mid, mid_bn in zip(self.enc, self.enc_bn, self.enc_mid, self.mid_bn):
            x, v = conv(x, v)
            x = F.relu(bn(x))
            x, v = mid(x, v)
            x = F.relu(mid_bn(x))
            skips.append(x)
        x = skips.pop()
        for dec in self.dec:
            skip = skips.pop()
            x = F.leaky_relu(dec(torch.cat([F.interpolate(x, scale_factor=2.0, mode="nearest"), skip], 1)), 0.2)
        out = torch.sigmoid(self.head(torch.cat([x, image * valid], 1)))
        return image * valid + out * mask


class BarNet(_UNet):
    """Censor-bar segmentation: image (B,3,H,W) in [0,1] → logits (B,2,H,W), channel 0 solid
    bars, channel 1 translucent bars. FillNet's body without a mask input; its 1/16 scale with
    dilated blocks sees a 60 px bar and both of its sides at once."""

    def __init__(self, cfg: NetConfig):
        super().__init__(cfg, in_channels=3)
        self.head = nn.Conv2d(cfg.widths[0], 2, 3, padding=1)
        nn.init.constant_(self.head.bias, -4.0)  # bars are rare: start near p = 0.02

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(image * 2.0 - 1.0))


_ARCHS = {"fillnet": FillNet, "pconv": PConvUNet, "barnet": BarNet}


def build(cfg: NetConfig) -> nn.Module:
    """Registry-backed builder: the config alone decides the network."""
    return _ARCHS[cfg.arch](cfg)
