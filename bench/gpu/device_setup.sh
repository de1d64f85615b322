#!/usr/bin/env bash
# Source on the device machine, from the repository root, with .dev carried:
#     . bench/gpu/device_setup.sh
# Unpacks the kit that bench/gpu/make_kit.sh made (.dev/gpu-kit) into $QV (default /tmp/qv),
# builds DJL 0.36's JNI (libdjl_torch.so) against the installed torch with CUDA and puts it in
# torch/lib, where DJL's LibUtils looks first when PYTORCH_LIBRARY_PATH names that folder (the JNI
# on Maven Central is built for libtorch 2.7.1 and fails on data access against newer ones);
# builds the qvgen_lowbit ops library (quantizer/scripts/lowbit_ops.py) for the real low-bit path,
# loaded by DJL through PYTORCH_EXTRA_LIBRARY_PATH; exports DJL's settings and writes
# $QV/qvgen (the qvgen CLI on the kit's JRE). Build logs: $QV/jni.log, $QV/lowbit.log.
# The JNI is built with CMake as DJL's build.sh does; should CMake fail to configure against the
# pip wheel, the same sources are compiled directly with g++ and torch's include paths.
QV="${QV:-/tmp/qv}"
repo="$(pwd)"
kit="$repo/.dev/gpu-kit"
mkdir -p "$QV"
t0=$(date +%s)
for f in jre jars djl-src; do xz -dc "$kit/$f.tar.xz" | tar -C "$QV" -xf - || { echo "setup: cannot unpack $kit/$f.tar.xz"; return 1 2>/dev/null || exit 1; }; done

TORCH_DIR=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
TORCH_LIB="$TORCH_DIR/lib"
TORCH_CMAKE=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
SITE=$(dirname "$TORCH_DIR")
echo "setup: torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)') at $TORCH_DIR; nvcc $(nvcc --version | tail -1)"

build_jni() {
  local src="$QV/djl/engines/pytorch/pytorch-native" b="$QV/jni-build"
  if cmake -S "$src" -B "$b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" -DUSE_CUDA=1 \
      -DTORCH_CUDA_ARCH_LIST=9.0 -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DJAVA_INCLUDE_PATH="$QV/djl/jni" -DJAVA_INCLUDE_PATH2="$QV/djl/jni/linux" \
      -DJAVA_AWT_INCLUDE_PATH=NotNeeded -DJAVA_AWT_LIBRARY=NotNeeded -DJAVA_JVM_LIBRARY=NotNeeded \
      && cmake --build "$b" -j "$(nproc)"; then
    cp "$b/libdjl_torch.so" "$QV/libdjl_torch.so"
    echo "jni: built with CMake"
    return 0
  fi
  echo "jni: CMake failed; compiling with g++ and torch's include paths"
  local flags
  flags=$(python3 - <<'PY'
import torch
from torch.utils import cpp_extension as ce
try:
    inc = ce.include_paths(device_type="cuda")
except TypeError:
    inc = ce.include_paths(cuda=True)
print(" ".join("-I" + i for i in inc), "-D_GLIBCXX_USE_CXX11_ABI=%d" % int(torch._C._GLIBCXX_USE_CXX11_ABI))
PY
)
  mkdir -p "$QV/jni-gxx"
  export JNI_FLAGS="-O2 -fPIC -std=c++17 -DUSE_CUDA $flags -I$QV/djl/jni -I$QV/djl/jni/linux -I$src/build/include -I$QV/djl/api/src/main/native"
  ls "$src"/src/main/native/*.cc | xargs -P "$(nproc)" -I{} sh -c 'g++ $JNI_FLAGS -c "$1" -o "'"$QV"'/jni-gxx/$(basename "$1").o"' _ {} || return 1
  g++ -shared -o "$QV/libdjl_torch.so" "$QV"/jni-gxx/*.o -L"$TORCH_LIB" -ltorch -ltorch_cpu -lc10 -ltorch_cuda -lc10_cuda \
    -L/usr/local/cuda/lib64 -lcudart -Wl,-rpath,'$ORIGIN' || return 1
  echo "jni: built with g++"
}

build_lowbit() {
  python3 quantizer/scripts/lowbit_ops.py --build "$QV/lowbit" >/dev/null || return 1
  # DJL loads the library into a JVM, where libtorch_python (linked by cpp_extension for Python
  # modules) cannot resolve its Python symbols: relink without it if it was recorded as needed
  if readelf -d "$QV/lowbit/libqvgen_lowbit.so" | grep -q torch_python; then
    sed -i 's/ -ltorch_python//' "$QV/lowbit/build/build.ninja" && rm -f "$QV/lowbit/build/qvgen_lowbit.so" \
      && ninja -C "$QV/lowbit/build" && cp "$QV/lowbit/build/qvgen_lowbit.so" "$QV/lowbit/libqvgen_lowbit.so"
    echo "lowbit: relinked without libtorch_python"
  fi
  readelf -d "$QV/lowbit/libqvgen_lowbit.so" | grep NEEDED
}

build_jni > "$QV/jni.log" 2>&1 &
jni_pid=$!
build_lowbit > "$QV/lowbit.log" 2>&1 &
lowbit_pid=$!
wait $jni_pid; jni_rc=$?
wait $lowbit_pid; lowbit_rc=$?
echo "setup: jni rc=$jni_rc ($(tail -1 "$QV/jni.log")), lowbit rc=$lowbit_rc, $(( $(date +%s) - t0 )) s"
[ $jni_rc -ne 0 ] && tail -40 "$QV/jni.log"
[ $lowbit_rc -ne 0 ] && tail -40 "$QV/lowbit.log"
[ $jni_rc -eq 0 ] && cp "$QV/libdjl_torch.so" "$TORCH_LIB/libdjl_torch.so"

export PYTORCH_LIBRARY_PATH="$TORCH_LIB" PYTORCH_VERSION=2.11.0 PYTORCH_FLAVOR=cu130 OPT_OUT_TRACKING=true
[ $lowbit_rc -eq 0 ] && export PYTORCH_EXTRA_LIBRARY_PATH="$QV/lowbit/libqvgen_lowbit.so"
# DJL finds the GPUs and reads their memory through libcudart (JNA)
cudalibs="/usr/local/cuda/lib64$(for d in "$SITE"/nvidia/*/lib; do printf ':%s' "$d"; done)"
export LD_LIBRARY_PATH="$cudalibs:$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# the qvgen CLI on the kit's JRE, as a script so that timeout and subshells can run it
# (the environment is written into it, so a later script of the same call can run it without setting up again)
cat > "$QV/qvgen" <<SH
#!/usr/bin/env bash
export PYTORCH_LIBRARY_PATH="$PYTORCH_LIBRARY_PATH" PYTORCH_VERSION=$PYTORCH_VERSION PYTORCH_FLAVOR=$PYTORCH_FLAVOR OPT_OUT_TRACKING=true
${PYTORCH_EXTRA_LIBRARY_PATH:+export PYTORCH_EXTRA_LIBRARY_PATH="$PYTORCH_EXTRA_LIBRARY_PATH"}
export LD_LIBRARY_PATH="$LD_LIBRARY_PATH"
exec "$QV/jre/bin/java" \${QVGEN_JAVA_OPTS:--Xmx24g} -Dai.djl.offline=true -Djna.library.path="$LD_LIBRARY_PATH" \\
  -cp "$QV/jars/*:$QV/jars/lib/*" dev.qvgen.harness.Main "\$@"
SH
chmod +x "$QV/qvgen"
export QV
