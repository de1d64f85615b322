#!/usr/bin/env bash
# One device call: end-to-end text-to-video generation with Wan2.1-T2V-1.3B at its published size
# (832x480, 81 frames, 50 steps, guidance 5: 100 transformer forwards), random weights, UMT5-XXL text
# encoder and the Wan VAE included, bf16 transformer against W4A4 on the real FP8 kernel (RTN codes),
# one JVM each, timed by `qvgen generate` (text encoder + denoising + VAE decode; --time-only: the
# kit carries no FFmpeg, so no MP4 is written). Run from the repository root with .dev carried:
#     bash bench/gpu/e2e_generate.sh        # writes $OUT/e2e_log.txt
set -o pipefail
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  . bench/gpu/device_setup.sh
  echo "a red panda climbs a snowy pine tree at sunrise, cinematic" > /tmp/prompt.txt
  for setting in "bf16:" "w4a4-fp8:--method rtn --bits w4a4 --kernel fp8"; do
    name="${setting%%:*}"; flags="${setting#*:}"
    t=$(date +%s)
    # shellcheck disable=SC2086
    timeout "${E2E_TIMEOUT:-200}" "$QV/qvgen" generate --model wan2.1-t2v-1.3b --random-weights \
      --model-dir .dev/gpu-kit/wan-pipeline --prompts /tmp/prompt.txt --out "/tmp/e2e-$name" --steps 50 \
      --device cuda:0 --precision bf16 --time-only $flags
    echo "e2e $name: rc=$? in $(( $(date +%s) - t )) s wall (JVM, random weights and all)"
    nvidia-smi --query-gpu=memory.used --format=csv,noheader
  done
} 2>&1 | tee "$OUT/e2e_log.txt"
