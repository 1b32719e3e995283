# tests/lib/citus_cluster.sh -- a Citus coordinator and two workers for the tests and the
# bench (tests/suites/80_citus.sh, bench/citus.sh): named throwaway clusters (the pgc_*
# functions, pg_cluster.sh's single cluster with a name per cluster; they were
# tests/lib/pg_clusters.sh until its other user moved to TAP) and Citus on them.
# (A TAP version with PostgreSQL::Test::Cluster would match pg_ext/t; not done yet.)
#
# Source it, then:
#   pgc_start NAME PORT   initdb + start in a fresh temp dir; sets NAME_DIR, NAME_PORT, NAME_SOCK
#                         (PGC_EXTRA_CONF: more postgresql.conf lines; @DIR@ in them is the
#                         cluster's dir, which is also its socket dir)
#   pgc_psql NAME ARGS... psql -X -At -q -v ON_ERROR_STOP=1 -U postgres against that cluster
#   pgc_cleanup           stop (immediate) every cluster started here and remove its dir
#                         (KEEP_PGC=1 keeps the dirs)
#   citus_available       0 when Citus is installed in pg_config's tree
#   citus_start P C W1 W2 three clusters named C, W1, W2 on ports P, P+1, P+2, each with
#                         shared_preload_libraries = 'citus' and wal_level = logical (for
#                         citus_schema_move), the citus extension in database postgres,
#                         and the workers added to the coordinator (nodes are named by their
#                         socket dirs: no TCP)
#   citus_node NAME       the node as Citus names it ("socketdir:port")
# Must not: pick ports itself, or touch a cluster it did not start.

. "$(dirname "${BASH_SOURCE[0]}")/pg_cluster.sh"
PGC_CLUSTERS=""

pgc_start() {
	local name=$1 port=$2 dir
	dir=$(mktemp -d /tmp/tenancy_pgc.XXXXXX)
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	pg_as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync \
		--locale=C.UTF-8 --encoding=UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
fsync = off
max_connections = 60
max_prepared_transactions = 10
lc_messages = 'C'
timezone = 'UTC'
restart_after_crash = on
CONF
	[ -n "${PGC_EXTRA_CONF:-}" ] && printf '%s\n' "${PGC_EXTRA_CONF//@DIR@/$dir}" >>"$dir/data/postgresql.conf"
	eval "${name}_DIR=$dir ${name}_PORT=$port ${name}_SOCK=$dir"
	PGC_CLUSTERS="$PGC_CLUSTERS $name"
	trap pgc_cleanup EXIT
	pg_as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log"; return 1; }
}

pgc_psql() {
	local name=$1 s p
	shift
	eval "s=\$${name}_SOCK p=\$${name}_PORT"
	"$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$s" -p "$p" -U postgres "$@"
}

pgc_cleanup() {
	local n d
	for n in $PGC_CLUSTERS; do
		eval "d=\$${n}_DIR"
		pg_as_pg "$PG_BIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1
		[ -n "${KEEP_PGC:-}" ] || rm -rf "$d"
	done
	PGC_CLUSTERS=""
}

citus_available() {
	[ -f "$(pg_config --pkglibdir)/citus.so" ] && [ -f "$(pg_config --sharedir)/extension/citus.control" ]
}

citus_node() {
	local s p
	eval "s=\$${1}_SOCK p=\$${1}_PORT"
	echo "$s:$p"
}

citus_start() {
	local port=$1 c=$2 w1=$3 w2=$4 n
	PGC_EXTRA_CONF="shared_preload_libraries = 'citus'
wal_level = logical
max_connections = 100
max_prepared_transactions = 20
max_wal_senders = 10
max_replication_slots = 10
citus.node_conninfo = 'sslmode=disable'
citus.local_hostname = '@DIR@'"
	pgc_start "$c" "$port" && pgc_start "$w1" $((port + 1)) && pgc_start "$w2" $((port + 2)) || return 1
	PGC_EXTRA_CONF=
	for n in "$c" "$w1" "$w2"; do
		pgc_psql "$n" -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus" >/dev/null || return 1
	done
	pgc_psql "$c" -c "SELECT citus_set_coordinator_host('$(citus_node "$c" | cut -d: -f1)', $port)" \
		-c "SELECT citus_add_node('$(citus_node "$w1" | cut -d: -f1)', $((port + 1)))" \
		-c "SELECT citus_add_node('$(citus_node "$w2" | cut -d: -f1)', $((port + 2)))" >/dev/null
}
