#!/usr/bin/env bash
# One device call (docs/PERFORMANCE.md, "QAT at the official clip size"): builds DJL's JNI
# (bench/gpu/device_setup.sh), then times QVGen W4A4 QAT of Wan2.1-1.3B (49x480x832, 32,760 tokens)
# and CogVideoX-2B (49x480x720, 17,550 + 226 tokens) with all 30 blocks at the published sizes,
# random weights and inputs, through `qvgen profile --qat-steps`: float32 master weights with
# bfloat16 products and a bfloat16 teacher, per-block activation checkpointing, ACCUM micro-batches
# of one sample per optimizer step (STEPS steps, the first one a warm-up); then bench/qat_reference.py,
# the same step in plain PyTorch (one warm-up step, then STEPS-1 timed),
# in the same call on the same card. Run from the repository root with .dev carried:
#     bash bench/gpu/qat_step.sh        # writes $OUT/log.txt, the qat.csv files and qat_ref.json
set -o pipefail
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  . bench/gpu/device_setup.sh
  steps="${STEPS:-3}"
  accum="${ACCUM:-3}"
  for run in wan2.1-t2v-1.3b:832 cogvideox-2b:720; do
    IFS=: read -r model width <<< "$run"
    t=$(date +%s)
    timeout "${QAT_TIMEOUT:-200}" "$QV/qvgen" profile --model "$model" --random-weights --bits w4a4 \
      --qat-steps "$steps" --grad-accum "$accum" --precision bf16 --frames 49 --height 480 --width "$width" \
      --device cuda:0 --out "/tmp/qat-$model"
    echo "qat $model: rc=$? in $(( $(date +%s) - t )) s"
    cp "/tmp/qat-$model/qat.csv" "$OUT/qat-$model.csv" 2>/dev/null
    cp "/tmp/qat-$model/qat-work/log.csv" "$OUT/qat-log-$model.csv" 2>/dev/null
  done
  t=$(date +%s)
  timeout "${REF_TIMEOUT:-180}" python3 bench/qat_reference.py --model wan2.1-t2v-1.3b cogvideox-2b --frames 49 \
    --height 480 --grad-accum "$accum" --steps "$((steps - 1))" --warmup 1 --bits w4a4 --precision lite --device cuda \
    --out "$OUT/qat_ref.json"
  echo "qat_reference: rc=$? in $(( $(date +%s) - t )) s"
} 2>&1 | tee "$OUT/log.txt"
