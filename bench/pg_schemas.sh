#!/usr/bin/env bash
# bench/pg_schemas.sh -- schema tenants: N schemas in one database brought to
# the workload's version (bench/workload/postgres/, 5 migrations), next to the
# floor, on one throwaway cluster (port 55494; BENCH_SCH_PORT, use
# 55490-55499).  Prints times and ratios; never fails because of a timing.
#
#   tenancy  N x tenant_create(name, NULL, 'schema') with the workload loaded
#            (create + migrate), and tenant_migrate_all(NULL, C) over N schema
#            tenants at version 0 (C = 1, and C = BENCH_SCH_C, default 8, whose
#            goal is to beat the one-connection floor)
#   floor    bench/floor_schemas.c: one connection, per schema one round trip
#            "BEGIN; SET LOCAL search_path = <schema>, pg_catalog; <5 migrations>; COMMIT",
#            no tracking
# Each side of a pair runs in a database of its own made fresh for it (same catalog
# state, nothing deleted just before it), the two back to back, the order alternating.
#
# Env: BENCH_SCHEMAS (N, default 200: the issue's figure), BENCH_SCH_C, BENCH_SCH_REPS (pairs,
#      5, quick mode too: with 3 one disturbed pair moved the median from 0.78 to 1.31), BENCH_SCH_KEEP_MB, BENCH_DIR (scratch parent, default
#      /var/tmp), BENCH_PG_INSTALL=0 (use the installed pg_ext), BENCH_PG_BIN (server binaries).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${BENCH_SCHEMAS:-200}
C=${BENCH_SCH_C:-8}
if [ "${BENCH_QUICK:-0}" = 1 ]; then REPS=${BENCH_SCH_REPS:-5}; else REPS=${BENCH_SCH_REPS:-5}; fi
PORT=${BENCH_SCH_PORT:-55494}
PG_BIN=${BENCH_PG_BIN:-$(pg_config --bindir 2>/dev/null || true)}
[ -x "${PG_BIN:-/nonexistent}/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
die() { echo "bench pg_schemas: $*" >&2; exit 1; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
line() { printf '%-46s %12s %12s %7s  %s\n' "$1" "$2" "$3" "$4" "$5"; }

WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/tenancy_sch_bench.XXXXXX") || exit 1
chmod 755 "$WORK"
cleanup() {
	[ -f "$WORK/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -Wall -Wextra -I"$(pg_config --includedir)" -o "$WORK/floor_schemas" bench/floor_schemas.c -lpq || die "cannot build floor_schemas"
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
max_locks_per_transaction = 256
lc_messages = 'C'
# every side has a fresh database: nothing to vacuum, and no worker starting inside one side
autovacuum = off
CONF
as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 start >/dev/null || { cat "$WORK/server.log"; die "cluster did not start"; }
CONN="host=$WORK port=$PORT user=postgres"
psqlq() { "$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres "$@"; }
cat "$ROOT"/bench/workload/postgres/V*.sql >"$WORK/workload_pg.sql"
mkdir -p "$WORK/wl" && cp "$ROOT"/bench/workload/postgres/V*.sql "$WORK/wl/" && chmod -R a+rX "$WORK/wl"

echo "tenancy schema-tenant benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), fsync=on, scratch on $(df -T "$WORK" | awk 'NR==2 {print $2}')"
echo "N = $N schema tenants in one database, 5 migrations; ratio = tenancy / floor; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
line "measurement" "tenancy" "floor" "ratio" ""
line "-----------" "-------" "-----" "-----" ""

# ---- each side in a database of its own, made fresh for the round ----------------------
# Both sides start from the same catalog state (an empty database), and nothing is deleted
# just before a measured side: dropping thousands of relation files leaves their inodes
# "recently deleted", and ext4 skips those when it allocates the next files (measured: up to
# half of the first side's CPU in find_inode_bit/recently_deleted), so a side that ran right
# after the previous round's drops paid for them.  The rounds' databases are kept until the
# end while they fit in BENCH_SCH_KEEP_MB (default 4000); past that, each round's are dropped
# after it and the next round waits out the kernel's window (vm.dirty_expire_centisecs + 5 s).
KEEP_MB=${BENCH_SCH_KEEP_MB:-4000}
KEEP=1
(((N * 6 / 10) * 2 * REPS * 3 > KEEP_MB)) && KEEP=0
settle() {	# $1 $2: databases of a finished round
	((KEEP)) && return
	psqlq -c "DROP DATABASE $1" -c "DROP DATABASE $2" >/dev/null || die "drop failed"
	sync
	sleep $(($(cat /proc/sys/vm/dirty_expire_centisecs 2>/dev/null || echo 3000) / 100 + 6))
}
fresh_dbs() {	# $1 = tenancy database, $2 = floor database
	psqlq -c "CREATE DATABASE $1" -c "CREATE DATABASE $2" >/dev/null || die "CREATE DATABASE failed"
	psqlq -d "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION tenancy" >/dev/null || die "CREATE EXTENSION failed"
}
# side NAME: run one side, prints its milliseconds; $TSIDE and $FSIDE are the commands
side() {
	local t0
	psqlq -c "CHECKPOINT" >/dev/null
	t0=$(now_ms)
	eval "$1" >/dev/null || die "$2 failed"
	echo $(($(now_ms) - t0))
}

# ---- create + migrate: N tenant_create with the workload in the tenant set --------------
# tenancy: N calls of tenant_create(name, NULL, 'schema') over one psql connection, each
# its own transaction (CREATE SCHEMA, migrate to 5, registry row, audit);
# floor: one connection, per schema "BEGIN; CREATE SCHEMA; SET LOCAL search_path; <5>; COMMIT".
create_round() {	# prints "tenancy_ms floor_ms"
	local tt tf td="tc$ROUND" fd="fc$ROUND"
	fresh_dbs "$td" "$fd"
	psqlq -d "$td" -c "SELECT tenant_migrations_load('$WORK/wl', 'tenants')" >/dev/null || die "loading the tenant set failed"
	for ((i = 0; i < N; i++)); do echo "SELECT tenant_create('s$i', NULL, 'schema');"; done >"$WORK/create.sql"
	local TS="psqlq '$CONN dbname=$td options=-cclient_min_messages=warning' -f '$WORK/create.sql'"
	local FS="'$WORK/floor_schemas' '$CONN dbname=$fd' fl $N '$WORK/workload_pg.sql' create >'$WORK/floor.out'"
	if ((ROUND % 2)); then
		tf=$(side "$FS" floor); tt=$(side "$TS" tenant_create)
	else
		tt=$(side "$TS" tenant_create); tf=$(side "$FS" floor)
	fi
	[ "$(psqlq -d "$td" -c "SELECT count(*) FROM tenants() WHERE version = '5'")" = "$N" ] || die "create: not every schema reached version 5"
	settle "$td" "$fd"
	echo "$tt $tf"
}

# ---- migrate_all: N schema tenants at version 0 (empty set), N plain schemas ----------
run_round() {	# $1 = concurrency; prints "tenancy_ms floor_ms"
	local c=$1 tt tf td="tm${1}_$ROUND" fd="fm${1}_$ROUND"
	fresh_dbs "$td" "$fd"
	for ((i = 0; i < N; i++)); do echo "SELECT tenant_create('s$i', NULL, 'schema');"; done | psqlq -d "$td" >/dev/null || die "tenant_create failed"
	for ((i = 0; i < N; i++)); do echo "CREATE SCHEMA fl$i;"; done | psqlq -d "$fd" >/dev/null || die "floor schemas failed"
	psqlq -d "$td" -c "SELECT tenant_migrations_load('$WORK/wl', 'tenants')" >/dev/null || die "loading the tenant set failed"
	local TS="psqlq '$CONN dbname=$td options=-cclient_min_messages=warning' -c 'SELECT count(*) FROM tenant_migrate_all(NULL, $c)'"
	local FS="'$WORK/floor_schemas' '$CONN dbname=$fd' fl $N '$WORK/workload_pg.sql' >'$WORK/floor.out'"
	if ((ROUND % 2)); then
		tf=$(side "$FS" floor); tt=$(side "$TS" tenant_migrate_all)
	else
		tt=$(side "$TS" tenant_migrate_all); tf=$(side "$FS" floor)
	fi
	[ "$(psqlq -d "$td" -c "SELECT count(*) FROM tenants() WHERE version = '5'")" = "$N" ] || die "not every schema reached version 5"
	settle "$td" "$fd"
	echo "$tt $tf"
}
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# rounds FN ARG: REPS rounds, prints "median_tenancy median_floor median_ratio min_ratio max_ratio"
# (ratio pair by pair)
rounds() {
	local -a T F R
	local r tt tf
	for ((r = 1; r <= REPS; r++)); do
		ROUND=$r
		read -r tt tf < <("$@")
		[ -n "${tt:-}" ] || die "round $* failed"
		T+=("$tt"); F+=("$tf"); R+=("$(calc '%.4f' "$tt / $tf")")
		echo "#   $* rep $r: tenancy $tt ms, floor $tf ms" >&2
	done
	echo "$(printf '%s\n' "${T[@]}" | median) $(printf '%s\n' "${F[@]}" | median) $(printf '%s\n' "${R[@]}" | median)" \
		"$(printf '%s\n' "${R[@]}" | sort -g | head -1) $(printf '%s\n' "${R[@]}" | sort -g | tail -1)"
}
goal() { awk -v r="$1" -v m="$2" 'BEGIN {printf "goal <= %sx: %s", m, (r <= m ? "met" : "NOT met")}'; }
spread() { calc '(pairs %.2f-%.2f)' "$1, $2"; }

read -r tt tf ratio lo hi < <(rounds create_round)
line "create + migrate to 5, $N schemas" "$tt ms" "$tf ms" "$(calc '%.2f' "$ratio")x" "$(goal "$ratio" 1.15) $(spread "$lo" "$hi")"
line "  per schema" "$(calc '%.2f ms' "$tt / $N")" "$(calc '%.2f ms' "$tf / $N")" "" ""
for c in 1 "$C"; do
	read -r tt tf ratio lo hi < <(rounds run_round "$c")
	if [ "$c" = 1 ]; then
		line "tenant_migrate_all, $N schemas, C = 1" "$tt ms" "$tf ms" "$(calc '%.2f' "$ratio")x" "$(goal "$ratio" 1.15) $(spread "$lo" "$hi")"
	else
		line "tenant_migrate_all, $N schemas, C = $c" "$tt ms" "$tf ms" "$(calc '%.2f' "$ratio")x" \
			"$(awk -v r="$ratio" 'BEGIN {printf "goal < 1x of the one-connection floor: %s", (r < 1 ? "met" : "NOT met")}') $(spread "$lo" "$hi")"
	fi
done
echo
echo "floor: bench/floor_schemas.c, one connection, one transaction per schema (SET LOCAL search_path), no tracking;"
echo "       for create + migrate each transaction starts with CREATE SCHEMA."
echo "medians of $REPS rounds; ratio: median of tenancy/floor pair by pair (each pair back to back, which side goes first alternates,"
echo "each side in a fresh database of its own); times: each side's process, connection included.  Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Shared 2-core machine: read the ratios, not the absolute times."
