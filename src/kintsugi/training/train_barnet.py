"""The bar segmentation network's training loop (nanoGPT-style: one loop, resumable).

    python -m kintsugi.training.train_barnet --out runs/barnet --minutes 80
    python -m kintsugi.training.train_barnet --out runs/barnet --minutes 30    # resumes
    python -m kintsugi.training.export runs/barnet/ckpt.pt src/kintsugi/weights/barnet.onnx

Samples come from kintsugi.training.bar_data (training art only). Loss: per-pixel binary cross
entropy plus soft Dice per channel (bar pixels are 1-5% of a batch's pixels per channel: Dice
weighs the rare class as much as the common one). Every ``val_every`` steps the EMA weights are scored on fixed crops of
the validation art (IoU per channel at p = 0.5), a line appended to ``log.jsonl``; the
checkpoint keeps config, step and fp16 EMA weights only (kintsugi.training.checkpoint).
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from kintsugi.training import checkpoint
from kintsugi.training.bar_data import bar_batch
from kintsugi.training.data import load_cache
from kintsugi.training.model import NetConfig, build
from kintsugi.training.train import batches


def _net() -> NetConfig:
    return NetConfig(arch="barnet", task="bars", widths=(16, 32, 48, 64, 96), res_blocks=(0, 1, 1, 2, 2))


@dataclass
class BarTrainConfig:
    net: NetConfig = field(default_factory=_net)
    data: str = "data/cache"
    batch: int = 16
    size: int = 128  # at the network's scale (kintsugi.detect.barnet.NET_SCALE)
    lr: float = 2e-3
    warmup: int = 200
    decay_steps: int = 4000  # cosine from lr to lr/20 over these steps, then flat
    ema: float = 0.995
    val_every: int = 200
    val_n: int = 64
    seed: int = 0
    threads: int = 2


def config_from_dict(d: dict) -> BarTrainConfig:
    return BarTrainConfig(net=NetConfig.from_dict(d.pop("net")), **d)


def lr_at(cfg: BarTrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = min(1.0, (step - cfg.warmup) / cfg.decay_steps)
    return cfg.lr / 20 + (cfg.lr - cfg.lr / 20) * 0.5 * (1 + math.cos(math.pi * t))


def to_tensors(images: np.ndarray, targets: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,H,W,3) uint8 and (B,2,H,W) bool (numpy, or tensors from a DataLoader) → (B,3,H,W)
    float [0,1] channels-last, (B,2,H,W) float."""
    x = torch.as_tensor(images).permute(0, 3, 1, 2).float().div_(255.0).contiguous(memory_format=torch.channels_last)
    return x, torch.as_tensor(targets).float()


def seg_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum(dim=(0, 2, 3))
    dice = 1 - (2 * inter + 1) / (p.sum(dim=(0, 2, 3)) + target.sum(dim=(0, 2, 3)) + 1)
    return bce + dice.mean()


@torch.no_grad()
def evaluate(net: torch.nn.Module, val: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
    """IoU per channel over all validation crops at p = 0.5, and the share of bar-free crops
    with a predicted bar pixel mass over 200 px (a false region)."""
    net.eval()
    x, y = val
    pred = torch.cat([net(x[i : i + 8]) for i in range(0, len(x), 8)]) > 0
    truth = y > 0.5
    out = {}
    for c, name in enumerate(("solid", "translucent")):
        inter = (pred[:, c] & truth[:, c]).sum().item()
        union = (pred[:, c] | truth[:, c]).sum().item()
        out[f"iou_{name}"] = inter / max(union, 1)
    clean = ~truth.flatten(1).any(1)
    false = pred.any(1).flatten(1).sum(1) > 200
    out["false_clean"] = (false & clean).sum().item() / max(clean.sum().item(), 1)
    net.train()
    return out


def _config(args: argparse.Namespace, path: Path) -> tuple[BarTrainConfig, dict | None]:
    """The checkpoint's config (a resumed run), or a fresh one with the command line's values."""
    if path.exists():
        state = checkpoint.load(path)
        return config_from_dict(dict(state["config"])), state
    cfg = BarTrainConfig()
    for name in ("batch", "size", "val_n", "val_every", "threads", "lr", "decay_steps", "seed"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    if args.widths:
        cfg.net.widths = tuple(int(v) for v in args.widths.split(","))
    if args.res_blocks:
        cfg.net.res_blocks = tuple(int(v) for v in args.res_blocks.split(","))
    return cfg, None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="train the bar segmentation network")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--max-steps", type=int, default=0, help="stop at this step (0: the time budget only)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda when there is one)")
    ap.add_argument("--workers", type=int, default=0, help="sample-building processes (0: in this process)")
    # A fresh run's shape and sampling (a resumed run takes its own from the checkpoint).
    for name in ("--batch", "--size", "--val-n", "--val-every", "--threads", "--decay-steps", "--seed"):
        ap.add_argument(name, type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--widths", help="comma-separated, e.g. 16,32,48,64,96")
    ap.add_argument("--res-blocks", help="comma-separated, one per width")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "ckpt.pt"
    cfg, state = _config(args, path)
    step, elapsed = (state["step"], state["elapsed"]) if state else (0, 0.0)
    if args.data:
        cfg.data = args.data
    device = torch.device(args.device if args.device != "auto" else "cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed + step)
    net = build(cfg.net)
    if state:
        net.load_state_dict(state["ema"])
    net = net.to(device, memory_format=torch.channels_last)
    ema = copy.deepcopy(net)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    data = Path(cfg.data)
    images = load_cache(data / "train.npz")
    val_batch = bar_batch(
        load_cache(data / "val.npz"), np.random.default_rng([cfg.seed, 999]), batch=cfg.val_n, size=cfg.size
    )
    val = [t.to(device) for t in to_tensors(*val_batch)]
    # bf16 autocast on a GPU (the loss and the optimiser stay float32); plain float32 on CPU.
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    print(f"config {json.dumps(asdict(cfg))}; device {device}, {args.workers} sample workers", flush=True)
    make = functools.partial(bar_batch, images, batch=cfg.batch, size=cfg.size)
    stream = batches(make, seed=cfg.seed, step=step, workers=args.workers)
    start = time.time()
    log = (args.out / "log.jsonl").open("a")
    while time.time() - start < args.minutes * 60 and not (args.max_steps and step >= args.max_steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, step)
        x, y = (t.to(device, non_blocking=True) for t in to_tensors(*next(stream)))
        with autocast:
            logits = net(x)
        loss = seg_loss(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema.state_dict().values(), net.state_dict().values()):
                if pe.is_floating_point():
                    pe.mul_(cfg.ema).add_(p, alpha=1 - cfg.ema)
                else:
                    pe.copy_(p)
        step += 1
        if step % cfg.val_every == 0:
            row = {"step": step, "loss": round(loss.item(), 4), "elapsed": round(elapsed + time.time() - start)}
            row.update({k: round(v, 4) for k, v in evaluate(ema, val).items()})
            print(json.dumps(row), flush=True)
            log.write(json.dumps(row) + "\n")
            log.flush()
            _save(path, cfg, ema, step=step, elapsed=elapsed + time.time() - start)
    _save(path, cfg, ema, step=step, elapsed=elapsed + time.time() - start)


def _save(path: Path, cfg: BarTrainConfig, ema: torch.nn.Module, *, step: int, elapsed: float) -> None:
    checkpoint.save(path, config=asdict(cfg), ema=ema.state_dict(), step=step, elapsed=elapsed)


if __name__ == "__main__":
    main()
