# tests/lib/citus_cluster.sh -- a Citus coordinator and two workers for the tests and the
# bench (tests/suites/80_citus.sh, bench/citus.sh), on pg_clusters.sh.
#
# Source it, then:
#   citus_available       0 when Citus is installed in pg_config's tree
#   citus_start P C W1 W2 three clusters named C, W1, W2 on ports P, P+1, P+2, each with
#                         shared_preload_libraries = 'citus' and wal_level = logical (for
#                         citus_schema_move), the citus extension in database postgres,
#                         and the workers added to the coordinator (nodes are named by their
#                         socket dirs: no TCP)
#   citus_node NAME       the node as Citus names it ("socketdir:port")
# Must not: pick ports itself, or touch a cluster it did not start.

. "$(dirname "${BASH_SOURCE[0]}")/pg_clusters.sh"

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
