#!/usr/bin/env bash
# One device call (docs/PERFORMANCE.md, "QAT at the official clip size"): builds DJL's JNI (bench/gpu/
# device_setup.sh), then times QVGen QAT steps of Wan2.1-1.3B (49x480x832) and CogVideoX-2B (49x480x720)
# with K of their blocks at full width, random weights and inputs, batch 1, float32 (the zoo QAT's
# precision today), through `qvgen profile --qat-steps`. Run from the repository root with .dev carried:
#     bash bench/gpu/qat_step.sh        # writes $OUT/log.txt and the qat.csv files
set -o pipefail
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  . bench/gpu/device_setup.sh
  steps="${STEPS:-6}"
  for run in wan2.1-t2v-1.3b:832:2 wan2.1-t2v-1.3b:832:4 cogvideox-2b:720:2 cogvideox-2b:720:4; do
    IFS=: read -r model width k <<< "$run"
    t=$(date +%s)
    timeout 150 "$QV/qvgen" profile --model "$model" --random-weights --bits w4a4 --qat-steps "$steps" \
      --frames 49 --height 480 --width "$width" --layers "$k" --device cuda:0 --out "/tmp/qat-$model-$k"
    echo "qat $model $k blocks: rc=$? in $(( $(date +%s) - t )) s"
    cp "/tmp/qat-$model-$k/qat.csv" "$OUT/qat-$model-$k.csv" 2>/dev/null
  done
} 2>&1 | tee "$OUT/log.txt"
