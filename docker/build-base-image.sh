#!/usr/bin/env bash
# Builds a local base image for docker/Dockerfile on a machine that cannot pull from any registry:
# a minimal Debian rootfs made with debootstrap (from the Debian mirror apt already uses) plus this
# machine's JDK 25, imported with `docker import`. The image stands in for every base image the
# Dockerfile names (JRE_IMAGE, JDK_IMAGE and, without CUDA libraries, CUDA_IMAGE): it has a full
# JDK, so the jlink stage of the CUDA target runs on it too.
#
#   docker/build-base-image.sh [TAG]       (default spts-rag-base:bookworm-jdk25)
#
# Environment: JAVA_HOME (the JDK 25 to copy in), DEBIAN_MIRROR (default: the first mirror of
# apt's sources, else deb.debian.org), SUITE (default bookworm).
# Idempotent: an image with this tag whose label names the same JDK release is kept as it is.
set -euo pipefail

TAG="${1:-spts-rag-base:bookworm-jdk25}"
SUITE="${SUITE:-bookworm}"
JAVA_HOME="${JAVA_HOME:?JAVA_HOME must point at a JDK 25}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# The image's identity: the JDK's release file (vendor, version, build) and this script, so a JDK update
# or a change here rebuilds it.
jdk_id="$(cat "$JAVA_HOME/release" "$0" | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "dev.sptsrag.jdk" }}' "$TAG" 2>/dev/null || true)" = "$jdk_id" ]; then
  echo "base image $TAG is up to date ($jdk_id)"
  exit 0
fi

if [ -z "${DEBIAN_MIRROR:-}" ]; then
  # Reuse the mirror this machine's apt is configured with: it is the one known to be reachable.
  DEBIAN_MIRROR="$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -oE 'https?://[^ ]*/debian/?$|https?://[^ ]*/debian ' | head -n1 | tr -d ' ' || true)"
  DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
fi

work="$(mktemp -d)"
trap '$SUDO rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "debootstrap $SUITE from $DEBIAN_MIRROR"
# minbase: essential packages, apt and passwd (useradd), bash; nothing that runs as a service.
$SUDO debootstrap --variant=minbase "$SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# Trim what a runtime image never uses; the apt lists would only be stale in a year.
$SUDO rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*

# The whole JDK, links dereferenced (Debian's Temurin links lib/security/cacerts into /etc/ssl). Nothing
# is left out: a JDK without jmods links from its own files (JEP 493) and checks them, man pages too.
$SUDO mkdir -p "$rootfs/opt/java/openjdk"
$SUDO tar -C "$JAVA_HOME" -chf - . \
  | $SUDO tar -C "$rootfs/opt/java/openjdk" -xf -

$SUDO tar -C "$rootfs" -cf - . | docker import \
  --change 'ENV JAVA_HOME=/opt/java/openjdk' \
  --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL dev.sptsrag.jdk=$jdk_id" \
  --change 'CMD ["bash"]' \
  - "$TAG" >/dev/null
echo "built base image $TAG (Debian $SUITE, JDK $("$JAVA_HOME/bin/java" -version 2>&1 | head -n1))"
