#!/usr/bin/env bash
# Make sure a Java runtime is on PATH for the Spark tests (tests/tracing/, PySpark local mode):
# Debian's default-jre-headless (OpenJDK 17 on bookworm) when `java` is missing. Idempotent and
# silent when Java is there; never downloads a JDK of its own.
set -euo pipefail

command -v java >/dev/null 2>&1 && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "java is missing and there is no apt-get here: install a Java 17+ runtime by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "installing Java needs root" >&2; exit 1; }
    SUDO="sudo"
fi
echo "installing default-jre-headless from Debian" >&2
apt_get() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
log=$(mktemp)
# apt's chatter goes to a log that is shown only if the install fails.
if ! { apt_get update -qq && apt_get install -y -qq default-jre-headless; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
command -v java >/dev/null 2>&1 || { echo "java did not install" >&2; exit 1; }
echo "java ready: $(java -version 2>&1 | head -n 1)" >&2
