#!/usr/bin/env bash
# Builds here what the GPU machine needs to run the engine, its tests and benchmarks (it has no Java and
# no Maven): a jlink'd Java 25 runtime (cached), the engine jar with its libraries, the compiled test
# classes, and the JUnit console launcher. Everything lands in .gpu-carry/ (git-ignored), which the
# device call names in `carry`; tools/gpu/run-on-h200.sh then runs there.
#
#   tools/gpu/package.sh && (device call: carry .gpu-carry, command: tools/gpu/run-on-h200.sh MODE)
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"
out=.gpu-carry
mkdir -p "$out"

./mvnw -B -q -o -DskipTests package 2>/dev/null || ./mvnw -B -q -DskipTests package
./mvnw -B -q -o test-compile 2>/dev/null || ./mvnw -B -q test-compile

# The modules jdeps reports for the engine and its libraries (java.desktop: Jinjava uses java.beans).
# Uncompressed modules + xz packs smaller than jlink's zip (the carry limit is 64 MiB a call).
if [ ! -f "$out/jre.txz" ]; then
  rm -rf "$out/jre"
  jlink --add-modules java.base,java.desktop,java.logging,java.management,java.sql,jdk.incubator.vector,jdk.unsupported \
    --strip-debug --no-man-pages --no-header-files --compress=zip-0 --output "$out/jre"
  tar -C "$out" -cf - jre | xz -9 -T0 > "$out/jre.txz"
  rm -rf "$out/jre"
fi
rm -f "$out/jre.tgz"

rm -rf "$out/app" && mkdir -p "$out/app/lib"
cp inference-tornado/target/spts-engine.jar "$out/app/"
cp inference-tornado/target/lib/*.jar "$out/app/lib/"
# Test classes only: their resources (fixtures) travel in the working tree and go on the class path there.
(cd inference-tornado/target/test-classes && "$JAVA_HOME/bin/jar" cf "../../../$out/app/engine-tests.jar" $(find . -name '*.class'))
if [ ! -f "$out/junit-console.jar" ]; then
  ./mvnw -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:6.1.3 \
    -DoutputDirectory="$out" -Dmdep.stripVersion=true
  mv "$out/junit-platform-console-standalone.jar" "$out/junit-console.jar"
fi
du -sh "$out"/* | sort -h
