# tests/lib/pg_clusters.sh -- several named throwaway PostgreSQL clusters at once, for the
# bash suites that need more than one server (60_security.sh); pg_cluster.sh's single
# cluster with a name per cluster.  The fan-out tests moved to TAP (pg_ext/t), which start
# theirs with PostgreSQL::Test::Cluster.
#
# Source it, then:
#   pgc_start NAME PORT   initdb + start in a fresh temp dir; sets NAME_DIR, NAME_PORT, NAME_SOCK
#                         (PGC_EXTRA_CONF: more postgresql.conf lines; @DIR@ in them is the
#                         cluster's dir, which is also its socket dir)
#   pgc_psql NAME ARGS... psql -X -At -q -v ON_ERROR_STOP=1 -U postgres against that cluster
#   pgc_cleanup           stop (immediate) every cluster started here and remove its dir
#                         (KEEP_PGC=1 keeps the dirs)
# PostgreSQL refuses to run as root: as root the servers run as "postgres" (pg_as_pg).
# Everything a server reads lives in its temp dir, so a clone postgres cannot read is fine.
# pgc_start sets a trap that runs pgc_cleanup when the shell exits; a caller with its own
# EXIT trap calls pgc_cleanup from it.
# Must not: pick ports itself (the caller owns its range), or touch a cluster it did not start.

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
