#!/usr/bin/env bash
# One device call (docs/SCALE-OUT.md, "Measured on one GPU"): how far one GPU goes with the models
# that do not fit it whole: QVGen W4A4 QAT steps of CogVideoX1.5-5B and Wan2.1-14B at full width with
# K of their blocks (42 and 40 in the published configs), random weights, the training clip size of
# the 1.3B/2B recipes (49 frames at 480x832 for Wan, 480x720 for CogVideoX), bf16 products and
# teacher, per-block activation checkpointing, AdamW's moments on the CPU (the recipe's offload).
# Run from the repository root with .dev carried:
#     bash bench/gpu/qat_big.sh        # writes $OUT/big_log.txt and the qat.csv files
set -o pipefail
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  . bench/gpu/device_setup.sh
  for run in ${RUNS:-cogvideox1.5-5b:720:12 wan2.1-t2v-14b:832:6}; do
    IFS=: read -r model width k <<< "$run"
    t=$(date +%s)
    timeout "${QAT_TIMEOUT:-230}" "$QV/qvgen" profile --model "$model" --random-weights --bits w4a4 --layers "$k" \
      --qat-steps "${STEPS:-3}" --grad-accum "${ACCUM:-2}" --precision bf16 --optimizer-on-cpu --frames 49 \
      --height 480 --width "$width" --device cuda:0 --out "/tmp/qat-$model-$k"
    echo "qat $model $k blocks: rc=$? in $(( $(date +%s) - t )) s"
    cp "/tmp/qat-$model-$k/qat.csv" "$OUT/qat-$model-$k.csv" 2>/dev/null
    nvidia-smi --query-gpu=memory.used --format=csv,noheader
  done
} 2>&1 | tee "$OUT/big_log.txt"
