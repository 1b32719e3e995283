# tests/fanout/clusters.sh -- two (or more) throwaway clusters for the fan-out tests.
#
# Source it, then:  fo_start NAME PORT   (initdb + start; NAME_DIR, NAME_SOCK set)
#                   fo_stop NAME         (stop, keep data)   fo_restart NAME
#                   fo_psql NAME ARGS    (psql -X -At -v ON_ERROR_STOP=1)
# Everything the server reads lives in a temp dir owned by postgres, so a
# CI clone that postgres cannot read is fine.  Ports: 55450-55469 only.
# A trap removes every cluster started here when the shell exits.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
FO_CLUSTERS=""

fo_as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

fo_start() {
	local name=$1 port=$2 dir
	dir=$(mktemp -d /tmp/tenancy_fo.XXXXXX)
	chmod 755 "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	fo_as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync \
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
	eval "${name}_DIR=$dir ${name}_PORT=$port ${name}_SOCK=$dir"
	FO_CLUSTERS="$FO_CLUSTERS $name"
	fo_as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log"; return 1; }
	trap fo_cleanup EXIT
}

fo_stop() { local d; eval "d=\$${1}_DIR"; fo_as_pg "$PG_BIN/pg_ctl" -D "$d/data" -m "${2:-fast}" -w stop >/dev/null 2>&1; }
fo_restart() { local d; eval "d=\$${1}_DIR"; fo_as_pg "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start >/dev/null; }

fo_psql() {
	local name=$1 s p; shift
	eval "s=\$${name}_SOCK p=\$${name}_PORT"
	"$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$s" -p "$p" -U postgres "$@"
}

fo_cleanup() {
	local n d
	for n in $FO_CLUSTERS; do
		eval "d=\$${n}_DIR"
		fo_as_pg "$PG_BIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1
		[ -n "${KEEP_FO:-}" ] || rm -rf "$d"
	done
	FO_CLUSTERS=""
}
