"""Training checkpoints as the repository keeps them: config, step, wall-clock and the EMA
weights in float16 (the exported weights), nothing else. No optimiser state: a resumed run
starts its optimiser afresh from the EMA weights (AdamW's moments rebuild within a few hundred
steps), and a checkpoint of our 1.8 M-parameter network is 3.6 MB instead of 29.

    python -m kintsugi.training.checkpoint runs/*/ckpt.pt    # slim older, full checkpoints
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def half_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """float tensors → float16 (integer buffers such as batch-norm counters unchanged)."""
    return {k: (v.half() if v.is_floating_point() else v).cpu() for k, v in state.items()}


def save(path: Path, *, config: dict, ema: dict[str, torch.Tensor], step: int, elapsed: float) -> None:
    """Write atomically (temp name, then rename): a run killed mid-write keeps its last one."""
    tmp = path.with_suffix(".tmp")
    torch.save({"config": config, "ema": half_state(ema), "step": step, "elapsed": elapsed}, tmp)
    tmp.replace(path)


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def slim(path: Path) -> tuple[int, int]:
    """Rewrite a checkpoint in the kept form; (bytes before, bytes after)."""
    before = path.stat().st_size
    state = load(path)
    save(path, config=state["config"], ema=state["ema"], step=state["step"], elapsed=state["elapsed"])
    return before, path.stat().st_size


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="rewrite checkpoints as config + fp16 EMA weights")
    ap.add_argument("paths", type=Path, nargs="+")
    for path in ap.parse_args(argv).paths:
        before, after = slim(path)
        print(f"{path}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
