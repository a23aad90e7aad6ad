#!/usr/bin/env bash
# Train on a lent GPU machine for a fixed time and leave the checkpoint in $OUT (the device
# tool brings $OUT back). Prepare here first, then send data/pack along with the tree:
#
#   python -m kintsugi.training.pack --data data/cache --out data/pack --mib 24
#   run(command="bash scripts/gpu_train.sh", carry=["data/pack"], timeout_s=660)
#
# Default: fine-tune the shipped run (runs/inpaint3) on 256 px crops with B&W manga pages, bf16
# autocast, batches built by 14 worker processes. MINUTES, BATCH, SIZE and INIT override.
# Back here: python -m kintsugi.training.export OUT/run/ckpt.pt /tmp/gpu.onnx, then
# benchmarks/quality.py --extra gpu=/tmp/gpu.onnx decides whether it ships.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONPATH=src
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python -m kintsugi.training.train --out "$OUT/run" --init "${INIT:-runs/inpaint3/ckpt.pt}" \
  --data data/pack --device auto --workers "${WORKERS:-14}" --threads 2 \
  --batch "${BATCH:-48}" --size "${SIZE:-256}" --lr 5e-4 --seed 11 --bw-fraction 0.3 \
  --decay-start 300 --decay-steps "${DECAY_STEPS:-6000}" --val-every "${VAL_EVERY:-500}" \
  --minutes "${MINUTES:-9}" 2>&1 | tee "$OUT/stdout.log"
