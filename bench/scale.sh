#!/usr/bin/env bash
# bench/scale.sh -- `make bench-scale` (or BENCH_SCALE=1 make bench): tenancy at
# 1,000 and 10,000 tenants.  For each size it prints the time per tenant and the
# peak memory of the caller (its resident-set high-water mark, VmHWM, read by the
# kernel, not sampled), and the most file descriptors it held at once, so "time
# linear, memory flat, fds bounded by the concurrency" can be read off the lines.
# It only reports: it never fails because of a number.
#
#   sqlite    N tenant files: tenant_create x N (provisioning), then
#             tenant_migrate_all(NULL, C) with the workload (bench/workload/sqlite);
#             peak RSS (VmHWM, /usr/bin/time) and fds of the sqlite3 process
#   schemas   N schema tenants of one PostgreSQL database: tenant_create x N
#             (empty set), then tenant_migrate_all(NULL, C) with the workload;
#             the calling backend's VmHWM (read from /proc at the end of the call; it
#             counts the shared buffers the backend touched) and, sampled, its private
#             memory (RssAnon) and fds; below it the
#             largest tenant-side backend (the one serving schemas over the fan-out
#             connection, which reconnects every 100 schemas to stay flat)
#   databases N_DB database tenants (CREATE DATABASE ... TEMPLATE each), then
#             tenant_migrate_all(NULL, C); the same memory figures
#
# Env: BENCH_SCALE_SIZES (default "1000 10000"; BENCH_QUICK=1: "100 1000"),
#      BENCH_SCALE_DB (database tenants, default 500, BENCH_QUICK=1: 100; 0 skips:
#      10,000 do not fit, the line after them says why), BENCH_SCALE_C (concurrency, default 4),
#      BENCH_SCALE_PORT (default 55496; use 55490-55499), BENCH_DIR (scratch parent,
#      default /var/tmp), BENCH_PG=0 / BENCH_SQLITE=0 skip an engine,
#      BENCH_PG_INSTALL=0 uses the installed pg_ext; BENCH_PG_BIN: the server's bin
#      folder.  On a machine where others install tenancy into the same tree during
#      the long run, use a private copy of the tree (PostgreSQL finds lib/ and share/
#      relative to bin/): copy usr/lib/postgresql/15 and usr/share/postgresql/15 under
#      DIR, `make -C pg_ext install DESTDIR=DIR`, then BENCH_PG_BIN=DIR/usr/lib/postgresql/15/bin
#      BENCH_PG_INSTALL=0.
# 10,000 tenants take a long while on 2 cores (tens of minutes per engine).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	SIZES=${BENCH_SCALE_SIZES:-100 1000}; NDB=${BENCH_SCALE_DB:-100}
else
	SIZES=${BENCH_SCALE_SIZES:-1000 10000}; NDB=${BENCH_SCALE_DB:-500}
fi
[ -x /usr/bin/time ] || { echo "bench scale: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
C=${BENCH_SCALE_C:-4}
PORT=${BENCH_SCALE_PORT:-55496}
EXT=$ROOT/sqlite_ext/tenancy
PG_BIN=${BENCH_PG_BIN:-$(pg_config --bindir 2>/dev/null || true)}
[ -x "${PG_BIN:-/nonexistent}/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
die() { echo "bench scale: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
line() { printf '%-44s %8s %11s %10s %10s %7s\n' "$1" "$2" "$3" "$4" "$5" "$6"; }

WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/tenancy_scale.XXXXXX") || exit 1
chmod 755 "$WORK"
SAMPLER=
cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	[ -f "$WORK/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# sample PIDS_CMD OUT: every 100 ms, for each pid the command prints, keep its
# largest private memory (RssAnon, kB: what the process allocated itself, not the
# shared buffers it touched), largest resident set (VmRSS, kB), most open fds and
# how many samples saw it (its lifetime); on TERM writes "pid anon_kb rss_kb fds
# samples" per pid to OUT
sample() {
	local cmd=$1 out=$2
	(
		declare -A A R F N
		trap 'for p in "${!A[@]}"; do echo "$p ${A[$p]} ${R[$p]:-0} ${F[$p]:-0} ${N[$p]:-0}"; done >"$out"; exit 0' TERM
		while :; do
			for p in $(eval "$cmd" 2>/dev/null); do
				read -r a r < <(awk '/^RssAnon:/ {a=$2} /^VmRSS:/ {r=$2} END {print a+0, r+0}' "/proc/$p/status" 2>/dev/null)
				f=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
				[ -n "$a" ] || continue
				N[$p]=$((${N[$p]:-0} + 1))
				[ "$a" -gt "${A[$p]:-0}" ] && A[$p]=$a
				[ "$r" -gt "${R[$p]:-0}" ] && R[$p]=$r
				[ "$f" -gt "${F[$p]:-0}" ] && F[$p]=$f
			done
			sleep 0.1
		done
	) &
	SAMPLER=$!
}
# peak PID|max OUT FIELD: FIELD 2 anon, 3 rss, 4 fds; of one pid or the largest of all
peak() { awk -v p="$1" -v f="$3" '(p == "max" || $1 == p) && $f > m {m = $f} END {print m + 0}' "$2"; }
sample_stop() { kill -TERM "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=; }

echo "tenancy scale benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores, shared with other work: read the per-tenant trend, not the absolute times"
echo "concurrency C = $C; caller HWM: the kernel's high-water mark; private and fds: 100 ms samples (note at the end)"
echo
line "measurement" "tenants" "per tenant" "caller HWM" "private" "max fds"
line "-----------" "-------" "----------" "----------" "-------" "-------"

# ---- SQLite -------------------------------------------------------------------
if [ "${BENCH_SQLITE:-1}" != 0 ]; then
	[ -f "$EXT.so" ] || die "sqlite_ext/tenancy.so is missing (make sqlite)"
	for n in $SIZES; do
		D=$WORK/sqlite_$n
		rm -rf "$D"; mkdir -p "$D"
		for ((i = 0; i < n; i++)); do printf "SELECT tenant_create('t%05d');\n" "$i"; done >"$D/create.sql"
		# provisioning
		sample "pgrep -f 'sqlite3 $D/registry.db'" "$WORK/s.out"
		t0=$(now_ms)
		/usr/bin/time -f %M -o "$WORK/hwm" sqlite3 "$D/registry.db" ".load $EXT" ".read $D/create.sql" >/dev/null || die "sqlite tenant_create failed"
		t=$(($(now_ms) - t0)); sample_stop
		line "sqlite tenant_create" "$n" "$(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.2f ms", t / n}')" "$(($(tail -1 "$WORK/hwm") / 1024)) MB" "$(($(peak max "$WORK/s.out" 2) / 1024)) MB" "$(peak max "$WORK/s.out" 4)"
		sqlite3 "$D/registry.db" ".load $EXT" "SELECT tenant_migrations_load('$ROOT/bench/workload/sqlite', 'tenants')" >/dev/null || die "load failed"
		sample "pgrep -f 'sqlite3 $D/registry.db'" "$WORK/s.out"
		t0=$(now_ms)
		/usr/bin/time -f %M -o "$WORK/hwm" sqlite3 "$D/registry.db" ".load $EXT" "SELECT count(*) FROM tenant_migrate_all(NULL, $C)" >/dev/null || die "sqlite migrate_all failed"
		t=$(($(now_ms) - t0)); sample_stop
		anon=$(peak max "$WORK/s.out" 2); fds=$(peak max "$WORK/s.out" 4)
		bad=$(sqlite3 "$D/registry.db" "SELECT count(*) FROM tenancy_tenants WHERE version IS NOT '5'")
		line "sqlite tenant_migrate_all (5 mig.)" "$n" "$(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.2f ms", t / n}')" "$(($(tail -1 "$WORK/hwm") / 1024)) MB" "$((anon / 1024)) MB" "$fds"
		[ "$bad" = 0 ] || echo "   ($bad tenants not at version 5)"
		rm -rf "$D"
	done
fi

# ---- PostgreSQL -----------------------------------------------------------------
if [ "${BENCH_PG:-1}" != 0 ]; then
	if [ "${BENCH_PG_INSTALL:-1}" = 1 ]; then
		{ make -C pg_ext && make -C pg_ext install; } >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; die "pg_ext build failed"; }
	fi
	[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
	as_pg "$PG_BIN/initdb" -D "$WORK/data" -A trust -U postgres --no-sync >"$WORK/initdb.log" 2>&1 || die "initdb failed"
	cat >>"$WORK/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$WORK'
max_connections = $((C * 2 + 40))
lc_messages = 'C'
CONF
	as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 start >/dev/null || { tail "$WORK/server.log"; die "cluster did not start"; }
	PM=$(head -1 "$WORK/data/postmaster.pid")
	psqlq() { "$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres "$@"; }
	mkdir -p "$WORK/wl" && cp "$ROOT"/bench/workload/postgres/V*.sql "$WORK/wl/" && chmod -R a+rX "$WORK/wl"
	# every client backend: the caller (its pid in caller.pid) and the fan-out's tenant backends
	OTHERS="pgrep -P $PM -f 'postgres: postgres'"
	pg_round() {	# $1 = label, $2 = n, $3 = SQL of the timed call (in database ctl), $4 = 1: it has a control connection
		rm -f "$WORK/caller.pid"
		sample "$OTHERS" "$WORK/o.out"
		printf '%s\n' "SET client_min_messages = warning;" 'SELECT pg_backend_pid() AS pid \gset' \
			'\setenv PID :pid' "\\! echo \$PID >$WORK/caller.pid" "$3;" \
			"\\! awk '/^VmHWM:/ {print \$2}' /proc/\$PID/status >$WORK/caller.hwm" >"$WORK/round.sql"
		t0=$(now_ms)
		psqlq -d ctl -f "$WORK/round.sql" >/dev/null || die "$1 failed"
		t=$(($(now_ms) - t0)); sample_stop
		cp=$(cat "$WORK/caller.pid")
		hwm="$(($(cat "$WORK/caller.hwm") / 1024)) MB"
		if grep -q "^$cp " "$WORK/o.out"; then
			mem="$(($(peak "$cp" "$WORK/o.out" 2) / 1024)) MB"; fds=$(peak "$cp" "$WORK/o.out" 4)
		else
			mem="-"; fds="-"	# over before the first sample (100 ms)
		fi
		line "$1" "$2" "$(awk -v t="$t" -v n="$2" 'BEGIN {printf "%.2f ms", t / n}')" "$hwm" "$mem" "$fds"
		# the other backends: in a migrate run the longest-lived is the control
		# connection's (it writes the run record for every tenant), the rest served tenants
		sort -k5,5nr "$WORK/o.out" | grep -v "^$cp " >"$WORK/t.out"
		if [ "${4:-0}" = 1 ]; then
			head -1 "$WORK/t.out" >"$WORK/c.out"; tail -n +2 "$WORK/t.out" >"$WORK/s.out2"
			ctl_mb="control connection's backend $(($(peak max "$WORK/c.out" 2) / 1024)) MB private;"
		else
			cp "$WORK/t.out" "$WORK/s.out2"; ctl_mb=
		fi
		if [ -s "$WORK/s.out2" ]; then
			echo "   (${ctl_mb:+$ctl_mb }largest of $(wc -l <"$WORK/s.out2") tenant-serving backends $(($(peak max "$WORK/s.out2" 2) / 1024)) MB private," \
				"$(($(peak max "$WORK/s.out2" 3) / 1024)) MB resident)"
		elif [ -n "$ctl_mb" ]; then
			echo "   (${ctl_mb%;})"
		fi
	}
	for n in $SIZES; do
		psqlq -c "DROP DATABASE IF EXISTS ctl" -c "DROP DATABASE IF EXISTS tenancy_template_ctl" -c "CREATE DATABASE ctl" >/dev/null 2>&1 || die "setup failed"
		psqlq -d ctl -c "CREATE EXTENSION tenancy" >/dev/null || die "CREATE EXTENSION failed"
		for ((i = 0; i < n; i++)); do echo "SELECT tenant_create('s$i', NULL, 'schema');"; done >"$WORK/create.sql"
		t0=$(now_ms)
		psqlq -d ctl -f "$WORK/create.sql" >/dev/null || die "schema tenant_create failed"
		t=$(($(now_ms) - t0))
		line "postgres schema tenant_create (empty set)" "$n" "$(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.2f ms", t / n}')" "-" "-" "-"
		psqlq -d ctl -c "SELECT tenant_migrations_load('$WORK/wl', 'tenants')" >/dev/null || die "load failed"
		pg_round "postgres schema tenant_migrate_all (5 mig.)" "$n" "SELECT count(*) FROM tenant_migrate_all(NULL, $C)" 1
		pg_round "postgres schema tenant_verify_all" "$n" "SELECT count(*) FROM tenant_verify_all($C)"
		pg_round "postgres schema tenant_query_all" "$n" "SELECT count(*) FROM tenant_query_all('SELECT * FROM settings', $C)"
		echo "   (catalog: $(psqlq -d ctl -c "SELECT count(*) FROM pg_class") relations for $n schema tenants)"
	done
	if [ "$NDB" -gt 0 ]; then
		psqlq -c "DROP DATABASE IF EXISTS ctl" -c "DROP DATABASE IF EXISTS tenancy_template_ctl" -c "CREATE DATABASE ctl" >/dev/null 2>&1 || die "setup failed"
		psqlq -d ctl -c "CREATE EXTENSION tenancy" >/dev/null || die "CREATE EXTENSION failed"
		for ((i = 0; i < NDB; i++)); do echo "SELECT tenant_create('d$i');"; done >"$WORK/create.sql"
		t0=$(now_ms)
		psqlq -d ctl -f "$WORK/create.sql" >/dev/null || die "database tenant_create failed"
		t=$(($(now_ms) - t0))
		line "postgres database tenant_create (empty set)" "$NDB" "$(awk -v t="$t" -v n="$NDB" 'BEGIN {printf "%.2f ms", t / n}')" "-" "-" "-"
		psqlq -d ctl -c "SELECT tenant_migrations_load('$WORK/wl', 'tenants')" >/dev/null || die "load failed"
		pg_round "postgres database tenant_migrate_all" "$NDB" "SELECT count(*) FROM tenant_migrate_all(NULL, $C)" 1
		pg_round "postgres database tenant_verify_all" "$NDB" "SELECT count(*) FROM tenant_verify_all($C)"
		# how many would fit: each tenant database's size against the free disk
		per=$(psqlq -c "SELECT (avg(pg_database_size(datname)))::int8 FROM pg_database WHERE datname ~ '^d[0-9]+$'")
		free=$(($(df -Pk "$WORK" | awk 'NR == 2 {print $4}') * 1024))
		echo "   (a tenant database holds $((per / 1024)) kB; $((free / 1024 / 1024 / 1024)) GB free here: room for about" \
			"$((free / per)) more; 10,000 need $((per * 10000 / 1024 / 1024 / 1024)) GB, and CREATE DATABASE WAL-logs each copy)"
	fi
fi
echo
echo "caller HWM: the caller's resident high-water mark (VmHWM: SQLite, the sqlite3 process, by /usr/bin/time;"
echo "PostgreSQL, the calling backend, read from /proc when the call returns: it counts the shared buffers it"
echo "touched).  private: the most RssAnon seen in 100 ms samples (what the process allocated itself)."
echo "max fds: the most open descriptors seen in those samples; the tenant-side backends on the line below."
