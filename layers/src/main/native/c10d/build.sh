#!/usr/bin/env bash
# Builds the JNI binding of libtorch's c10d (TCPStore, ProcessGroupGloo) that data-parallel QAT
# uses when WORLD_SIZE > 1, from the one source qvgen_c10d.cpp (its header says why two files).
# Output: <repo>/target/native/libqvgen_c10d.so (+ libqvgen_c10d_core.so beside it). ./qvgen and
# the tests look there; elsewhere point QVGEN_C10D_LIB or -Dqvgen.c10d.lib at libqvgen_c10d.so.
#
# CPU build (default): the core against Debian's libtorch and gloo
#   (apt-get install -y libtorch-dev libgloo-dev), the JNI shim against nothing but libc.
# Same-libtorch build: QVGEN_SAME_LIBTORCH=1 TORCH_DIR=/path/to/torch build.sh — one library
#   against the libtorch DJL's JNI was built against (GPU machine), taking DJL's tensor handles.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../../.." && pwd)"
out="${OUT_DIR:-$repo/target/native}"
mkdir -p "$out"
java_home="${JAVA_HOME:-}"
if [[ -z "$java_home" ]]; then
  javac_path="$(readlink -f "$(command -v javac)")"
  java_home="$(dirname "$(dirname "$javac_path")")"
fi
if [[ ! -f "$java_home/include/jni.h" ]]; then
  echo "build.sh: no jni.h under JAVA_HOME=$java_home (set JAVA_HOME to a JDK)" >&2; exit 2
fi
src="$here/qvgen_c10d.cpp"
common=(-std=c++17 -O2 -fPIC -shared -Wall -fvisibility=hidden -Wl,--no-undefined)
jni=(-I"$java_home/include" -I"$java_home/include/linux")
if [[ -n "${QVGEN_SAME_LIBTORCH:-}" ]]; then
  : "${TORCH_DIR:?set TORCH_DIR to the torch install that the JNI of DJL is built against}"
  abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null || echo 1)
  g++ "${common[@]}" "${jni[@]}" -DQVGEN_SAME_LIBTORCH -DUSE_C10D_GLOO -D_GLIBCXX_USE_CXX11_ABI="$abi" \
    -I"$TORCH_DIR/include" -I"$TORCH_DIR/include/torch/csrc/api/include" "$src" \
    -o "$out/libqvgen_c10d.so.tmp" -L"$TORCH_DIR/lib" -Wl,-rpath,"$TORCH_DIR/lib" -ltorch_cpu -lc10
  mv "$out/libqvgen_c10d.so.tmp" "$out/libqvgen_c10d.so"
  echo "built $out/libqvgen_c10d.so (same libtorch as $TORCH_DIR)"
  exit 0
fi
for f in /usr/include/torch/csrc/distributed/c10d/ProcessGroupGloo.hpp /usr/include/gloo/rendezvous/store.h; do
  if [[ ! -f "$f" ]]; then
    echo "build.sh: $f is missing: apt-get install -y libtorch-dev libgloo-dev" >&2; exit 2
  fi
done
g++ "${common[@]}" -DQVGEN_CORE -DUSE_C10D_GLOO -I/usr/include/torch/csrc/api/include "$src" \
  -o "$out/libqvgen_c10d_core.so.tmp" -ltorch_cpu -lc10
g++ "${common[@]}" "${jni[@]}" -DQVGEN_SHIM "$src" -o "$out/libqvgen_c10d.so.tmp" -ldl
gcc -O2 -fPIC -shared -Wl,-soname,libgomp.so.1 -Wl,--version-script="$here/serial_gomp.map" "$here/serial_gomp.c" \
  -o "$out/libqvgen_serial_gomp.so"
mv "$out/libqvgen_c10d_core.so.tmp" "$out/libqvgen_c10d_core.so"
mv "$out/libqvgen_c10d.so.tmp" "$out/libqvgen_c10d.so"
echo "built $out/libqvgen_c10d.so and libqvgen_c10d_core.so (Debian libtorch, own link namespace)"
