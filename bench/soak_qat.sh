#!/usr/bin/env bash
# Soak benchmark for the native-crash class of bugs (issue #16): repeated toy QAT runs under CPU
# oversubscription, with the JVM and glibc set up to turn a use-after-free into a visible failure.
# Not a CI test: it takes tens of minutes. Results go to OUT/soak.csv and one summary line.
#
#   bench/soak_qat.sh [--runs 20] [--oversub 2] [--method lsq] [--bits w3a3] [--steps 160]
#                     [--batch 8] [--out runs/soak-qat] [--xcheck-jni] [--kill-run N]
#
# Per run:
#  - busy loops fill the machine so that QAT's intra-op threads plus the loops are OVERSUB x the
#    cores (the crash was seen only under heavy CPU load);
#  - a small young generation (frequent GCs, so a direct buffer whose Java owner was dropped is
#    freed at once) and MALLOC_PERTURB_ (freed memory is overwritten): a tensor that still points
#    into freed Java memory then computes different numbers or crashes; --xcheck-jni adds
#    -Xcheck:jni (DJL's JNI trips its local-reference warnings on every call, which prints a stack
#    trace each time and makes a step about 50x slower, so it is off by default);
#  - run --kill-run N (default 2) is killed with SIGKILL part-way, as a crash would end it, and is
#    run again: it must resume from its checkpoint and end with run 1's log;
#  - the step/loss/gradient-norm columns of log.csv are compared with run 1's: the toy QAT is
#    bit-identical per seed on the CPU, so any difference means memory was read after it was freed;
#  - a run that dies (non-zero exit, signal, hs_err file) is run again in the same directory
#    without the stress settings: it must resume from its checkpoint and finish.
# The jars are copied first, so rebuilding the checkout while the soak runs does not disturb it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=20 oversub=2 method=lsq bits=w3a3 steps=160 batch=8 out="$root/runs/soak-qat" xcheck= kill_run=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --oversub) oversub="$2"; shift 2 ;;
    --method) method="$2"; shift 2 ;;
    --bits) bits="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --xcheck-jni) xcheck=-Xcheck:jni; shift ;;
    --kill-run) kill_run="$2"; shift 2 ;;
    *) echo "soak_qat: unknown argument $1" >&2; exit 2 ;;
  esac
done
jar="$root/harness/target/harness-0.1.0-SNAPSHOT.jar"
[[ -f "$jar" ]] || { echo "soak_qat: build first (mvn -o -q -DskipTests package)" >&2; exit 2; }
mkdir -p "$out"
cp_dir="$out/classpath"
rm -rf "$cp_dir" && mkdir -p "$cp_dir" && cp "$jar" "$root"/harness/target/lib/*.jar "$cp_dir/"
cores=$(nproc)
busy=$(( cores * (oversub - 1) ))
pids=()
stop_busy() { for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done; }
trap stop_busy EXIT
for ((b = 0; b < busy; b++)); do
  ( while :; do :; done ) &
  pids+=($!)
done
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "run,exit,crashed,seconds,log_matches_run1,resume_exit" > "$out/soak.csv"
echo "soak_qat: $runs runs of toy qat --method $method --bits $bits --steps $steps --batch $batch;" \
  "$cores cores, $cores QAT threads + $busy busy loops; commit $commit" | tee "$out/soak.txt"
crashes=0 differs=0 resumed_ok=0
for ((i = 1; i <= runs; i++)); do
  dir="$out/run-$i"
  rm -rf "$dir"
  mkdir -p "$dir"
  t0=$(date +%s)
  set +e
  OPT_OUT_TRACKING=true MALLOC_PERTURB_=165 java -Xmx2g $xcheck -XX:+UseSerialGC -Xmn16m \
    -XX:ErrorFile="$dir/hs_err_pid%p.log" -Dai.djl.offline=true -cp "$cp_dir/*" dev.qvgen.harness.Main \
    toy qat --method "$method" --bits "$bits" --steps "$steps" --batch "$batch" --threads "$cores" \
    --out "$dir/qat" > "$dir/stdout.txt" 2>&1 &
  jvm=$!
  if [[ $i -eq $kill_run ]]; then
    # a crash stand-in: SIGKILL once the run is past its second checkpoint (log row count)
    while kill -0 "$jvm" 2>/dev/null && [[ $(wc -l < "$dir/qat/log.csv" 2>/dev/null || echo 0) -le $((steps * 5 / 8)) ]]; do
      sleep 1
    done
    kill -KILL "$jvm" 2>/dev/null && echo "soak_qat: run $i killed at log row $(wc -l < "$dir/qat/log.csv")"
  fi
  wait "$jvm"
  rc=$?
  set -e
  secs=$(( $(date +%s) - t0 ))
  crashed=no resume_rc=
  if [[ $rc -ne 0 ]] || compgen -G "$dir/hs_err_pid*.log" > /dev/null; then
    crashed=yes
    [[ $i -eq $kill_run ]] && crashed=killed || crashes=$((crashes + 1))
    set +e
    OPT_OUT_TRACKING=true java -Xmx2g -Dai.djl.offline=true -cp "$cp_dir/*" dev.qvgen.harness.Main \
      toy qat --method "$method" --bits "$bits" --steps "$steps" --batch "$batch" --threads "$cores" \
      --out "$dir/qat" > "$dir/resume.txt" 2>&1
    resume_rc=$?
    set -e
    if [[ $resume_rc -eq 0 ]]; then resumed_ok=$((resumed_ok + 1)); fi
  fi
  same=n/a
  if [[ -f "$dir/qat/log.csv" && -f "$out/run-1/qat/log.csv" ]]; then
    if cmp -s <(cut -d, -f1-3 "$dir/qat/log.csv") <(cut -d, -f1-3 "$out/run-1/qat/log.csv"); then
      same=yes
    else
      same=no differs=$((differs + 1))
    fi
  fi
  echo "$i,$rc,$crashed,$secs,$same,$resume_rc" >> "$out/soak.csv"
  echo "soak_qat: run $i exit $rc crashed $crashed ${secs}s log matches run 1: $same"
done
summary="soak_qat: $runs runs, $crashes crashed, run $kill_run killed on purpose; $resumed_ok of the stopped runs resumed to completion; $differs with a log that differs from run 1"
echo "$summary" | tee -a "$out/soak.txt"
[[ $crashes -eq 0 && $differs -eq 0 ]]
