"""Export a trained checkpoint's EMA weights to ONNX and check the ONNX output against torch.

    python -m kintsugi.training.export runs/inpaint/ckpt.pt src/kintsugi/weights/inpaint.onnx

The graph takes image (1,3,H,W) float [0,1] (already prefilled in the hole) and mask (1,1,H,W)
float (1 = hole), with dynamic H and W (multiples of 16), and returns (1,3,H,W) in [0,1]. The bar
network's graph (a checkpoint of kintsugi.training.train_barnet) takes image alone and returns
probabilities (1,2,H,W): solid bars, translucent bars.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from kintsugi.training.model import NetConfig, build
from kintsugi.training.train import config_from_dict, load_checkpoint
from kintsugi.training.train_barnet import config_from_dict as bar_config_from_dict

PARITY_TOL = 1e-4  # max abs difference in [0,1] units; far below one 8-bit level (0.0039)


class Clamped(nn.Module):
    """The shipped graph clamps to [0,1] so the runtime only has to scale and round."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net(image, mask).clamp(0.0, 1.0)


class Probabilities(nn.Module):
    """The shipped bar graph gives probabilities: image (1,3,H,W) → (1,2,H,W) in [0,1]."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(image))


def _to_onnx(graph: nn.Module, path: Path, *, inputs: dict[str, torch.Tensor], output: str) -> None:
    """Export ``graph`` called on ``inputs`` (in order), every input and the output with
    dynamic height and width."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        graph.eval(),
        tuple(inputs.values()),
        str(path),
        input_names=list(inputs),
        output_names=[output],
        dynamic_axes={name: {2: "height", 3: "width"} for name in [*inputs, output]},
        opset_version=17,
        dynamo=False,
    )


def _difference(sess, graph: nn.Module, inputs: dict[str, torch.Tensor]) -> float:
    """Max |onnx - torch| of one call."""
    with torch.no_grad():
        ref = graph.eval()(*inputs.values()).numpy()
    got = sess.run(None, {name: t.numpy() for name, t in inputs.items()})[0]
    return float(np.abs(got - ref).max())


def export_barnet(net: nn.Module, path: Path, *, probe_hw: tuple[int, int] = (64, 96)) -> None:
    _to_onnx(Probabilities(net), path, inputs={"image": torch.rand(1, 3, *probe_hw)}, output="probability")


def parity_barnet(net: nn.Module, path: Path, *, sizes: tuple[tuple[int, int], ...] = ((64, 96), (128, 80))) -> float:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(0)
    inputs = ({"image": torch.rand(1, 3, h, w, generator=gen)} for h, w in sizes)
    return max(_difference(sess, Probabilities(net), one) for one in inputs)


def export(net: nn.Module, path: Path, *, probe_hw: tuple[int, int] = (64, 96)) -> None:
    h, w = probe_hw
    image = torch.rand(1, 3, h, w)
    mask = torch.zeros(1, 1, h, w)
    mask[..., h // 4 : h // 2, w // 4 : w // 2] = 1
    _to_onnx(Clamped(net), path, inputs={"image": image, "mask": mask}, output="output")


def parity(net: nn.Module, path: Path, *, sizes: tuple[tuple[int, int], ...] = ((64, 96), (128, 80))) -> float:
    """Max |onnx - torch| over random inputs at sizes other than the export probe's."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    gen = torch.Generator().manual_seed(0)
    for h, w in sizes:
        image = torch.rand(1, 3, h, w, generator=gen)
        mask = (torch.rand(1, 1, h, w, generator=gen) > 0.7).float()
        worst = max(worst, _difference(sess, Clamped(net), {"image": image, "mask": mask}))
    return worst


def net_from_checkpoint(state: dict) -> tuple[nn.Module, NetConfig]:
    config = dict(state["config"])
    cfg = (bar_config_from_dict if config["net"]["arch"] == "barnet" else config_from_dict)(config)
    net = build(cfg.net)
    net.load_state_dict(state["ema"])
    return net.eval(), cfg.net


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="export a checkpoint to ONNX and check parity")
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("onnx", type=Path)
    args = ap.parse_args(argv)
    state = load_checkpoint(args.checkpoint)
    net, net_cfg = net_from_checkpoint(state)
    barnet = net_cfg.arch == "barnet"
    (export_barnet if barnet else export)(net, args.onnx)
    err = (parity_barnet if barnet else parity)(net, args.onnx)
    if err > PARITY_TOL:
        raise SystemExit(f"parity check failed: max |onnx - torch| = {err:.2e} > {PARITY_TOL:.0e}")
    meta = {
        "task": net_cfg.task,
        "arch": net_cfg.arch,
        "multiple": net_cfg.multiple,
        "step": state["step"],
        "train_minutes": round(state["elapsed"] / 60, 1),
        "parity_max_abs": err,
    }
    if init := dict(state["config"]).get("init"):
        meta["init"] = init  # fine-tuned from this "PATH@STEP": its steps and minutes come on top
    args.onnx.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    print(
        f"exported {args.onnx} ({args.onnx.stat().st_size / 1e6:.1f} MB), step {state['step']}, "
        f"parity max abs {err:.2e}"
    )


if __name__ == "__main__":
    main()
