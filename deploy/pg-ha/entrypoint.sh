#!/bin/sh
# The compose "ha" profile's PostgreSQL containers (docker-compose.yml): one image, two
# roles. `monitor` keeps pg_auto_failover's state and decides failovers; `node` is a
# PostgreSQL server the monitor makes primary or synchronous standby. The first start
# creates the data directory, every start then runs the keeper (pg_autoctl run), which
# supervises PostgreSQL. The same pg_autoctl commands as scripts/pg-ha.sh (run in CI by
# the failover test), plus what a real network needs: TLS (self-signed; use your CA's
# with --ssl-ca-file/--server-cert/--server-key) and scram-sha-256 passwords.
set -eu
: "${PGDATA:?}" "${PG_HA_PASSWORD:?set PG_HA_PASSWORD}" "${LEDGER_DB_PASSWORD:?}"

# pg_autoctl's own connections (node -> monitor, the monitor's health checks, streaming
# replication, pg_basebackup/pg_rewind) take their passwords from ~/.pgpass.
umask 077
{
  echo "*:*:*:autoctl_node:$PG_HA_PASSWORD"
  echo "*:*:*:pgautofailover_monitor:$PG_HA_PASSWORD"
  echo "*:*:*:pgautofailover_replicator:$PG_HA_PASSWORD"
} >"$HOME/.pgpass"

set_password() { # ROLE PASSWORD [DATABASE]: with the server up just for this
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  psql -X -q -d "${3:-postgres}" -v role="$1" -v pw="$2" \
    -c "ALTER ROLE :\"role\" PASSWORD :'pw'" || true
  pg_ctl -D "$PGDATA" -w stop >/dev/null
}

if [ ! -f "$PGDATA/PG_VERSION" ]; then
  case "${1:-}" in
    monitor)
      pg_autoctl create monitor --pgdata "$PGDATA" --hostname "$(hostname)" \
        --auth scram-sha-256 --ssl-self-signed
      set_password autoctl_node "$PG_HA_PASSWORD" pg_auto_failover
      ;;
    node)
      pg_autoctl create postgres --pgdata "$PGDATA" --hostname "$(hostname)" \
        --name "$(hostname)" --auth scram-sha-256 --ssl-self-signed --pg-hba-lan \
        --username ledger --dbname ledger \
        --monitor "postgres://autoctl_node@monitor:5432/pg_auto_failover?sslmode=require"
      pg_autoctl config set --pgdata "$PGDATA" replication.password "$PG_HA_PASSWORD"
      # On the first node (the first primary) these roles exist; a standby gets them,
      # and their passwords, by replication.
      set_password ledger "$LEDGER_DB_PASSWORD"
      set_password pgautofailover_replicator "$PG_HA_PASSWORD"
      set_password pgautofailover_monitor "$PG_HA_PASSWORD"
      ;;
    *)
      echo "usage: pg-ha-entrypoint monitor|node" >&2
      exit 2
      ;;
  esac
fi
exec pg_autoctl run --pgdata "$PGDATA"
