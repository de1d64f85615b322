#!/usr/bin/env bash
# A GPU sweep of toy training configurations (written 2026-12-07).
# On the device, .dev carried (gpu kit + .dev/qvjars = this worktree's module jars):
#   bash bench/gpu/toy_sweep.sh "name:args" ...
# Trains each toy config on cuda:0 in parallel and tars each model (or its last checkpoint) to $OUT/<name>.tar.
set -u
if [ -x "${QV:-/tmp/qv}/qvgen" ]; then
  QV="${QV:-/tmp/qv}"  # set up earlier in this call (e.g. by lowbit_side_by_side.sh)
else
  . bench/gpu/device_setup.sh
fi
# a worktree's own module jars, when carried (else the kit's)
[ -d .dev/qvjars ] && cp .dev/qvjars/*.jar "$QV/jars/" && cp .dev/qvjars/lib/*.jar "$QV/jars/lib/"
mkdir -p /tmp/toyw
budget="${SWEEP_SECONDS:-420}"
dthreads="${SWEEP_DATA_THREADS:-3}"
pids=()
for spec in "$@"; do
  name="${spec%%:*}"; args="${spec#*:}"
  ( t0=$(date +%s)
    timeout "$budget" "$QV/qvgen" toy train --device cuda:0 --threads 2 --data-threads "$dthreads" --work "/tmp/toyw/$name-work" --out "/tmp/toyw/$name" $args > "/tmp/toyw/$name.log" 2>&1
    rc=$?
    echo "$name rc=$rc $(( $(date +%s) - t0 )) s args=$args" >> "$OUT/sweep.txt"
    if [ -d "/tmp/toyw/$name" ]; then d="/tmp/toyw/$name"; else d="/tmp/toyw/$name-work/checkpoint"; cp "/tmp/toyw/$name-work/training_log.csv" "$d/" 2>/dev/null; fi
    tail -3 "/tmp/toyw/$name.log" | tr '\r' '\n' | tail -3 >> "$OUT/sweep.txt"
    tar -C "$d" -cf "$OUT/$name.tar" . ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
nvidia-smi --query-gpu=name --format=csv,noheader >> "$OUT/sweep.txt"
