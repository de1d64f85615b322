#!/usr/bin/env bash
# One device call (docs/PERFORMANCE.md, "DJL on CUDA: real low-bit kernels"): builds DJL's JNI and the
# qvgen_lowbit ops (bench/gpu/device_setup.sh), then, on the same GPU, `qvgen profile` of Wan2.1-1.3B
# and CogVideoX-2B at their published sizes (random weights, bf16; rows fp and W4A4 on the simulated,
# fp8 and fp8-packed kernels, one process per model) and bench/lowbit_reference.py (the same forwards
# in PyTorch), then diffusers' own transformers in the same process when .dev/diffusers.tar.xz is there
# (bench/gpu/make_kit.sh packs it; its source travels for the run and is never committed). The
# low-bit TorchScript modules are remade against the freshly built ops library first and put into
# the kit's jar (bench/gpu/replace_lowbit_modules.py; $OUT/modules holds them for committing).
# Run from the repository root with .dev carried:
#     bash bench/gpu/lowbit_side_by_side.sh        # writes $OUT/log.txt, profile tables, lowbit_ref.json
#     SKIP_REF=1 bash bench/gpu/lowbit_side_by_side.sh   # the DJL profiles only
#     AB_SHARE=1 ...   # also the real rows with each layer quantizing its own input (no shared codes)
set -o pipefail
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT/wan" "$OUT/cog"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader
  . bench/gpu/device_setup.sh
  runs="${RUNS:-5}"
  t=$(date +%s)
  python3 bench/gpu/replace_lowbit_modules.py "$QV/lowbit/libqvgen_lowbit.so" "$QV" "$OUT/modules"
  echo "modules: rc=$? in $(( $(date +%s) - t )) s"
  parts=exact,layers,forward
  diff_args=()
  if [ -f .dev/diffusers.tar.xz ]; then
    mkdir -p /tmp/diffusers && xz -dc .dev/diffusers.tar.xz | tar -C /tmp/diffusers -xf - \
      && parts=exact,layers,forward,diffusers && diff_args=(--diffusers /tmp/diffusers/src)
  fi
  for m in wan:wan2.1-t2v-1.3b cog:cogvideox-2b; do
    d="${m%%:*}"; model="${m#*:}"
    t=$(date +%s)
    timeout 200 "$QV/qvgen" profile --model "$model" --random-weights --bits fp,w4a4 \
      --kernel simulated,fp8,fp8-packed --precision bf16 --device cuda:0 --warmup 2 --runs "$runs" --out "/tmp/prof-$d"
    echo "profile $model: rc=$? in $(( $(date +%s) - t )) s"
    cp /tmp/prof-$d/profile.csv /tmp/prof-$d/profile.md "$OUT/$d/" 2>/dev/null
  done
  if [ -n "$AB_SHARE" ]; then
    # the same real rows with every layer quantizing its own input (the A/B of SharedActivationCodes)
    for m in wan:wan2.1-t2v-1.3b cog:cogvideox-2b; do
      d="${m%%:*}"; model="${m#*:}"
      t=$(date +%s)
      QVGEN_JAVA_OPTS="-Xmx24g -Dqvgen.lowbit.shareActivationCodes=false" timeout 200 "$QV/qvgen" profile \
        --model "$model" --random-weights --bits fp,w4a4 --kernel fp8 --precision bf16 --device cuda:0 \
        --warmup 2 --runs "$runs" --out "/tmp/prof-$d-noshare"
      echo "profile $model, codes not shared: rc=$? in $(( $(date +%s) - t )) s"
      mkdir -p "$OUT/$d-noshare" && cp /tmp/prof-$d-noshare/profile.md "$OUT/$d-noshare/" 2>/dev/null
    done
  fi
  [ -n "$SKIP_REF" ] && exit 0  # SKIP_REF=1: the DJL rows only
  t=$(date +%s)
  PYTHONUNBUFFERED=1 timeout 240 python3 bench/lowbit_reference.py --lib "$QV/lowbit/libqvgen_lowbit.so" \
    --out "$OUT/lowbit_ref.json" --parts "$parts" "${diff_args[@]}" --runs "$runs" --reps 15
  echo "lowbit_reference: rc=$? in $(( $(date +%s) - t )) s"
} 2>&1 | tee "$OUT/log.txt"
