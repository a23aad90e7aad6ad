#!/usr/bin/env bash
# Train on a lent GPU machine for a fixed time and leave the checkpoint in $OUT (the device
# tool brings $OUT back). Prepare here first, then send data/pack along with the tree:
#
#   python -m kintsugi.training.pack --data data/cache --out data/pack --mib 24
#   run(command="bash scripts/gpu_train.sh", carry=["data/pack"], timeout_s=660)
#   run(command="TASK=barnet bash scripts/gpu_train.sh", carry=["data/pack"], timeout_s=660)
#
# TASK=inpaint (default): fine-tune the shipped run (runs/inpaint3) on 256 px crops with B&W
# manga pages, bf16 autocast, batches built by 14 worker processes; BATCH, SIZE and INIT
# override. Back here: python -m kintsugi.training.export OUT/run/ckpt.pt /tmp/gpu.onnx, then
# benchmarks/quality.py --extra gpu=/tmp/gpu.onnx decides whether it ships.
# TASK=barnet: a fresh bar segmentation network, wider than the CPU run's (widths 32-192), on
# 192 px crops at the network's scale, samples built by 15 worker processes (building them is
# the bottleneck, not the GPU); BATCH, SIZE and WORKERS override. Back here: export
# OUT/barnet/ckpt.pt to /tmp/barnet.onnx; the bars rows of benchmarks/censors.py with it
# installed as src/kintsugi/weights/barnet.onnx decide whether it ships.
# MINUTES and DECAY_STEPS override both.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONPATH=src
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
if [ "${TASK:-inpaint}" = barnet ]; then
  python -m kintsugi.training.train_barnet --out "$OUT/barnet" --data data/pack --device auto \
    --workers "${WORKERS:-15}" --threads 2 --batch "${BATCH:-64}" --size "${SIZE:-192}" --lr 2e-3 \
    --decay-steps "${DECAY_STEPS:-6000}" --val-every 250 --val-n 128 --seed 3 \
    --widths 32,64,96,128,192 --res-blocks 0,1,2,3,3 --minutes "${MINUTES:-9}" 2>&1 | tee "$OUT/barnet.log"
else
  python -m kintsugi.training.train --out "$OUT/run" --init "${INIT:-runs/inpaint3/ckpt.pt}" \
    --data data/pack --device auto --workers "${WORKERS:-14}" --threads 2 \
    --batch "${BATCH:-48}" --size "${SIZE:-256}" --lr 5e-4 --seed 11 --bw-fraction 0.3 \
    --decay-start 300 --decay-steps "${DECAY_STEPS:-6000}" --val-every "${VAL_EVERY:-500}" \
    --minutes "${MINUTES:-9}" 2>&1 | tee "$OUT/stdout.log"
fi
