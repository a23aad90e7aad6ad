"""One straight, resumable training loop (nanoGPT-style).

    python -m kintsugi.training.train --out runs/inpaint --minutes 120
    python -m kintsugi.training.train --out runs/inpaint --minutes 60     # resumes

The config dataclass is stored in the checkpoint; a resumed run takes it from there (command-line
values for the time budget only). Every `val_every` steps the EMA weights are scored on a fixed
validation set and a line is appended to `log.jsonl` beside the checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from kintsugi.training import checkpoint
from kintsugi.training.data import fixed_val_set, load_cache, make_batch
from kintsugi.training.losses import inpaint_loss, lowpass_l1, masked_l1
from kintsugi.training.model import NetConfig, build


@dataclass
class TrainConfig:
    net: NetConfig = field(default_factory=NetConfig)
    data: str = "data/cache"
    batch: int = 16
    size: int = 128
    lr: float = 1e-3
    warmup: int = 200
    decay_start: int = 1_000_000  # constant LR until here, then cosine to lr/20 over decay_steps
    decay_steps: int = 10_000
    ema: float = 0.998
    synth_fraction: float = 0.2
    bw_fraction: float = 0.0  # share of samples turned into B&W manga pages (0 in runs before session 6)
    val_every: int = 250
    val_n: int = 64
    seed: int = 0
    threads: int = 2
    init: str = ""  # "PATH@STEP" of the checkpoint whose weights a fine-tuning run started from
    grad_weight: float = 0.5  # weight of the gradient L1 term (losses.inpaint_loss)
    lowpass: float = 0.0  # weight of the sigma-2 low-pass L1 term (0 in runs before session 10)


def to_tensors(
    batch: tuple[np.ndarray, np.ndarray, np.ndarray], device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, ...]:
    """inputs, truths (B,H,W,3) uint8 and masks (B,H,W) bool → (B,3,H,W), (B,3,H,W) float in
    [0,1] and (B,1,H,W) float on ``device``, channels-last (measured 25% faster on this CPU)."""
    cl = torch.channels_last
    inp, truth, masks = (torch.from_numpy(np.ascontiguousarray(a)).to(device, non_blocking=True) for a in batch)
    x = inp.permute(0, 3, 1, 2).float().div_(255.0).contiguous(memory_format=cl)
    y = truth.permute(0, 3, 1, 2).float().div_(255.0).contiguous(memory_format=cl)
    m = masks.unsqueeze(1).float().contiguous(memory_format=cl)
    return x, y, m


class BatchStream(torch.utils.data.IterableDataset):
    """Endless training batches (numpy) built in DataLoader worker processes, each worker with
    its own random stream: on a GPU machine, building batches (Telea pre-fill included) on one
    core would leave the GPU idle. ``make(rng)`` builds one batch."""

    def __init__(self, make: Callable[[np.random.Generator], tuple], *, seed: int, step: int) -> None:
        self.make, self.seed, self.step = make, seed, step

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, self.step, info.id if info else 0])
        while True:
            yield self.make(rng)


def _batch(images: list[np.ndarray], rng: np.random.Generator, cfg: TrainConfig):
    return make_batch(
        images,
        rng,
        batch=cfg.batch,
        size=cfg.size,
        synth_fraction=cfg.synth_fraction,
        bw_fraction=cfg.bw_fraction,
        task=cfg.net.task,
    )


def batches(make: Callable[[np.random.Generator], tuple], *, seed: int, step: int, workers: int):
    """Batches of ``make(rng)`` forever: built in this process (workers=0, the CPU default: two
    cores have none to spare), or by ``workers`` processes."""
    if workers == 0:
        rng = np.random.default_rng([seed, step])  # a resumed run draws fresh batches
        while True:
            yield make(rng)
    loader = torch.utils.data.DataLoader(
        BatchStream(make, seed=seed, step=step),
        batch_size=None,
        num_workers=workers,
        prefetch_factor=4,
        pin_memory=torch.cuda.is_available(),
    )
    yield from loader


def lr_at(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if step < cfg.decay_start:
        return cfg.lr
    t = min(1.0, (step - cfg.decay_start) / cfg.decay_steps)
    return cfg.lr / 20 + (cfg.lr - cfg.lr / 20) * 0.5 * (1 + math.cos(math.pi * t))


def baseline(batch: tuple[np.ndarray, np.ndarray, np.ndarray], task: str) -> tuple[str, np.ndarray]:
    """The classical answer the network must beat: Telea for holes, the mosaic itself for mosaics."""
    inp, _, masks = batch
    if task == "mosaic":
        return "nearest", inp
    return "telea", np.stack([cv2.inpaint(i, m.astype(np.uint8), 3, cv2.INPAINT_TELEA) for i, m in zip(inp, masks)])


def config_from_dict(d: dict) -> TrainConfig:
    return TrainConfig(net=NetConfig.from_dict(d.pop("net")), **d)


def load_checkpoint(path: Path) -> dict:
    return checkpoint.load(path)


@torch.no_grad()
def evaluate(model: torch.nn.Module, val: tuple[torch.Tensor, ...], *, lowpass: bool = False) -> float:
    """Mean L1 inside the hole on the fixed validation crops (on the model's device); with
    ``lowpass``, of the two images blurred at sigma 2."""
    device = next(model.parameters()).device
    x, y, m = (t.to(device) for t in val)
    model.eval()
    out = torch.cat([model(x[i : i + 16], m[i : i + 16]) for i in range(0, len(x), 16)])
    model.train()
    return float((lowpass_l1 if lowpass else masked_l1)(out, y, m))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="train the kintsugi inpainting network")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget of this run")
    ap.add_argument("--max-steps", type=int, default=10**9)
    ap.add_argument("--arch", default="fillnet")
    ap.add_argument("--task", default="inpaint")
    ap.add_argument("--data", default="data/cache")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--threads", type=int, help="torch threads (default 2, or the checkpoint's)")
    ap.add_argument("--val-n", type=int, default=64)
    ap.add_argument("--val-every", type=int, default=250)
    ap.add_argument("--decay-start", type=int, help="begin the final cosine decay at this step")
    ap.add_argument("--decay-steps", type=int)
    ap.add_argument("--widths", help="channels per scale, e.g. 16,32,64,96,128 (new runs only)")
    ap.add_argument("--res-blocks", help="residual blocks per scale, e.g. 0,1,1,3,3 (new runs only)")
    ap.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (new runs only)")
    ap.add_argument("--seed", type=int, default=0, help="seed of batches and masks (new runs only)")
    ap.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda when there is one)")
    ap.add_argument("--workers", type=int, default=0, help="batch-building processes (0: in this process)")
    ap.add_argument("--bw-fraction", type=float, default=0.0, help="share of B&W manga samples (new runs only)")
    ap.add_argument("--grad-weight", type=float, default=0.5, help="weight of the gradient loss (new runs only)")
    ap.add_argument("--lowpass", type=float, default=0.0, help="weight of the low-pass loss (new runs only)")
    ap.add_argument(
        "--init",
        type=Path,
        help="start a new run from this checkpoint's weights and network (fresh optimiser and step count)",
    )
    args = ap.parse_args(argv)

    ckpt_path = args.out / "ckpt.pt"
    state = load_checkpoint(ckpt_path) if ckpt_path.exists() else None
    init = load_checkpoint(args.init) if args.init and not state else None
    if state:
        cfg = config_from_dict(dict(state["config"]))
    else:
        shape = {
            k: tuple(int(v) for v in getattr(args, k).split(",")) for k in ("widths", "res_blocks") if getattr(args, k)
        }
        # Fine-tuning keeps the network of the run it starts from; batch, crop size and LR are new.
        net = config_from_dict(dict(init["config"])).net if init else NetConfig(arch=args.arch, task=args.task, **shape)
        cfg = TrainConfig(
            net=net,
            data=args.data,
            batch=args.batch,
            size=args.size,
            lr=args.lr,
            seed=args.seed,
            bw_fraction=args.bw_fraction,
            grad_weight=args.grad_weight,
            lowpass=args.lowpass,
            val_n=args.val_n,
            val_every=args.val_every,
            init=f"{args.init}@{init['step']}" if init else "",
        )
    # The schedule and the thread count may change on resume; the network and data may not.
    knobs = {"decay_start": args.decay_start, "decay_steps": args.decay_steps, "threads": args.threads}
    cfg = dataclasses.replace(cfg, **{k: v for k, v in knobs.items() if v is not None})
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)

    device = torch.device(args.device if args.device != "auto" else "cuda" if torch.cuda.is_available() else "cpu")
    model = build(cfg.net).to(device, memory_format=torch.channels_last)
    ema = build(cfg.net).to(device, memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    step, elapsed = 0, 0.0
    if state:
        # Kept checkpoints hold the EMA weights only (checkpoint.py): training resumes from
        # them with a fresh optimiser. Older full checkpoints still resume exactly.
        model.load_state_dict(state.get("model", state["ema"]))
        ema.load_state_dict(state["ema"])
        if "opt" in state:
            opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
    elif init:
        model.load_state_dict(init["ema"])  # the averaged weights are the better starting point
        ema.load_state_dict(init["ema"])
    else:
        ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    ema.float()  # kept checkpoints store float16

    data = Path(cfg.data)
    train_images = load_cache(data / "train.npz")
    val_images = load_cache(data / "val.npz")
    val_np = fixed_val_set(val_images, n=cfg.val_n, size=cfg.size, task=cfg.net.task)
    val = to_tensors(val_np)
    # Runs that train on manga pages are also scored on B&W versions of the same crops.
    val_bw = (
        to_tensors(fixed_val_set(val_images, n=cfg.val_n, size=cfg.size, manga=True))
        if cfg.bw_fraction and cfg.net.task == "inpaint"
        else None
    )
    base_name, base_out = baseline(val_np, cfg.net.task)
    base_l1 = float(masked_l1(to_tensors((base_out, *val_np[1:]))[0], val[1], val[2]))
    baselines = {base_name: base_l1}
    if init:  # the weights we start from, on this run's own validation crops
        baselines["start"] = evaluate(ema, val)
        if cfg.lowpass:
            baselines["start_lp"] = evaluate(ema, val, lowpass=True)
        if val_bw is not None:
            baselines["start_bw"] = evaluate(ema, val_bw)
    args.out.mkdir(parents=True, exist_ok=True)
    log = open(args.out / "log.jsonl", "a")
    print(f"config {json.dumps(asdict(cfg))}; device {device}, {args.workers} batch workers")
    print(f"resume at step {step}, {elapsed / 60:.1f} min so far; baselines {baselines}", flush=True)

    stream = batches(functools.partial(_batch, train_images, cfg=cfg), seed=cfg.seed, step=step, workers=args.workers)
    # bf16 autocast on a GPU (the loss and the optimiser stay float32); plain float32 on CPU.
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    t_start, t_last = time.time(), time.time()
    run_losses: list[float] = []

    def save() -> None:
        checkpoint.save(ckpt_path, config=asdict(cfg), ema=ema.state_dict(), step=step, elapsed=elapsed)

    while step < args.max_steps and time.time() - t_start < args.minutes * 60:
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, step)
        x, y, m = to_tensors(next(stream), device)
        with autocast:
            out = model(x, m)
        losses = inpaint_loss(out.float(), y, m, grad_weight=cfg.grad_weight, lowpass=cfg.lowpass)
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1.0 - cfg.ema)
            for be, bm in zip(ema.buffers(), model.buffers()):  # batch-norm statistics
                be.copy_(bm)
        step += 1
        run_losses.append(float(losses["total"].detach()))
        now = time.time()
        elapsed += now - t_last
        t_last = now
        if step % cfg.val_every == 0:
            val_l1 = evaluate(ema, val)
            rec = {
                "step": step,
                "minutes": round(elapsed / 60, 2),
                "lr": lr_at(cfg, step),
                "train_loss": round(float(np.mean(run_losses)), 5),
                "val_l1_hole": round(val_l1, 5),
                **({"val_lp_hole": round(evaluate(ema, val, lowpass=True), 5)} if cfg.lowpass else {}),
                **({"val_l1_hole_bw": round(evaluate(ema, val_bw), 5)} if val_bw is not None else {}),
                **{f"val_l1_{k}": round(v, 5) for k, v in baselines.items()},
            }
            run_losses.clear()
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(json.dumps(rec), flush=True)
            save()
    save()
    print(f"stopped at step {step}, {elapsed / 60:.1f} min in all", flush=True)


if __name__ == "__main__":
    main()
