#!/usr/bin/env bash
# Train the bar segmentation network on a lent GPU machine for a fixed time and leave the
# checkpoint in $OUT (the device tool brings $OUT back). Prepare here first, then send
# data/pack along with the tree:
#
#   python -m kintsugi.training.pack --data data/cache --out data/pack --mib 24
#   run(command="bash scripts/gpu_train_barnet.sh", carry=["data/pack"], timeout_s=660)
#
# A fresh, wider network (widths 32-192) on 192 px crops at the network's scale, bf16 autocast,
# samples built by 15 worker processes (building them is the bottleneck, not the GPU).
# MINUTES, BATCH, SIZE, WORKERS and DECAY_STEPS override. Back here:
#   python -m kintsugi.training.export OUT/barnet/ckpt.pt /tmp/barnet.onnx
# and the bars rows of benchmarks/censors.py (with /tmp/barnet.onnx as weights/barnet.onnx)
# decide whether it ships.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONPATH=src
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python -m kintsugi.training.train_barnet --out "$OUT/barnet" --data data/pack --device auto \
  --workers "${WORKERS:-15}" --threads 2 --batch "${BATCH:-64}" --size "${SIZE:-192}" --lr 2e-3 \
  --decay-steps "${DECAY_STEPS:-6000}" --val-every 250 --val-n 128 --seed 3 \
  --widths 32,64,96,128,192 --res-blocks 0,1,2,3,3 --minutes "${MINUTES:-9}" 2>&1 | tee "$OUT/barnet.log"
