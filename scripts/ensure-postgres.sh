#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the test suite: start the local
# cluster if it is down, install PostgreSQL from Debian if it is missing.
set -euo pipefail
HOST=${PGHOST:-127.0.0.1}
PORT=${PGPORT:-5432}
USER_NAME=${PGUSER:-postgres}

ready() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    echo "PostgreSQL is not installed: installing it from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi

if ! ready; then
    echo "PostgreSQL is not answering on $HOST:$PORT: starting the local cluster" >&2
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "PostgreSQL did not start" >&2; exit 1; }

# The suite connects as $USER_NAME without a password (trust auth on loopback, as this machine
# kind is set up); say so clearly if that is not the case.
if ! psql -h "$HOST" -p "$PORT" -U "$USER_NAME" -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
    echo "cannot connect as $USER_NAME on $HOST:$PORT; set EPICONTROL_TEST_PG_URL" >&2
    exit 1
fi
echo "PostgreSQL ready on $HOST:$PORT"
