#!/bin/bash
# Docker HEALTHCHECK: the actuator's readiness group (UP once the model has loaded). The base images
# have no curl or wget and nothing can be installed in the build, so bash's /dev/tcp speaks HTTP/1.0.
exec 3<>"/dev/tcp/127.0.0.1/${SERVER_PORT:-8080}" || exit 1
printf 'GET /actuator/health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS=' ' read -r _ status _ <&3 || exit 1
[ "$status" = "200" ]
