#!/usr/bin/env bash
# A local RabbitMQ node for development and tests: installed from Debian's packages when missing,
# its data under the project's var/ folder, management and prometheus plugins on.
# Usage: rabbitmq.sh start|stop|status    (env: AMQP_PORT, RABBITMQ_MANAGEMENT_PORT, RABBITMQ_PROMETHEUS_PORT)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
base="${LOCONOMICS_VAR:-$root/var}/rabbitmq-${AMQP_PORT:-5672}"
amqp_port="${AMQP_PORT:-5672}"
mgmt_port="${RABBITMQ_MANAGEMENT_PORT:-15672}"
prom_port="${RABBITMQ_PROMETHEUS_PORT:-15692}"
node="loconomics-${amqp_port}@localhost"
bin=/usr/lib/rabbitmq/bin

install_if_missing() {
  [ -x "$bin/rabbitmq-server" ] && return 0
  echo "rabbitmq: installing Debian's rabbitmq-server package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's postinst tries to start a system node; keep it from holding our ports.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq rabbitmq-server >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

node_env() {
  export HOME="$base/home"
  export RABBITMQ_NODENAME="$node"
  export RABBITMQ_NODE_PORT="$amqp_port"
  export RABBITMQ_DIST_PORT=$((amqp_port + 20000))
  export RABBITMQ_MNESIA_BASE="$base/mnesia"
  export RABBITMQ_LOG_BASE="$base/log"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$base/rabbitmq"
  export RABBITMQ_PID_FILE="$base/rabbitmq.pid"
  export ERL_CRASH_DUMP="$base/erl_crash.dump"
}

is_up() { node_env; "$bin/rabbitmq-diagnostics" -q -n "$node" check_port_connectivity >/dev/null 2>&1; }

start() {
  install_if_missing
  mkdir -p "$base/home" "$base/mnesia" "$base/log"
  node_env
  if is_up; then echo "rabbitmq: already running on amqp port $amqp_port"; return 0; fi
  echo '[rabbitmq_management,rabbitmq_prometheus].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  cat > "$RABBITMQ_CONFIG_FILE.conf" <<CONF
listeners.tcp.default = $amqp_port
management.tcp.port = $mgmt_port
prometheus.tcp.port = $prom_port
loopback_users = none
vm_memory_high_watermark.relative = 0.3
disk_free_limit.absolute = 200MB
CONF
  nohup "$bin/rabbitmq-server" >"$base/log/stdout.log" 2>&1 &
  echo $! > "$base/launcher.pid"
  for _ in $(seq 1 120); do
    if is_up; then
      echo "rabbitmq: up on amqp port $amqp_port (management $mgmt_port, prometheus $prom_port)"
      return 0
    fi
    sleep 1
  done
  echo "rabbitmq: did not come up; see $base/log" >&2
  return 1
}

stop() {
  node_env
  if [ -x "$bin/rabbitmqctl" ] && is_up; then
    "$bin/rabbitmqctl" -q -n "$node" shutdown >/dev/null 2>&1 || true
  fi
  if [ -f "$base/launcher.pid" ]; then
    kill "$(cat "$base/launcher.pid")" 2>/dev/null || true
    rm -f "$base/launcher.pid"
  fi
  echo "rabbitmq: stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if is_up; then echo up; else echo down; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
