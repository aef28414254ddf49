#!/usr/bin/env bash
# A throwaway local PostgreSQL server for tests and benchmarks: installed from Debian's packages
# when missing, its data under var/, run as the postgres user, listening on 127.0.0.1 only.
# Usage: postgres.sh start|stop|url     (env: PG_PORT, default 5433)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port="${PG_PORT:-5433}"
data="${LOCONOMICS_VAR:-$root/var}/postgres-$port"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_if_missing() {
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] && return 0
  echo "postgres: installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq postgresql >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  install_if_missing
  local bin; bin=$(pg_bin)
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data" && chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >/dev/null
  fi
  if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "postgres: already running on port $port"; return 0
  fi
  as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
  echo "postgres: up on port $port"
}

stop() {
  local bin; bin=$(pg_bin)
  [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  echo "postgres: stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
