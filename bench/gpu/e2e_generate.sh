#!/usr/bin/env bash
# One device call (at most about 9 minutes): end-to-end text-to-video generation with Wan2.1-T2V-1.3B
# at its published size (832x480, 81 frames, 50 steps, guidance 5: 100 transformer forwards), random
# weights, UMT5-XXL text encoder and the Wan VAE included, timed and memory-logged by `qvgen generate`
# (--time-only: the kit carries no FFmpeg, so no MP4 is written; --memory-log: device memory after
# loading, after the prompts are encoded, after denoising and after decoding, each line with the
# peak since the previous one):
#   (a) bf16, one prompt, one JVM;
#   (b) W4A4 RTN on the real FP8 kernel (--method rtn --bits w4a4 --kernel fp8), two prompts in one
#       JVM: its first video is (a)'s W4A4 row, the second the time per video once everything is warm.
# The text encoder runs in bf16 and is on the device only while the prompts are encoded; the
# quantized layers hold their FP8 codes without the dense bf16 weights (docs/PERFORMANCE.md).
# nvidia-smi samples the device memory every 0.5 s beside each JVM (whole device, CUDA context
# included) and its maximum is printed after the run.
#
# Run from the repository root with .dev carried (make the kit first: bash bench/gpu/make_kit.sh):
#     bash bench/gpu/e2e_generate.sh                # writes $OUT/e2e_log.txt
#     E2E_STEPS=2 bash bench/gpu/e2e_generate.sh    # smoke run: 2 steps, the same memory stages
# E2E_TIMEOUT caps each JVM (seconds, default 300); E2E_BUDGET (default 530) caps the whole script
# from its start, setup included, so a slow run still leaves its log inside the device call.
set -o pipefail
OUT="${OUT:-/tmp/out}"
STEPS="${E2E_STEPS:-50}"
BUDGET="${E2E_BUDGET:-530}"
T0=$(date +%s)
mkdir -p "$OUT"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  . bench/gpu/device_setup.sh
  printf '%s\n' "a red panda climbs a snowy pine tree at sunrise, cinematic" \
    "a sailboat crosses a calm bay under a cloudy sky, aerial view" > /tmp/prompts2.txt
  head -1 /tmp/prompts2.txt > /tmp/prompts1.txt
  for setting in "bf16:/tmp/prompts1.txt:" "w4a4-fp8:/tmp/prompts2.txt:--method rtn --bits w4a4 --kernel fp8"; do
    name="${setting%%:*}"; rest="${setting#*:}"; prompts="${rest%%:*}"; flags="${rest#*:}"
    left=$(( BUDGET - ($(date +%s) - T0) ))
    limit=$(( left < ${E2E_TIMEOUT:-300} ? left : ${E2E_TIMEOUT:-300} ))
    if (( limit < 60 )); then
      echo "e2e $name: skipped, $left s of the $BUDGET s budget left"
      continue
    fi
    rm -rf "/tmp/e2e-$name" # a rerun with other settings on a warm machine would be refused
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 > "/tmp/smi-$name.txt" &
    smi=$!
    t=$(date +%s)
    # shellcheck disable=SC2086
    timeout "$limit" "$QV/qvgen" generate --model wan2.1-t2v-1.3b --random-weights \
      --model-dir .dev/gpu-kit/wan-pipeline --prompts "$prompts" --out "/tmp/e2e-$name" --steps "$STEPS" \
      --device cuda:0 --precision bf16 --time-only --memory-log $flags
    rc=$?
    kill "$smi" 2>/dev/null; wait "$smi" 2>/dev/null
    echo "e2e $name: rc=$rc in $(( $(date +%s) - t )) s wall (JVM, random weights and all; limit $limit s)," \
      "nvidia-smi max $(sort -n "/tmp/smi-$name.txt" | tail -1) MiB used"
  done
  echo "e2e: $(( $(date +%s) - T0 )) s in all, $STEPS steps"
} 2>&1 | tee "$OUT/e2e_log.txt"
