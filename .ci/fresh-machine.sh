#!/usr/bin/env bash
# The README's commands on a fresh machine: in a container of the local base image (Debian minbase + JDK 25,
# docker/build-base-image.sh; no curl, no Maven, no ~/.m2, no apt packages), as a non-root user, on a copy of
# this checkout: build, start the service with bin/spts-rag until readiness says the demo model is ready, stop
# it, then the tests of the module that once needed an apt package (retrieval).
#
#   .ci/fresh-machine.sh IMAGE        (called by .ci/run; needs a Docker engine, and Maven Central from it)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside ]; then
  image="${1:?usage: .ci/fresh-machine.sh IMAGE}"
  # What a clone has (tracked files and untracked ones git does not ignore), never target/ or data/.
  git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - --ignore-failed-read -cf - \
    | docker run --rm -i --user 10001:10001 -e HOME=/tmp/newcomer "$image" \
        bash -c 'mkdir -p ~/spts-rag && cd ~/spts-rag && tar -xf - && exec bash .ci/fresh-machine.sh --inside'
  exit
fi

# In the container, from here on.
step() { echo "== fresh machine: $* ($SECONDS s)"; }

step "./mvnw -B -DskipTests package"
./mvnw -B -q -DskipTests package

step "bin/spts-rag --server.address=127.0.0.1 --server.port=8080, until ready"
bin/spts-rag --server.address=127.0.0.1 --server.port=8080 >service.log 2>&1 &
service=$!
get() { # no curl here: a plain HTTP GET through bash, status line and body
  exec 3<>/dev/tcp/127.0.0.1/8080
  printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
  cat <&3
}
# Readiness answers 200 only once the engine is ready (its details may need the API key); the model's id
# then comes from /v1/models.
ready=""
for _ in $(seq 1 180); do
  kill -0 "$service" 2>/dev/null || break
  case "$(get /actuator/health/readiness 2>/dev/null | head -n1 || true)" in "HTTP/1."?" 200"*) ready=1; break ;; esac
  sleep 1
done
models="$(get /v1/models 2>/dev/null || true)"
kill "$service" 2>/dev/null || true
wait "$service" 2>/dev/null || true
model="$(grep -o '"id":"demo-[^"]*"' <<<"$models" || true)"
if [ -z "$ready" ] || [ -z "$model" ]; then
  echo "the service did not become ready with the demo model; /v1/models: ${models:-no answer}; its log:" >&2
  tail -n 40 service.log >&2
  exit 1
fi
echo "ready: $model"

step "./mvnw -B verify -pl retrieval -am"
./mvnw -B -q verify -pl retrieval -am
step "done"
