#!/bin/sh
# The one place the image's JVM flags are set: the engine's Vector API is an incubator module and the
# CUDA/OpenCL backends call native libraries through FFM. JAVA_OPTS adds site flags (heap, GC);
# arguments go to Spring Boot (--spring.ai.spts.chat.context-length=8192, ...).
set -e
# /data is the writable volume (SPTS_DATA_DIR: the index, spooled uploads); java.io.tmpdir lives there
# too (Tomcat's work folder), so the root filesystem and /tmp may be read-only. Leftovers of an earlier run are only
# temporary files of this container.
mkdir -p /data/index /data/cache /data/tmp
rm -rf /data/tmp/* 2>/dev/null || true
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
exec java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Djava.io.tmpdir=/data/tmp -XX:-UsePerfData ${JAVA_OPTS:-} \
  -jar /app/spts-rag.jar "$@"
