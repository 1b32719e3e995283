#!/usr/bin/env bash
# bench/run.sh -- `make bench`: tenancy next to the floor, in one run, with ratios.
#
# Each line runs our code and the floor (bench/floor_sqlite.c, bench/floor_pg.c:
# the same SQL in one transaction, no tracking) on the same machine, the same
# disk and the same durability settings, repeats both a few times and prints
# the medians, the ratio and whether the goal from the issue is met.  It only
# reports: it never fails because of a timing.  The table also goes to
# bench/results.txt (not committed by the bench; bench/RESULTS.md is a kept copy).
#
# Env: BENCH_TENANTS (default 1000), BENCH_QUICK=1 (200 tenants, fewer reps),
#      BENCH_REPS (fan-out repetitions, default 5; 3 in quick mode), BENCH_SINGLE_REPS (default 15),
#      BENCH_PG_REPS (default 7), BENCH_PG_PORT (default 55441; use 55440-55449),
#      BENCH_DIR (scratch parent; default /var/tmp: a real disk, not tmpfs),
#      BENCH_PG=0 skips PostgreSQL, BENCH_SQLITE=0 skips SQLite, BENCH_PG_INSTALL=0 uses the installed pg_ext,
#      BENCH_SCALE=1 adds bench/scale.sh (1,000 and 10,000 tenants; long; also `make bench-scale`;
#      with BENCH_QUICK=1, 100 and 1,000)
#      without `make -C pg_ext install`.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	N=${BENCH_TENANTS:-200}; REPS=${BENCH_REPS:-3}
	SINGLE_REPS=${BENCH_SINGLE_REPS:-9}; PG_REPS=${BENCH_PG_REPS:-5}
else
	N=${BENCH_TENANTS:-1000}; REPS=${BENCH_REPS:-5}
	SINGLE_REPS=${BENCH_SINGLE_REPS:-15}; PG_REPS=${BENCH_PG_REPS:-7}
fi
NOOP_CALLS=1000
PG_PORT=${BENCH_PG_PORT:-55441}
EXT=$ROOT/sqlite_ext/tenancy
WL_SQLITE=$ROOT/bench/workload/sqlite
WL_PG=$ROOT/bench/workload/postgres
RESULTS=$ROOT/bench/results.txt

WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/tenancy_bench.XXXXXX") || exit 1
PGDIR=
cleanup() {
	if [ -n "$PGDIR" ] && [ -f "$PGDIR/data/postmaster.pid" ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1
	fi
	[ -n "$PGDIR" ] && rm -rf "$PGDIR"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench: $*" >&2; exit 1; }

# ---- helpers --------------------------------------------------------------
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }
# pratio NAME_A NAME_B: median over repetitions of A[i]/B[i] (pairs ran back to back,
# so a burst of outside disk load hits both sides of a pair, not one median)
pratio() {
	local -n _a=$1 _b=$2
	local i
	for ((i = 0; i < ${#_a[@]}; i++)); do awk -v a="${_a[i]}" -v b="${_b[i]}" 'BEGIN {printf "%.4f\n", a / b}'; done |
		median | xargs printf '%.2f'
}

LINES=()
# line NAME TENANCY FLOOR RATIO GOAL -- one table row (values already formatted)
line() { LINES+=("$(printf '%-46s %12s %12s %7s  %s' "$1" "$2" "$3" "$4" "$5")"); printf '%-46s %12s %12s %7s  %s\n' "$1" "$2" "$3" "$4" "$5"; }
note() { LINES+=("$*"); echo "$*"; }

# goal_ratio RATIO MAX -> "goal <= MAX: met" / "NOT met"
goal_ratio() { awk -v r="$1" -v m="$2" 'BEGIN {printf "goal <= %sx: %s", m, (r <= m ? "met" : "NOT met")}'; }

# fresh_files DIR N: N empty files for the floor (made untimed)
fresh_files() {
	rm -rf "$1"; mkdir -p "$1"
	for ((i = 0; i < $2; i++)); do : >"$1/$(printf 't%05d.db' "$i")"; done
}

# ---- build the drivers -----------------------------------------------------
BIN=$WORK/bin
mkdir -p "$BIN"
cc -O2 -Wall -Wextra -o "$BIN/floor_sqlite" bench/floor_sqlite.c -lsqlite3 -lpthread || die "cannot build floor_sqlite"
cc -O2 -Wall -Wextra -o "$BIN/tn_sqlite_time" bench/tn_sqlite_time.c -lsqlite3 || die "cannot build tn_sqlite_time"
[ -f "$EXT.so" ] || die "sqlite_ext/tenancy.so is missing (make sqlite)"
cat "$WL_SQLITE"/V*.sql >"$WORK/workload_sqlite.sql"
cat "$WL_PG"/V*.sql >"$WORK/workload_pg.sql"
TS=$BIN/tn_sqlite_time
FS=$BIN/floor_sqlite

# tn DB REPEAT SQL [SETUP]: tenancy side, seconds
tn() { "$TS" "$1" "$EXT" "$2" "$3" ${4:+"$4"}; }

note "tenancy benchmarks  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
note "machine: $(nproc) cores, $(uname -sr), SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1), scratch on $(df -T "$WORK" | awk 'NR==2 {print $2}')"
note "times: medians of repeated runs; ratio: median of tenancy/floor over repetitions (each pair back to back)"
note "SQLite on both sides with its defaults (journal_mode=DELETE, synchronous=FULL); PostgreSQL fsync=on"
note ""
line "measurement" "tenancy" "floor" "ratio" "goal"
line "-----------" "-------" "-----" "-----" "----"

# ---- 1. SQLite fan-out ------------------------------------------------------
if [ "${BENCH_SQLITE:-1}" = 0 ]; then
	line "sqlite" "-" "-" "-" "skipped: BENCH_SQLITE=0"
else
declare -a P_PROV P_C1 P_C2 F_C1 F_C2 P_NOOP F_NOOP F_V0 P_NOOPR F_NOOPR
CREATE_SQL=$WORK/create.sql
for ((i = 0; i < N; i++)); do printf "SELECT tenant_create('t%05d');\n" "$i"; done >"$CREATE_SQL"
echo "# sqlite fan-out: $N tenants, $REPS repetitions" >&2
for ((r = 1; r <= REPS; r++)); do
	A=$WORK/reg_a; B=$WORK/reg_b; FL=$WORK/floor; FL0=$WORK/floor_v0
	rm -rf "$A" "$B"; mkdir -p "$A"
	sync
	# provisioning: N tenant_create calls with an empty tenant set (timed on its own)
	t=$(tn "$A/registry.db" 1 "$(cat "$CREATE_SQL")") || die "tenant_create failed"
	P_PROV+=("$t")
	# then the workload joins the set (this migrates the template, not the tenants)
	tn "$A/registry.db" 1 "SELECT tenant_migrations_load('$WL_SQLITE', 'tenants')" >/dev/null || die "load failed"
	cp -a "$A" "$B"
	fresh_files "$FL" "$N"
	# diagnostic floor: the same files tenancy starts from (template copies at
	# version 0, tracking tables inside), so SQLite journals the same pages
	rm -rf "$FL0"; mkdir -p "$FL0"; cp "$A"/t[0-9]*.db "$FL0"/
	sync

	# C=1: floor single-threaded vs tenant_migrate_all(NULL, 1); order alternates by repetition
	if ((r % 2)); then
		F_C1+=("$("$FS" apply "$FL" "$N" 1 "$WORK/workload_sqlite.sql")") || die "floor failed"; sync
		P_C1+=("$(tn "$A/registry.db" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, 1)")") || die "migrate_all failed"; sync
	else
		P_C1+=("$(tn "$A/registry.db" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, 1)")") || die "migrate_all failed"; sync
		F_C1+=("$("$FS" apply "$FL" "$N" 1 "$WORK/workload_sqlite.sql")") || die "floor failed"; sync
	fi
	F_V0+=("$("$FS" apply "$FL0" "$N" 1 "$WORK/workload_sqlite.sql")") || die "floor on v0 files failed"; sync
	if [ "$r" -eq 1 ]; then
		# sanity (untimed): every tenant applied all five, same journal settings as the floor
		bad=$(sqlite3 "$A/registry.db" "SELECT count(*) FROM tenancy_run_tenants WHERE status <> 'applied' OR applied <> 5")
		[ "$bad" = 0 ] || die "fan-out: $bad tenants did not apply the workload"
		jm=$(sqlite3 "$A/t00000.db" "PRAGMA journal_mode") fj=$(sqlite3 "$FL/t00000.db" "PRAGMA journal_mode")
		[ "$jm" = "$fj" ] || die "journal modes differ: tenancy $jm, floor $fj"
		cmp <(sqlite3 "$A/t00000.db" "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%' ORDER BY name") \
			<(sqlite3 "$FL/t00000.db" "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite%' ORDER BY name") >/dev/null ||
			die "tenancy and the floor built different schemas"
	fi
	# no-op rerun: everything up to date
	P_NOOP+=("$(tn "$A/registry.db" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, 1)")") || die "no-op migrate_all failed"
	F_NOOP+=("$("$FS" noop "$FL" "$N")") || die "floor noop failed"
	sync
	# the same with no generation stamp kept (issue 9): every tenant's tracking rows are read
	sqlite3 "$A/registry.db" "UPDATE tenancy_tenants SET probe_stamp = NULL" || die "cannot clear the stamps"
	sync
	P_NOOPR+=("$(tn "$A/registry.db" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, 1)")") || die "no-op migrate_all failed"
	F_NOOPR+=("$("$FS" noop "$FL" "$N")") || die "floor noop failed"
	sync

	# C=2: floor with 2 threads vs tenant_migrate_all(NULL, 2)
	fresh_files "$FL" "$N"; sync
	if ((r % 2)); then
		F_C2+=("$("$FS" apply "$FL" "$N" 2 "$WORK/workload_sqlite.sql")") || die "floor failed"; sync
		P_C2+=("$(tn "$B/registry.db" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, 2)")") || die "migrate_all failed"; sync
	else
		P_C2+=("$(tn "$B/registry.db" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, 2)")") || die "migrate_all failed"; sync
		F_C2+=("$("$FS" apply "$FL" "$N" 2 "$WORK/workload_sqlite.sql")") || die "floor failed"; sync
	fi
	echo "#   rep $r: provision ${P_PROV[-1]}s  C=1 ${P_C1[-1]}/${F_C1[-1]}s  C=2 ${P_C2[-1]}/${F_C2[-1]}s  no-op ${P_NOOP[-1]}/${F_NOOP[-1]}s" >&2
	rm -rf "$A" "$B" "$FL" "$FL0"
done

m_prov=$(printf '%s\n' "${P_PROV[@]}" | median)
m_pc1=$(printf '%s\n' "${P_C1[@]}" | median); m_fc1=$(printf '%s\n' "${F_C1[@]}" | median)
m_pc2=$(printf '%s\n' "${P_C2[@]}" | median); m_fc2=$(printf '%s\n' "${F_C2[@]}" | median)
m_fv0=$(printf '%s\n' "${F_V0[@]}" | median)
m_pn=$(printf '%s\n' "${P_NOOP[@]}" | median); m_fn=$(printf '%s\n' "${F_NOOP[@]}" | median)
r1=$(pratio P_C1 F_C1); r2=$(pratio P_C2 F_C2); rn=$(pratio P_NOOP F_NOOP)
line "sqlite fan-out N=$N, concurrency 1" "$(calc '%.3f s' "$m_pc1")" "$(calc '%.3f s' "$m_fc1")" "$r1" "$(goal_ratio "$r1" 1.2)"
line "  same, floor on v0 tenant files (diagnostic)" "$(calc '%.3f s' "$m_pc1")" "$(calc '%.3f s' "$m_fv0")" "$(pratio P_C1 F_V0)" "(floor starts from tenancy's template copies)"
line "  per tenant, concurrency 1" "$(calc '%.2f ms' "$m_pc1 * 1000 / $N")" "$(calc '%.2f ms' "$m_fc1 * 1000 / $N")" "$r1" ""
line "sqlite fan-out N=$N, concurrency 2" "$(calc '%.3f s' "$m_pc2")" "$(calc '%.3f s' "$m_fc2")" "$r2" "$(goal_ratio "$r2" 1.2)"
line "sqlite fan-out no-op rerun, per tenant" "$(calc '%.3f ms' "$m_pn * 1000 / $N")" "$(calc '%.3f ms' "$m_fn * 1000 / $N")" "$rn" "$(goal_ratio "$rn" 1.2) (floor: open + 1 query + close)"
m_pnr=$(printf '%s\n' "${P_NOOPR[@]}" | median); m_fnr=$(printf '%s\n' "${F_NOOPR[@]}" | median); rnr=$(pratio P_NOOPR F_NOOPR)
line "  same, no stamps kept (every file read)" "$(calc '%.3f ms' "$m_pnr * 1000 / $N")" "$(calc '%.3f ms' "$m_fnr * 1000 / $N")" "$rnr" "(diagnostic: one statement per file)"
line "sqlite tenant_create, per tenant" "$(calc '%.2f ms' "$m_prov * 1000 / $N")" "-" "-" "(provisioning, $N tenants: $(calc '%.2f s' "$m_prov"))"

# ---- 2. SQLite single database ---------------------------------------------
echo "# sqlite single database: $SINGLE_REPS repetitions" >&2
declare -a S_P S_F S_NP S_NF
for ((r = 1; r <= SINGLE_REPS; r++)); do
	D=$WORK/single; rm -rf "$D"; mkdir -p "$D"
	: >"$D/t00000.db"; : >"$D/tn.db"
	# the catalog is loaded untimed (its own commit), then tenant_migrate() is timed
	tn "$D/tn.db" 0 "SELECT 1" "SELECT tenant_migrations_load('$WL_SQLITE')" >/dev/null || die "load failed"
	sync
	if ((r % 2)); then
		S_F+=("$("$FS" apply "$D" 1 1 "$WORK/workload_sqlite.sql")") || die "floor failed"
		S_P+=("$(tn "$D/tn.db" 1 "SELECT tenant_migrate()")") || die "tenant_migrate failed"
	else
		S_P+=("$(tn "$D/tn.db" 1 "SELECT tenant_migrate()")") || die "tenant_migrate failed"
		S_F+=("$("$FS" apply "$D" 1 1 "$WORK/workload_sqlite.sql")") || die "floor failed"
	fi
	if [ "$r" -le 3 ]; then
		S_NP+=("$(tn "$D/tn.db" "$NOOP_CALLS" "SELECT tenant_migrate()")") || die "no-op failed"
		S_NF+=("$("$FS" query "$D/t00000.db" "$NOOP_CALLS" "SELECT count(*) FROM sqlite_schema")") || die "floor query failed"
	fi
done
[ "$(sqlite3 "$D/tn.db" "SELECT count(*) FROM tenancy_applied")" = 5 ] || die "single: tenant_migrate did not apply 5"
m_sp=$(printf '%s\n' "${S_P[@]}" | median); m_sf=$(printf '%s\n' "${S_F[@]}" | median)
m_snp=$(printf '%s\n' "${S_NP[@]}" | median); m_snf=$(printf '%s\n' "${S_NF[@]}" | median)
rs=$(pratio S_P S_F)
line "sqlite single db tenant_migrate() (5 mig.)" "$(calc '%.2f ms' "$m_sp * 1000")" "$(calc '%.2f ms' "$m_sf * 1000")" "$rs" "(report only)"
line "sqlite no-op tenant_migrate(), per call" "$(calc '%.3f ms' "$m_snp * 1000 / $NOOP_CALLS")" "$(calc '%.3f ms' "$m_snf * 1000 / $NOOP_CALLS")" \
	"$(pratio S_NP S_NF)" "(floor: one query, same connection)"

fi	# BENCH_SQLITE

# ---- 3. PostgreSQL single database ------------------------------------------
pg_skip() { line "postgres single db" "-" "-" "-" "skipped: $1"; }
PG_BIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "${PG_BIN:-/nonexistent}/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_bench() {
	local ctl sock conn_tn conn_fl
	[ "${BENCH_PG:-1}" = 0 ] && { pg_skip "BENCH_PG=0"; return; }
	command -v pg_config >/dev/null && [ -f pg_ext/Makefile ] || { pg_skip "pg_ext not built"; return; }
	if [ "${BENCH_PG_INSTALL:-1}" != 0 ] && [ "$(id -u)" -eq 0 ]; then
		if ! { make -C pg_ext && make -C pg_ext install; } >"$WORK/pg_build.log" 2>&1; then
			tail -5 "$WORK/pg_build.log" >&2; pg_skip "pg_ext not built"; return
		fi
	fi
	ctl=$(pg_config --sharedir)/extension/tenancy.control
	[ -f "$ctl" ] || { pg_skip "pg_ext not built"; return; }
	cc -O2 -Wall -Wextra -I"$(pg_config --includedir)" -o "$BIN/floor_pg" bench/floor_pg.c -lpq ||
		{ pg_skip "cannot build floor_pg"; return; }

	# throwaway cluster: fsync on, defaults otherwise; private port and socket dir
	PGDIR=$(mktemp -d /tmp/tenancy_bench_pg.XXXXXX); chmod 755 "$PGDIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PGDIR"
	as_pg "$PG_BIN/initdb" -D "$PGDIR/data" -A trust -U postgres --locale=C.UTF-8 -E UTF8 >"$PGDIR/initdb.log" 2>&1 ||
		{ cat "$PGDIR/initdb.log" >&2; pg_skip "initdb failed"; return; }
	printf "listen_addresses = ''\nport = %s\nunix_socket_directories = '%s'\nfsync = on\n" "$PG_PORT" "$PGDIR" >>"$PGDIR/data/postgresql.conf"
	as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 start >/dev/null ||
		{ tail -5 "$PGDIR/server.log" >&2; pg_skip "cluster did not start on port $PG_PORT"; return; }
	# the server reads migration files itself: give it a copy it may read
	cp -r "$WL_PG" "$PGDIR/workload"; chmod -R a+rX "$PGDIR/workload"
	sock="host=$PGDIR port=$PG_PORT user=postgres"
	psqlc() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PG_PORT" -U postgres "$@"; }
	psqlc -d postgres -c "CREATE EXTENSION tenancy" -c "DROP EXTENSION tenancy" >/dev/null 2>"$WORK/pg_ext.err" ||
		{ cat "$WORK/pg_ext.err" >&2; pg_skip "pg_ext not built (CREATE EXTENSION failed)"; return; }

	echo "# postgres single database: $PG_REPS repetitions, port $PG_PORT" >&2
	local -a PT PF PNT PNF
	local r
	for ((r = 1; r <= PG_REPS; r++)); do
		psqlc -d postgres -c "CREATE DATABASE bench_tn_$r TEMPLATE template0" -c "CREATE DATABASE bench_fl_$r TEMPLATE template0" >/dev/null || die "createdb failed"
		psqlc -d "bench_tn_$r" -c "CREATE EXTENSION tenancy" -c "SELECT tenant_migrations_load('$PGDIR/workload')" >/dev/null || die "pg load failed"
		# the floor's database is connected to once too, as tenancy's was by the load above: the
		# first connection to a database builds its relation-cache init file (pg_internal.init),
		# which neither side's timed run should pay
		psqlc -d "bench_fl_$r" -c "SELECT 1" >/dev/null
		conn_tn="$sock dbname=bench_tn_$r"; conn_fl="$sock dbname=bench_fl_$r"
		psqlc -d postgres -c CHECKPOINT >/dev/null
		if ((r % 2)); then
			PF+=("$("$BIN/floor_pg" apply "$conn_fl" "$WORK/workload_pg.sql")") || die "floor_pg failed"
			psqlc -d postgres -c CHECKPOINT >/dev/null
			PT+=("$("$BIN/floor_pg" stmt "$conn_tn" 1 "SELECT tenant_migrate()")") || die "tenant_migrate failed"
		else
			PT+=("$("$BIN/floor_pg" stmt "$conn_tn" 1 "SELECT tenant_migrate()")") || die "tenant_migrate failed"
			psqlc -d postgres -c CHECKPOINT >/dev/null
			PF+=("$("$BIN/floor_pg" apply "$conn_fl" "$WORK/workload_pg.sql")") || die "floor_pg failed"
		fi
		[ "$(psqlc -d "bench_tn_$r" -Atc "SELECT count(*) FROM tenancy.applied")" = 5 ] || die "pg: tenant_migrate did not apply 5"
		if [ "$r" -le 3 ]; then
			PNT+=("$("$BIN/floor_pg" stmt "$conn_tn" "$NOOP_CALLS" "SELECT tenant_migrate()")") || die "no-op failed"
			PNF+=("$("$BIN/floor_pg" stmt "$conn_fl" "$NOOP_CALLS" "SELECT 1")") || die "SELECT 1 failed"
		fi
		psqlc -d postgres -c "DROP DATABASE bench_tn_$r" -c "DROP DATABASE bench_fl_$r" >/dev/null
		echo "#   rep $r: tenant_migrate ${PT[-1]} ms, floor ${PF[-1]} ms" >&2
	done
	local mt mf mnt mnf ratio lim
	mt=$(printf '%s\n' "${PT[@]}" | median); mf=$(printf '%s\n' "${PF[@]}" | median)
	mnt=$(printf '%s\n' "${PNT[@]}" | median); mnf=$(printf '%s\n' "${PNF[@]}" | median)
	ratio=$(pratio PT PF); lim=$(calc '%.2f' "1.1 * $mf + 0.5")
	# the goal per pair too (each tenancy run against the floor run next to it)
	local met=0 i
	for ((i = 0; i < ${#PT[@]}; i++)); do
		awk -v t="${PT[$i]}" -v f="${PF[$i]}" 'BEGIN {exit !(t <= 1.1 * f + 0.5)}' && met=$((met + 1))
	done
	line "postgres tenant_migrate() (5 mig.)" "$(calc '%.2f ms' "$mt")" "$(calc '%.2f ms' "$mf")" "$ratio" \
		"$(awk -v t="$mt" -v l="$lim" -v m="$met" -v n="${#PT[@]}" 'BEGIN {printf "goal <= 1.1x floor + 0.5 ms = %.2f ms: %s (pairs within it: %d of %d)", l, (t <= l ? "met" : "NOT met"), m, n}')"
	line "postgres no-op tenant_migrate(), per call" "$(calc '%.3f ms' "$mnt / $NOOP_CALLS")" "$(calc '%.3f ms' "$mnf / $NOOP_CALLS")" \
		"$(pratio PNT PNF)" \
		"$(awk -v t="$mnt" -v n="$NOOP_CALLS" 'BEGIN {printf "goal < 0.2 ms: %s (floor: SELECT 1)", (t / n < 0.2 ? "met" : "NOT met")}')"
}
pg_bench

note ""
note "floor: bench/floor_sqlite.c and bench/floor_pg.c run the same SQL (bench/workload/) in one transaction with no tracking."
printf '%s\n' "${LINES[@]}" >"$RESULTS"
echo "written: bench/results.txt"

# ---- PostgreSQL registry fan-out (bench/pg_fanout.sh; owned by the fan-out engineer) ----
# Its own cluster on port 55470; prints its own table; BENCH_PG=0 skips it too.
if [ "${BENCH_PG:-1}" != 0 ]; then
	bash "$ROOT/bench/pg_fanout.sh" || echo "bench: pg_fanout.sh failed (see above)" >&2
fi

# ---- PostgreSQL schema tenants (bench/pg_schemas.sh; owned by the schema-tenant engineer) ----
# Its own cluster on port 55494; prints its own table; BENCH_PG=0 skips it too.
if [ "${BENCH_PG:-1}" != 0 ]; then
	bash "$ROOT/bench/pg_schemas.sh" || echo "bench: pg_schemas.sh failed (see above)" >&2
fi

# ---- SQLite fallback of a PostgreSQL tenant (bench/fallback.sh; owned by the fallback engineer) ----
# Its own cluster on port 55485; prints its own table; BENCH_PG=0 skips it too.
if [ "${BENCH_PG:-1}" != 0 ]; then
	bash "$ROOT/bench/fallback.sh" || echo "bench: fallback.sh failed (see above)" >&2
fi

# ---- schema tenants on Citus: coordinator + 2 workers vs one server (bench/citus.sh) ----
# Its own clusters on ports 55565-55568; skipped (one line) without Citus; BENCH_PG=0 skips it too.
if [ "${BENCH_PG:-1}" != 0 ]; then
	bash "$ROOT/bench/citus.sh" || echo "bench: citus.sh failed (see above)" >&2
fi

# ---- the tenancy command next to the SQL call it wraps (bench/cli.sh) ----
# SQLite only; prints its own lines; BENCH_SQLITE=0 skips it.
if [ "${BENCH_SQLITE:-1}" != 0 ]; then
	bash "$ROOT/bench/cli.sh" || echo "bench: cli.sh failed (see above)" >&2
fi

# ---- scale: 1,000 and 10,000 tenants (bench/scale.sh; long, so only with BENCH_SCALE=1) ----
# With BENCH_QUICK=1 it runs 100 and 1,000 tenants (and 100 database tenants) instead.
if [ "${BENCH_SCALE:-0}" = 1 ]; then
	bash "$ROOT/bench/scale.sh" || echo "bench: scale.sh failed (see above)" >&2
else
	echo
	echo "scale (time per tenant, caller's peak memory, fds at 1,000 and 10,000 tenants): not run here;"
	echo "  \`make bench-scale\` or BENCH_SCALE=1 make bench (long; BENCH_QUICK=1: 100 and 1,000); last figures in bench/RESULTS.md"
fi
