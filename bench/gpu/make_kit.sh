#!/usr/bin/env bash
# Builds the GPU kit in .dev/gpu-kit (git-ignored): everything a device call needs to run the
# harness through DJL on CUDA, small enough to travel with the working tree (64 MiB in all, of which
# the tracked files take about 35 MB). bench/gpu/device_setup.sh unpacks it on the device.
#
#   jre.tar.xz     a JRE 17 made with jlink from the modules jdeps finds (java.desktop left out: only
#                  the toy filmstrip uses it). --compress=0 and xz over the whole image: 17 MB, where
#                  jlink's --compress=2 plus xz gives 28 MB (measured 2026-12-07)
#   jars.tar.xz    the harness jar and its runtime jars, without the CPU libtorch, OpenCV, OpenBLAS,
#                  JavaFX and DJL's JNI for libtorch 2.7.1 (built on the device instead); HF
#                  tokenizers keep only their linux-x86_64 library, stored uncompressed so that xz
#                  can pack it. FFmpeg's natives (90 MB) do not fit: MP4 writing is not in the kit
#   djl-src.tar.xz DJL v0.36.0's engines/pytorch/pytorch-native and api/src/main/native (git archive
#                  of the fetched mirror), the JNI header javac -h makes from PyTorchLibrary.java,
#                  and this JDK's jni.h / jni_md.h (the device has no Java)
#   wan-pipeline/  tokenizer/ and scheduler/ of the golden Wan2.1 pipeline (for generate --random-weights)
#
# Usage: bench/gpu/make_kit.sh [DJL_MIRROR_GIT_DIR]   (default /work/.mirror/deepjavalibrary+djl/repo)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
djl="${1:-/work/.mirror/deepjavalibrary+djl/repo}"
jdk="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
kit="$root/.dev/gpu-kit"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$root"
mvn -o -q -DskipTests package
rm -rf "$kit"
mkdir -p "$kit"

# --- jars
mkdir -p "$tmp/jars/lib"
cp harness/target/harness-*.jar "$tmp/jars/"
for j in harness/target/lib/*.jar; do
  case "$(basename "$j")" in
    pytorch-native-cpu-*|pytorch-jni-*|opencv-*|openblas-*|javafx-*|ffmpeg-*-linux-*) ;;
    tokenizers-*)
      mkdir -p "$tmp/tok"
      (cd "$tmp/tok" && unzip -q "$root/$j" && rm -rf native/lib/linux-aarch64 native/lib/osx-* native/lib/win-* \
        && zip -q -0 -r "$tmp/jars/lib/$(basename "$j")" .)
      ;;
    *) cp "$j" "$tmp/jars/lib/" ;;
  esac
done
tar -C "$tmp" -cf - jars | xz -T2 -9 > "$kit/jars.tar.xz"

# --- JRE (modules from jdeps, run per jar: the modular jars do not resolve together)
mods=$(for j in "$tmp"/jars/*.jar "$tmp"/jars/lib/*.jar; do
  "$jdk/bin/jdeps" --multi-release 17 -s --ignore-missing-deps "$j" 2>/dev/null | grep -o -E '(java|jdk)\.[a-z.]+$'
done | sort -u | grep -v -E '^(java\.desktop|java\.compiler)$' | paste -sd, -)
echo "jlink modules: $mods"
"$jdk/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=0 --output "$tmp/jre"
tar -C "$tmp" -cf - jre | xz -T2 -9 > "$kit/jre.tar.xz"

# --- DJL's JNI sources, its header and the JNI headers
mkdir -p "$tmp/djl"
git --git-dir="$djl" archive v0.36.0 engines/pytorch/pytorch-native api/src/main/native | tar -C "$tmp/djl" -xf -
src="$tmp/djl-engine"
mkdir -p "$src"
git --git-dir="$djl" archive v0.36.0 engines/pytorch/pytorch-engine/src/main/java | tar -C "$src" -xf -
api_jar=$(ls harness/target/lib/api-0.36.0.jar)
mkdir -p "$tmp/djl/engines/pytorch/pytorch-native/build/include" "$tmp/classes"
"$jdk/bin/javac" -nowarn -cp "$api_jar" -sourcepath "$src/engines/pytorch/pytorch-engine/src/main/java" \
  -h "$tmp/djl/engines/pytorch/pytorch-native/build/include" -d "$tmp/classes" \
  "$src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" 2>&1 | grep -v '^Note:' || true
test -f "$tmp/djl/engines/pytorch/pytorch-native/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h"
mkdir -p "$tmp/djl/jni/linux"
cp "$jdk/include/jni.h" "$tmp/djl/jni/"
cp "$jdk/include/linux/jni_md.h" "$tmp/djl/jni/linux/"
tar -C "$tmp" -cf - djl | xz -T2 -9 > "$kit/djl-src.tar.xz"

# --- what generate --random-weights reads from disk
golden="$root/../shared/fixtures/golden/wan2.1/pipeline"
mkdir -p "$kit/wan-pipeline"
cp -r "$golden/tokenizer" "$golden/scheduler" "$kit/wan-pipeline/"
chmod -R u+w "$kit/wan-pipeline"

# --- diffusers' source (src/diffusers), for timing diffusers' own transformers beside ours in the same
# device call (bench/gpu/lowbit_side_by_side.sh); it travels in the ignored .dev and is never committed
diffusers="${DIFFUSERS_GIT_DIR:-/work/.mirror/huggingface+diffusers/repo}"
if [ -d "$diffusers" ]; then
  git --git-dir="$diffusers" archive HEAD src/diffusers | xz -T2 -9 > "$root/.dev/diffusers.tar.xz"
  echo "diffusers $(git --git-dir="$diffusers" log -1 --format=%h HEAD): $(du -b "$root/.dev/diffusers.tar.xz" | cut -f1) bytes"
fi

du -b "$kit"/* | sort -n
echo "kit: $(du -sb "$kit" | cut -f1) bytes; tracked files: $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes (limit 67108864 together)"
