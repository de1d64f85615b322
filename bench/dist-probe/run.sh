#!/usr/bin/env bash
# Issue 17 probe (see README.md). Needs `mvn -o -q -DskipTests package` (harness/target/lib) and
# org.bytedeco:pytorch:2.7.1-1.5.12 (+ linux-x86_64 natives) in ~/.m2. Pass --crash to run step 5c;
# JAVACPP=1.5.12 ./run.sh runs on javacpp 1.5.12 (mvn dependency:get -Dartifact=org.bytedeco:javacpp:1.5.12[:jar:linux-x86_64]).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib="$here/../../harness/target/lib"
bd="$HOME/.m2/repository/org/bytedeco/pytorch/2.7.1-1.5.12"
cp=$(ls "$lib"/{api,pytorch-engine,pytorch-jni,pytorch-native-cpu,gson,jna,slf4j-api,slf4j-nop,commons-compress,javacpp,openblas}-*.jar | tr '\n' ':')
if [[ "${JAVACPP:-}" == 1.5.12 ]]; then # the javacpp that bytedeco's pytorch 2.7.1-1.5.12 was built with
  j="$HOME/.m2/repository/org/bytedeco/javacpp/1.5.12"
  cp=$(echo "$cp" | sed "s#[^:]*/javacpp-1.5.13.jar#$j/javacpp-1.5.12.jar#; s#[^:]*/javacpp-1.5.13-linux-x86_64.jar#$j/javacpp-1.5.12-linux-x86_64.jar#")
fi
cp="$cp$bd/pytorch-2.7.1-1.5.12.jar:$bd/pytorch-2.7.1-1.5.12-linux-x86_64.jar"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
javac -nowarn -d "$out" -cp "$cp" "$here/BytedecoGlooProbe.java"
# its own JavaCPP cache: the shared ~/.javacpp/cache is left as it was
cd "$out" && OPT_OUT_TRACKING=true java -Dorg.bytedeco.javacpp.cachedir="$out/javacpp-cache" -cp "$cp:$out" BytedecoGlooProbe "$@"
