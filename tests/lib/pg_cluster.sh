# tests/lib/pg_cluster.sh -- throwaway PostgreSQL clusters for the tests.
#
# Source it, then:
#   pg_cluster_start PORT        initdb + start in a fresh temp dir (sets PGC_DIR,
#                                PGC_DATA, PGC_SOCK, PGC_PORT, PGHOST, PGPORT)
#   pg_cluster_stop              stop (fast) and remove the temp dir
#   pg_as_pg CMD...              run a command as the postgres OS user
#   pg_psql ARGS...              psql -X -v ON_ERROR_STOP=1 against the cluster
# PostgreSQL refuses to run as root: as root everything runs as "postgres".
# A trap stops the cluster when the calling shell exits.  Ports: 55430-55439.

PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$PG_BIN/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin

pg_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_cluster_start() {
	PGC_PORT=$1
	PGC_DIR=$(mktemp -d /tmp/tenancy_pg.XXXXXX)
	chmod 755 "$PGC_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PGC_DIR"
	PGC_DATA=$PGC_DIR/data
	PGC_SOCK=$PGC_DIR
	pg_as_pg "$PG_BIN/initdb" -D "$PGC_DATA" -A trust -U postgres --no-sync \
		--locale=C.UTF-8 --encoding=UTF8 >"$PGC_DIR/initdb.log" 2>&1 || {
		cat "$PGC_DIR/initdb.log"; return 1; }
	cat >>"$PGC_DATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $PGC_PORT
unix_socket_directories = '$PGC_SOCK'
fsync = on
restart_after_crash = on
max_prepared_transactions = 4
lc_messages = 'C'
timezone = 'UTC'
datestyle = 'ISO, YMD'
CONF
	pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -l "$PGC_DIR/server.log" -w -t 60 start \
		>/dev/null || { cat "$PGC_DIR/server.log"; return 1; }
	export PGHOST=$PGC_SOCK PGPORT=$PGC_PORT PGUSER=postgres PGDATABASE=postgres
	trap pg_cluster_stop EXIT
}

pg_cluster_stop() {
	[ -n "${PGC_DATA:-}" ] || return 0
	pg_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DATA" -m immediate -w stop >/dev/null 2>&1 || true
	[ -n "${KEEP_PGC:-}" ] || rm -rf "$PGC_DIR"
	PGC_DATA=
}

pg_psql() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGC_SOCK" -p "$PGC_PORT" -U postgres "$@"
}
