#!/usr/bin/env bash
# A PostgreSQL hot standby of the local cluster, for the read-replica tests and benches.
#   scripts/pg-standby.sh up      create (or repair) cluster 15/standby on port 5433, streaming
#   scripts/pg-standby.sh down    stop and drop it
#   scripts/pg-standby.sh status  exit 0 when it is up and streaming
# Idempotent: `up` on a healthy standby does nothing; a leftover broken one is rebuilt.
# Runs pg commands as the postgres user (this script may run as root or as postgres).
set -euo pipefail

VERSION="${PG_STANDBY_VERSION:-15}"
NAME="${PG_STANDBY_NAME:-standby}"
PORT="${PG_STANDBY_PORT:-5433}"
PRIMARY_CLUSTER="${PG_PRIMARY_CLUSTER:-main}"
PRIMARY_PORT="${PG_PRIMARY_PORT:-5432}"
DATA="/var/lib/postgresql/$VERSION/$NAME"
HBA="/etc/postgresql/$VERSION/$PRIMARY_CLUSTER/pg_hba.conf"
# A physical replication slot keeps the primary's WAL until the standby has it: without
# one, a busy primary recycles the segments written between the base backup and the
# standby's first connection, and the standby never catches up.
SLOT="${PG_STANDBY_SLOT:-ledger_standby}"

as_pg() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
psql_at() { as_pg psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2"; }
ctl() { as_pg pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$1" "$2"; }
exists() { [ -d "/etc/postgresql/$VERSION/$NAME" ]; }

streaming() {
  [ "$(psql_at "$PORT" 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] &&
    [ "$(psql_at "$PORT" 'SELECT status FROM pg_stat_wal_receiver' 2>/dev/null)" = streaming ]
}

allow_replication() {
  # The primary must accept replication connections from 127.0.0.1 (trust, like its
  # other local rules); `host all` does not cover the replication pseudo-database.
  if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$HBA"; then
    echo "host    replication     all             127.0.0.1/32            trust" >>"$HBA"
    psql_at "$PRIMARY_PORT" 'SELECT pg_reload_conf()' >/dev/null
  fi
}

down() {
  if exists; then
    pg_dropcluster --stop "$VERSION" "$NAME"
    echo "standby $VERSION/$NAME dropped"
  fi
  rm -rf "$DATA"
  drop_slot
}

drop_slot() {
  psql_at "$PRIMARY_PORT" "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
    WHERE slot_name = '$SLOT' AND NOT active" >/dev/null 2>&1 || true
}

up() {
  if exists && streaming; then
    echo "standby $VERSION/$NAME already streaming on port $PORT"
    return 0
  fi
  down # a leftover that is not streaming (stopped, half-built) is rebuilt from scratch
  allow_replication
  # As root (it creates /etc and /var directories); the cluster belongs to postgres.
  pg_createcluster -u postgres "$VERSION" "$NAME" -p "$PORT" >/dev/null
  # The same client rules and settings as the primary (trust on 127.0.0.1; a hot
  # standby needs max_connections and friends at least as high as its primary's).
  cp "$HBA" "/etc/postgresql/$VERSION/$NAME/pg_hba.conf"
  cp /etc/postgresql/"$VERSION"/"$PRIMARY_CLUSTER"/conf.d/*.conf "/etc/postgresql/$VERSION/$NAME/conf.d/" 2>/dev/null || true
  echo "port = $PORT" >"/etc/postgresql/$VERSION/$NAME/conf.d/99-standby.conf" # wins over copies
  as_pg bash -c "rm -rf '$DATA'/*"
  # -R writes standby.signal and primary_conninfo (with the slot); -X stream copies the
  # WAL the backup needs; -C -S creates the slot that keeps the rest until it streams.
  as_pg pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DATA" -R -X stream \
    -c fast -C -S "$SLOT"
  ctl "$NAME" start
  for _ in $(seq 1 60); do
    if streaming; then
      echo "standby $VERSION/$NAME streaming on port $PORT"
      return 0
    fi
    sleep 1
  done
  echo "FATAL: standby $VERSION/$NAME did not start streaming" >&2
  exit 1
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) streaming && echo streaming || { echo "not streaming"; exit 1; } ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
