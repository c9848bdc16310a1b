#!/usr/bin/env bash
# A highly available PostgreSQL pair managed by pg_auto_failover (Debian package
# postgresql-15-auto-failover): a monitor and two nodes with synchronous replication, so
# a commit the primary answers is on both servers while both are up. When the primary is
# lost the monitor promotes the secondary; the ledger follows it through a multi-host URL.
#
#   scripts/pg-ha.sh up            create (or restart) monitor + nodes; idempotent
#   scripts/pg-ha.sh down          stop everything and delete it, whatever state it is in
#   scripts/pg-ha.sh status        print the monitor's view; exit 0 with a primary and a
#                                  streaming secondary
#   scripts/pg-ha.sh url           the write URL for LEDGER_DATABASE_URL (multi-host,
#                                  target_session_attrs=read-write)
#   scripts/pg-ha.sh read-url      the read URL for LEDGER_READ_DATABASE_URL (prefer-standby)
#   scripts/pg-ha.sh kill-primary  SIGKILL the primary node (its keeper and its postmaster,
#                                  as when a machine is lost); prints the node's name
#
# Everything lives in one private directory (PG_HA_DIR; default: one per checkout under
# /var/tmp) on ports the kernel hands out when the pair is created, so two checkouts never
# collide. Runs the PostgreSQL side as the postgres user (this script may run as root or
# as postgres). `up` after `kill-primary` restarts the lost node: it rejoins as secondary.
#
# Failover timing. pg_auto_failover's defaults wait ~50 s before promoting (20 s until a
# silent node counts as unhealthy, then 30 s for the old primary to demote itself). This
# pair is tuned for a local drill: the monitor checks every second, a node is unhealthy
# after PG_HA_UNHEALTHY_MS, and the secondary is promoted PG_HA_DEMOTE_MS later. A keeper
# cut off from the monitor and its peer demotes itself after PG_HA_PARTITION_S, which
# must stay below PG_HA_DEMOTE_MS: that order is what prevents two primaries
# (docs/operations.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VERSION="${PG_HA_VERSION:-15}"
BIN="/usr/lib/postgresql/$VERSION/bin"
DIR="${PG_HA_DIR:-/var/tmp/royalty-ledger-ha-$(printf %s "$ROOT" | sha1sum | cut -c1-10)}"
NODES=(node1 node2)
UNHEALTHY_MS="${PG_HA_UNHEALTHY_MS:-5000}"
DEMOTE_MS="${PG_HA_DEMOTE_MS:-7000}"
PARTITION_S="${PG_HA_PARTITION_S:-5}"

as_pg() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
# pg_autoctl keeps its configuration and state under XDG directories: ours, not ~postgres.
autoctl() {
  as_pg env PATH="$BIN:$PATH" XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/data" \
    XDG_RUNTIME_DIR="$DIR/run" pg_autoctl "$@"
}
port_of() { cat "$DIR/$1.port"; }
psql_at() { as_pg psql -h 127.0.0.1 -p "$1" -U postgres -d "${3:-postgres}" -XAtqc "$2"; }

free_ports() {
  # Bound together, so the kernel hands out three distinct ports nobody listens on.
  python3 -c 'import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'
}

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

run_node() {
  # Its own session (setsid): the node's keeper and postmaster share one process group,
  # which `kill-primary` and `down` signal as a whole.
  alive "$1" && return 0
  rm -f "$DIR/$1.pid"
  autoctl config set --pgdata "$DIR/$1" postgresql.listen_addresses 127.0.0.1 \
    >>"$DIR/log/$1.log" 2>&1
  # The shell in the new session writes its own pid (= the group's id), then becomes
  # the keeper: $! would be runuser's pid, outside the group.
  as_pg env PATH="$BIN:$PATH" XDG_CONFIG_HOME="$DIR/config" XDG_DATA_HOME="$DIR/data" \
    XDG_RUNTIME_DIR="$DIR/run" setsid bash -c \
    'echo $$ >"$1.pid"; exec pg_autoctl run --pgdata "$1"' _ "$DIR/$1" \
    >>"$DIR/log/$1.log" 2>&1 </dev/null &
  for _ in $(seq 1 50); do [ -s "$DIR/$1.pid" ] && return 0; sleep 0.1; done
  echo "FATAL: $1 did not start; see $DIR/log/$1.log" >&2
  exit 1
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 "$((seconds * 2))"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "FATAL: $what within $seconds s; logs in $DIR/log" >&2
  exit 1
}

create() {
  mkdir -p "$DIR"
  chown postgres: "$DIR" 2>/dev/null || true
  as_pg mkdir -p "$DIR/log" "$DIR/run" "$DIR/config" "$DIR/data"
  as_pg chmod 700 "$DIR/run"
  read -r monitor_port port1 port2 <<<"$(free_ports)"
  echo "$monitor_port" | as_pg tee "$DIR/monitor.port" >/dev/null
  echo "$port1" | as_pg tee "$DIR/node1.port" >/dev/null
  echo "$port2" | as_pg tee "$DIR/node2.port" >/dev/null
  autoctl create monitor --pgdata "$DIR/monitor" --pgport "$monitor_port" \
    --hostname 127.0.0.1 --auth trust --no-ssl >>"$DIR/log/create.log" 2>&1
  run_node monitor
  wait_for 30 "the monitor did not answer" psql_at "$monitor_port" 'SELECT 1' pg_auto_failover
  local setting
  for setting in health_check_period=1000 health_check_timeout=1000 \
    health_check_max_retries=1 health_check_retry_delay=500 \
    node_considered_unhealthy_timeout="$UNHEALTHY_MS" primary_demote_timeout="$DEMOTE_MS"; do
    psql_at "$monitor_port" "ALTER SYSTEM SET pgautofailover.${setting%%=*} = ${setting#*=}" \
      pg_auto_failover
  done
  psql_at "$monitor_port" 'SELECT pg_reload_conf()' pg_auto_failover >/dev/null
  local node
  for node in "${NODES[@]}"; do
    # One at a time: the first becomes the primary, the second its synchronous standby.
    autoctl create postgres --pgdata "$DIR/$node" --pgport "$(port_of "$node")" \
      --hostname 127.0.0.1 --name "$node" --auth trust --no-ssl \
      --username postgres --dbname postgres \
      --monitor "postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable" \
      >>"$DIR/log/create.log" 2>&1
    autoctl config set --pgdata "$DIR/$node" timeout.network_partition_timeout "$PARTITION_S" \
      >/dev/null
    run_node "$node"
    wait_for 60 "$node did not join" node_ready "$node"
  done
}

node_ready() {
  local state
  state="$(psql_at "$(port_of monitor)" "SELECT reportedstate || '/' || goalstate
    FROM pgautofailover.node WHERE nodename = '$1'" pg_auto_failover)"
  case "$state" in primary/primary | secondary/secondary | single/single) return 0 ;; esac
  return 1
}

healthy() {
  [ -f "$DIR/monitor.port" ] || return 1
  [ "$(psql_at "$(port_of monitor)" "SELECT count(*) FROM pgautofailover.node
    WHERE reportedstate = goalstate AND goalstate IN ('primary', 'secondary')" \
    pg_auto_failover)" = 2 ] &&
    [ "$(psql_at "$(primary_port)" 'SELECT count(*) FROM pg_stat_replication
      WHERE state = '\''streaming'\''')" -ge 1 ]
}

healthy_or_hurry() {
  healthy && return 0
  # A lost node rejoins by pg_basebackup (pg_auto_failover 2.0's pg_rewind fails on
  # PostgreSQL 15), which waits for a *spread* checkpoint on the primary: minutes under
  # load. An explicit CHECKPOINT makes the one in progress finish at once.
  psql_at "$(primary_port)" CHECKPOINT >/dev/null 2>&1 || true
  return 1
}

primary_port() {
  local node
  for node in "${NODES[@]}"; do
    if [ "$(psql_at "$(port_of "$node")" 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; then
      port_of "$node"
      return 0
    fi
  done
  return 1
}

up() {
  if [ -f "$DIR/node2.port" ] && [ -d "$DIR/node2" ]; then
    local name
    for name in monitor "${NODES[@]}"; do run_node "$name"; done
  else
    down >/dev/null # a half-created pair is rebuilt from scratch
    create
  fi
  wait_for 180 "the pair did not reach primary + secondary" healthy_or_hurry
  echo "HA pair up in $DIR: $(url)"
}

stop_group() { # SIGNAL NAME: signal the whole process group of a node
  [ -f "$DIR/$2.pid" ] && kill "-$1" -- "-$(cat "$DIR/$2.pid")" 2>/dev/null || true
}

down() {
  [ -d "$DIR" ] || return 0
  local name
  for name in "${NODES[@]}" monitor; do stop_group TERM "$name"; done
  for _ in $(seq 1 20); do
    local running=0
    for name in "${NODES[@]}" monitor; do alive "$name" && running=1; done
    [ "$running" = 0 ] && break
    sleep 0.5
  done
  for name in "${NODES[@]}" monitor; do stop_group KILL "$name"; done
  # A postmaster that outlived its keeper (started by hand, or a keeper killed alone).
  for name in "${NODES[@]}" monitor; do
    if [ -f "$DIR/$name/postmaster.pid" ]; then
      kill -KILL "$(head -1 "$DIR/$name/postmaster.pid")" 2>/dev/null || true
    fi
  done
  rm -rf "$DIR"
  echo "HA pair in $DIR removed"
}

kill_primary() {
  local node
  for node in "${NODES[@]}"; do
    if [ "$(port_of "$node")" = "$(primary_port)" ]; then
      stop_group KILL "$node"
      echo "$node"
      return 0
    fi
  done
  echo "no primary answers" >&2
  exit 1
}

url() {
  # SQLAlchemy's multi-host form; libpq tries the hosts in order and keeps the writable one.
  echo "postgresql+psycopg://postgres@/postgres?host=127.0.0.1,127.0.0.1&port=$(port_of node1),$(port_of node2)&target_session_attrs=${1:-read-write}"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status)
    [ -f "$DIR/monitor.port" ] || { echo "no HA pair in $DIR"; exit 1; }
    autoctl show state --pgdata "$DIR/monitor" || true
    healthy
    ;;
  url) url ;;
  read-url) url prefer-standby ;;
  kill-primary) kill_primary ;;
  *) echo "usage: $0 up|down|status|url|read-url|kill-primary" >&2; exit 2 ;;
esac
