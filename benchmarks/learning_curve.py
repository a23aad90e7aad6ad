"""Print a training run's learning curve from its log: validation L1 in the hole (EMA weights)
against the classical baseline the run logs beside it.

    python benchmarks/learning_curve.py runs/inpaint [runs/mosaic ...] [--every 1000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--every", type=int, default=1000, help="print one row per this many steps")
    args = ap.parse_args(argv)
    for run in args.runs:
        rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
        base_key = next(k for k in rows[0] if k.startswith("val_l1_") and k != "val_l1_hole")
        base = base_key.removeprefix("val_l1_")
        print(f"\n{run}  (val L1 in the hole, 0-1 units; baseline: {base})")
        print(f"{'step':>7} {'minutes':>8} {'lr':>9} {'train loss':>10} {'val L1':>8} {base:>8} {'ratio':>6}")
        picked = [r for r in rows if r["step"] % args.every == 0] or rows
        if picked[-1] is not rows[-1]:
            picked.append(rows[-1])
        for r in picked:
            ratio = r["val_l1_hole"] / r[base_key]
            print(
                f"{r['step']:7d} {r['minutes']:8.1f} {r['lr']:9.2e} {r['train_loss']:10.4f} "
                f"{r['val_l1_hole']:8.5f} {r[base_key]:8.5f} {ratio:6.3f}"
            )


if __name__ == "__main__":
    main()
