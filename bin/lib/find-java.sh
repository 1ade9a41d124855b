# Sourced by the launchers in bin/ (bash): find_java25 NAME sets java_bin to a Java 25 or newer, taken
# from JAVA_HOME if set, else `java` on the PATH, else a JDK 25 under /usr/lib/jvm (an older default
# `java` is common on a fresh machine); without one it says, as NAME, what to set and exits.

java_feature() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

find_java25() {
  local name="$1" version candidate
  java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  version="$(java_feature "$java_bin" || true)"
  if ! [ "${version%%.*}" -ge 25 ] 2>/dev/null; then
    for candidate in /usr/lib/jvm/temurin-25-jdk-*/bin/java /usr/lib/jvm/*25*/bin/java; do
      if [ -x "$candidate" ]; then java_bin="$candidate"; version="$(java_feature "$candidate" || true)"; break; fi
    done
  fi
  if ! [ "${version%%.*}" -ge 25 ] 2>/dev/null; then
    echo "$name: needs Java 25 (found ${version:-none} at $java_bin); set JAVA_HOME to a JDK 25," \
         "e.g. export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 (Temurin 25 from https://adoptium.net)" >&2
    exit 1
  fi
}
