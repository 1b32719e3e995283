#!/usr/bin/env bash
# bench/pg_fanout.sh -- the PostgreSQL registry and fan-out (the default version) next
# to its floors, on one throwaway cluster (port 55470; BENCH_FO_PORT, use
# 55470-55479).  Prints times and ratios; never fails because of a timing.
#
#   provisioning   N x tenant_create(name)            vs N x CREATE DATABASE .. TEMPLATE tenancy_template_ctl
#                                                     (the same SQL tenant_create sends; diagnostic: an empty template)
#                  (in BENCH_PROV_ROUNDS pairs, default 5, the side going first alternating)
#   migrate        tenant_migrate_all(NULL, C), 5 migrations
#                                                     vs bench/floor_fanout.c: C async libpq
#                                                       connections, "BEGIN; <5 migrations>; COMMIT"
#                                                       in one round trip per database, no tracking
#   alembic loop   the same migrate                   vs Alembic (bench/alembic, Debian's python3-alembic):
#                                                       one process, alembic.command.upgrade(cfg, "head")
#                                                       tenant by tenant; speed-up = Alembic / tenancy, goal >= 2.5x
#   no-op rerun    tenant_migrate_all(NULL, C) again: every tenant asked (the registry's
#                                                       cache never decides, issue 9)
#                                                     vs floor_fanout noop: connect + SELECT 1 per database
#                                                     (diagnostic: vs floor_fanout noop-reads, connect + the exact
#                                                       read tenancy sends a database tenant in a no-op, taken from
#                                                       t0's statement log, run on the tenant databases)
#   verify all     tenant_verify_all(C)               vs floor_fanout noop (goal <= 1.2x)
#   who is behind  the registry query of tenant_migrate_all at 10,000 registry rows
#                  (fake rows inserted), median of 20
#
# Env: BENCH_QUICK=1 (N=200, else 1000), BENCH_TENANTS, BENCH_FO_C (concurrency, default 8),
#      BENCH_REPS (no-op repetitions, default 7; 5 in quick mode: the pairs move by 20% with the shared machine), BENCH_DIR (scratch parent, default /var/tmp),
#      BENCH_PG_INSTALL=0 (use the installed pg_ext as is).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ "${BENCH_QUICK:-0}" = 1 ]; then N=${BENCH_TENANTS:-200}; else N=${BENCH_TENANTS:-1000}; fi
C=${BENCH_FO_C:-8}
if [ "${BENCH_QUICK:-0}" = 1 ]; then REPS=${BENCH_REPS:-5}; else REPS=${BENCH_REPS:-7}; fi
PORT=${BENCH_FO_PORT:-55470}
REGISTRY_ROWS=10000
PG_BIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "${PG_BIN:-/nonexistent}/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
die() { echo "bench pg_fanout: $*" >&2; exit 1; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
line() { printf '%-46s %12s %12s %7s  %s\n' "$1" "$2" "$3" "$4" "$5"; }

WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/tenancy_fo_bench.XXXXXX") || exit 1
chmod 755 "$WORK"
cleanup() {
	[ -f "$WORK/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build, install, cluster --------------------------------------------------
cc -O2 -Wall -Wextra -I"$(pg_config --includedir)" -o "$WORK/floor_fanout" bench/floor_fanout.c -lpq || die "cannot build floor_fanout"
cc -O2 -Wall -Wextra -I"$(pg_config --includedir)" -o "$WORK/floor_pg" bench/floor_pg.c -lpq || die "cannot build floor_pg"
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
as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 start >/dev/null || { cat "$WORK/server.log"; die "cluster did not start"; }
CONN="host=$WORK port=$PORT user=postgres"
TCONN="$CONN dbname=ctl options=-cclient_min_messages=warning"	# no progress NOTICEs in the timings
psqlq() { "$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres "$@"; }
psqlq -c "CREATE DATABASE ctl" -c "CREATE DATABASE fl_template" || die "setup failed"
psqlq -d ctl -c "CREATE EXTENSION tenancy" || die "CREATE EXTENSION failed"
cat "$ROOT"/bench/workload/postgres/V*.sql >"$WORK/workload_pg.sql"
mkdir -p "$WORK/wl" && cp "$ROOT"/bench/workload/postgres/V*.sql "$WORK/wl/" && chmod -R a+rX "$WORK/wl"

echo "tenancy fan-out benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), fsync=on, scratch on $(df -T "$WORK" | awk 'NR==2 {print $2}')"
echo "N = $N database tenants, concurrency C = $C; ratio = tenancy / floor"
echo
line "measurement" "tenancy" "floor" "ratio" ""
line "-----------" "-------" "-----" "-----" ""

# ---- provisioning ---------------------------------------------------------------
# In PROV_ROUNDS pairs of N / PROV_ROUNDS databases a side, back to back, the side that goes
# first alternating: CREATE DATABASE's cost follows the shared disk (checkpoints, other
# users' writes) by 2-4x from minute to minute, so one unpaired run of each side decides
# nothing.  The ratio is the median of the pairs' ratios; the times are the totals.
# The floor sends the same SQL tenant_create sends (CREATE DATABASE .. TEMPLATE
# tenancy_template_ctl, the control database's template: the extension's tables in
# it), so the ratio is what tenancy adds to that statement; a warm-up tenant (w0,
# untimed) makes the template first.  A diagnostic line shows one round of the floor
# from an empty template (fl_template): what copying the extension's objects costs.
psqlq -d ctl -c "SELECT tenant_create('w0')" >/dev/null || die "the warm-up tenant_create failed"
TPL=$(psqlq -d ctl -c "SELECT datname FROM pg_database WHERE datname = 'tenancy_template_ctl'")
[ "$TPL" = tenancy_template_ctl ] || die "tenant_create made no template tenancy_template_ctl"
psqlq -d ctl -c "SELECT tenant_drop('w0', 'delete')" >/dev/null || die "dropping the warm-up tenant failed"
PROV_ROUNDS=${BENCH_PROV_ROUNDS:-20}
[ "$PROV_ROUNDS" -gt "$N" ] && PROV_ROUNDS=$N
t_prov=0; f_prov=0; PROV_RATIOS=(); lo=0
for ((r = 0; r < PROV_ROUNDS; r++)); do
	hi=$(((r + 1) * N / PROV_ROUNDS))
	for ((i = lo; i < hi; i++)); do echo "SELECT tenant_create('t$i');"; done >"$WORK/create.sql"
	for ((i = lo; i < hi; i++)); do echo "CREATE DATABASE f$i TEMPLATE $TPL;"; done >"$WORK/floor_create.sql"
	prov_t() { t0=$(now_ms); psqlq -d ctl -f "$WORK/create.sql" >/dev/null || die "tenant_create failed"; tt=$(($(now_ms) - t0)); }
	prov_f() { t0=$(now_ms); psqlq -d postgres -f "$WORK/floor_create.sql" >/dev/null || die "CREATE DATABASE failed"; ft=$(($(now_ms) - t0)); }
	if ((r % 2)); then prov_f; prov_t; else prov_t; prov_f; fi
	t_prov=$((t_prov + tt)); f_prov=$((f_prov + ft)); PROV_RATIOS+=("$(calc '%.4f' "$tt / $ft")"); lo=$hi
done
prov_ratio=$(printf '%s\n' "${PROV_RATIOS[@]}" | median)
line "provisioning, per tenant" "$(calc '%.1f ms' "$t_prov / $N")" "$(calc '%.1f ms' "$f_prov / $N")" \
	"$(calc '%.2f' "$prov_ratio")" \
	"$(awk -v r="$prov_ratio" 'BEGIN {printf "goal <= 1.1x: %s (tenant_create vs the CREATE DATABASE .. TEMPLATE it sends)", (r <= 1.1 ? "met" : "NOT met")}')"
echo "  provisioning pairs (tenancy/floor ratio, $PROV_ROUNDS pairs of about $((N / PROV_ROUNDS)) databases a side, first side alternating): $(printf '%s ' "${PROV_RATIOS[@]}")"
M=$((N / 5))
for ((i = 0; i < M; i++)); do echo "CREATE DATABASE g$i TEMPLATE $TPL;"; done >"$WORK/g_create.sql"
for ((i = 0; i < M; i++)); do echo "CREATE DATABASE e$i TEMPLATE fl_template;"; done >"$WORK/e_create.sql"
t0=$(now_ms); psqlq -d postgres -f "$WORK/g_create.sql" >/dev/null || die "CREATE DATABASE failed"; gt=$(($(now_ms) - t0))
t0=$(now_ms); psqlq -d postgres -f "$WORK/e_create.sql" >/dev/null || die "CREATE DATABASE failed"; et=$(($(now_ms) - t0))
line "  floor from an empty template instead" "$(calc '%.1f ms' "$gt / $M")" "$(calc '%.1f ms' "$et / $M")" "$(calc '%.2f' "$gt / $et")" \
	"(diagnostic: CREATE DATABASE from tenancy's template vs fl_template, $M a side: the extension's objects copied)"
for ((i = 0; i < M; i++)); do echo "DROP DATABASE g$i; DROP DATABASE e$i;"; done | psqlq -d postgres >/dev/null || die "DROP DATABASE failed"

# ---- migrate: 5 migrations into N tenants ---------------------------------------
psqlq -d ctl -c "SELECT tenant_migrations_load('$WORK/wl', 'tenants')" >/dev/null || die "loading the tenant set failed"
t_mig=$("$WORK/floor_pg" stmt "$TCONN" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, $C)") || die "tenant_migrate_all failed"
f_mig=$("$WORK/floor_fanout" apply "$CONN" f "$N" "$C" "$WORK/workload_pg.sql") || die "floor_fanout apply failed"
[ "$(psqlq -d ctl -c "SELECT count(*) FROM tenants() WHERE version = '5'")" = "$N" ] || die "not every tenant reached version 5"
line "migrate_all, 5 migrations, whole run" "$(calc '%.0f ms' "$t_mig")" "$(calc '%.0f ms' "$f_mig")" \
	"$(calc '%.2f' "$t_mig / $f_mig")" "($(calc '%.1f' "$t_mig / $N") vs $(calc '%.1f' "$f_mig / $N") ms per tenant)"

# ---- the common practice: Alembic, tenant by tenant, in one process ------------------
# bench/alembic: the same V1..V5 as Alembic revisions; migrate_tenants.py loops over a
# fresh set a0..a(N-1) (from fl_template, like the floor's) running
# alembic.command.upgrade(cfg, "head") per tenant; it reports the loop's wall time
# (interpreter start and imports not counted).  Goal: Alembic / tenancy >= 2.5.
ALEMBIC_PY=/usr/bin/python3	# Debian's python3-alembic + python3-psycopg2, not a pyenv python3
alembic_bench() {
	[ -x "$ALEMBIC_PY" ] || { echo "no $ALEMBIC_PY"; return 1; }
	"$ALEMBIC_PY" -c 'import alembic, psycopg2, sqlalchemy' 2>/dev/null ||
		{ echo "$ALEMBIC_PY lacks alembic/psycopg2/sqlalchemy: apt-get install python3-alembic python3-psycopg2"; return 1; }
	for ((i = 0; i < N; i++)); do echo "CREATE DATABASE a$i TEMPLATE fl_template;"; done >"$WORK/alembic_create.sql"
	psqlq -d postgres -f "$WORK/alembic_create.sql" >/dev/null 2>"$WORK/alembic.err" ||
		{ echo "CREATE DATABASE failed: $(tail -1 "$WORK/alembic.err")"; return 1; }
	a_mig=$("$ALEMBIC_PY" "$ROOT/bench/alembic/migrate_tenants.py" --host "$WORK" --port "$PORT" --user postgres \
		--prefix a --count "$N" 2>"$WORK/alembic.err") || { echo "upgrade failed: $(tail -1 "$WORK/alembic.err")"; return 1; }
	local at_v5=0
	for ((i = 0; i < N; i++)); do
		[ "$(psqlq -d "a$i" -c "SELECT version_num FROM alembic_version" 2>/dev/null)" = v5 ] && at_v5=$((at_v5 + 1))
	done
	[ "$at_v5" = "$N" ] || { echo "only $at_v5 of $N tenants at revision v5"; return 1; }
	echo "$a_mig"
}
if a_out=$(alembic_bench); then
	a_mig=$a_out
	speedup=$(calc '%.2f' "$a_mig / $t_mig")
	verdict=$(awk "BEGIN {print ($a_mig / $t_mig >= 2.5) ? \"met\" : \"NOT met\"}")
	line "alembic loop, tenant by tenant" "$(calc '%.0f ms' "$t_mig")" "$(calc '%.0f ms' "$a_mig")" "${speedup}x" \
		"(speed-up = Alembic / tenancy, goal >= 2.5x: $verdict; Alembic $(calc '%.1f' "$a_mig / $N") ms per tenant)"
else
	echo "alembic: skipped (${a_out:-unknown reason})"
fi

# ---- no-op reruns ----------------------------------------------------------------
# Every run asks every tenant (issue 9, registry truth: a cache never decides who is
# skipped), so a no-op rerun is a connection and the tenant's answer per tenant.  The
# floor is the least that can be: connect + SELECT 1 per database (floor_fanout noop).
# Goal (issue 9): within 1.2x of it.  Pairs run back to back; the ratio is the median
# of the per-pair ratios.
# The read a no-op sends each database tenant (libpq_probe.c), exactly, from the statement
# log of one tenant while a run asks it alone.
psqlq -d postgres -c "ALTER DATABASE t0 SET log_statement = 'all'" || die "log_statement failed"
log0=$(wc -l <"$WORK/server.log")
psqlq -d ctl -c "SET client_min_messages = warning" -c "SELECT count(*) FROM tenant_migrate_all(NULL, 1, NULL, ARRAY['t0'])" >/dev/null ||
	die "the no-op of t0 failed"
psqlq -d postgres -c "ALTER DATABASE t0 RESET log_statement" || die "log_statement reset failed"
READ_SQL=$(tail -n +"$((log0 + 1))" "$WORK/server.log" | sed -n 's/^.* LOG:  statement: //p' | head -1)
[ -n "$READ_SQL" ] || die "no statement of the no-op found in t0's log"
declare -a TN FN RATIOS FR RRATIOS CN CR
# tenant backends' CPU: the postmaster's reaped children's user + system time (/proc, clock ticks)
PM_PID=$(head -1 "$WORK/data/postmaster.pid")
child_ticks() { awk '{print $16 + $17}' "/proc/$PM_PID/stat" 2>/dev/null || echo 0; }
for ((r = 0; r < REPS; r++)); do
	TN+=("$("$WORK/floor_pg" stmt "$TCONN" 1 "SELECT count(*) FROM tenant_migrate_all(NULL, $C)")")
	c0=$(child_ticks)
	FN+=("$("$WORK/floor_fanout" noop "$CONN" f "$N" "$C")")
	sleep 0.3; c1=$(child_ticks); CN+=("$((c1 - c0))")
	RATIOS+=("$(calc '%.4f' "${TN[r]} / ${FN[r]}")")
	c0=$(child_ticks)
	FR+=("$("$WORK/floor_fanout" noop-reads "$CONN" t "$N" "$C" "$READ_SQL")") || die "floor_fanout noop-reads failed"
	sleep 0.3; c1=$(child_ticks); CR+=("$((c1 - c0))")
	RRATIOS+=("$(calc '%.4f' "${TN[r]} / ${FR[r]}")")
done
asked=$(psqlq -d ctl -c "SELECT count(*) FROM tenancy.run_tenants WHERE run_id = (SELECT max(run_id) FROM tenancy.runs) AND status = 'up_to_date'")
t_noop=$(printf '%s\n' "${TN[@]}" | median); f_noop=$(printf '%s\n' "${FN[@]}" | median)
noop_ratio=$(printf '%s\n' "${RATIOS[@]}" | median)
line "no-op rerun, every tenant asked" "$(calc '%.0f ms' "$t_noop")" "$(calc '%.0f ms' "$f_noop")" \
	"$(calc '%.2f' "$noop_ratio")" "(goal <= 1.2x: $(awk "BEGIN {print ($noop_ratio <= 1.2) ? \"met\" : \"NOT met\"}"); $asked of $N tenants answered up_to_date; floor = connect + SELECT 1 each)"
echo "  no-op pairs (tenancy/floor ms): $(for ((r = 0; r < REPS; r++)); do printf '%s/%s ' "${TN[r]}" "${FN[r]}"; done)"
f_read=$(printf '%s\n' "${FR[@]}" | median); read_ratio=$(printf '%s\n' "${RRATIOS[@]}" | median)
line "  same, floor = connect + tenancy's read" "$(calc '%.0f ms' "$t_noop")" "$(calc '%.0f ms' "$f_read")" \
	"$(calc '%.2f' "$read_ratio")" "(diagnostic: floor_fanout noop-reads, the probe's SET, schema COPY and 2 table COPYs in one round trip)"
echo "  no-op vs read pairs (tenancy/floor ms): $(for ((r = 0; r < REPS; r++)); do printf '%s/%s ' "${TN[r]}" "${FR[r]}"; done)"
HZ=$(getconf CLK_TCK)
cpu_sel=$(printf '%s\n' "${CN[@]}" | median); cpu_read=$(printf '%s\n' "${CR[@]}" | median)
line "  tenant backend CPU per connection" "$(calc '%.2f ms' "$cpu_read * 1000 / $HZ / $N")" "$(calc '%.2f ms' "$cpu_sel * 1000 / $HZ / $N")" \
	"$(calc '%.2f' "$cpu_read / ($cpu_sel > 0 ? $cpu_sel : 1)")" "(diagnostic: tenancy's read vs SELECT 1, connection included; reaped children's CPU of the postmaster, medians)"

# ---- verify every tenant: tenant_verify_all(C) vs connect + one query per tenant ------
declare -a TV FV RV
for ((r = 0; r < REPS; r++)); do
	TV+=("$("$WORK/floor_pg" stmt "$TCONN" 1 "SELECT count(*) FROM tenant_verify_all($C)")")
	FV+=("$("$WORK/floor_fanout" noop "$CONN" f "$N" "$C")")
	RV+=("$(calc '%.4f' "${TV[-1]} / ${FV[-1]}")")
done
t_ver=$(printf '%s\n' "${TV[@]}" | median); f_ver=$(printf '%s\n' "${FV[@]}" | median); r_ver=$(printf '%s\n' "${RV[@]}" | median)
line "verify_all, every tenant contacted" "$(calc '%.0f ms' "$t_ver")" "$(calc '%.0f ms' "$f_ver")" "$(calc '%.2f' "$r_ver")" \
	"$(awk -v r="$r_ver" 'BEGIN {printf "goal <= 1.2x: %s (floor = connect + SELECT 1 each)", (r <= 1.2 ? "met" : "NOT met")}')"

# ---- who is behind, at 10,000 registry rows -----------------------------------------
psqlq -d ctl >/dev/null <<SQL || die "fake registry rows failed"
INSERT INTO tenancy.tenants (name, dbname, version, version_key, state)
SELECT 'fake_' || i, 'fake_' || i, v::text, chr(34) || v::text, 'up_to_date'
FROM generate_series(1, $REGISTRY_ROWS - $N) i, LATERAL (SELECT CASE WHEN i % 100 = 0 THEN 4 ELSE 5 END AS v) x;
ANALYZE tenancy.tenants;
SQL
key=$(psqlq -d ctl -c "SELECT version_key FROM tenancy.tenants WHERE name = 't0'")
who_ms=$(psqlq -d ctl <<SQL
CREATE TEMP TABLE tm (ms float8);
DO \$\$
DECLARE t0 timestamptz; n int;
BEGIN
	FOR i IN 1..20 LOOP
		t0 := clock_timestamp();
		SELECT count(*) INTO n FROM (SELECT name, location, dbname FROM tenancy.tenants
			WHERE version_key IS NULL OR version_key < '$key' OR last_error IS NOT NULL ORDER BY name) q;
		INSERT INTO tm VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
END \$\$;
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) FROM tm;
SQL
)
behind=$(psqlq -d ctl -c "SELECT count(*) FROM tenancy.tenants WHERE version_key IS NULL OR version_key < '$key' OR last_error IS NOT NULL")
line "who is behind, $REGISTRY_ROWS registry rows" "$who_ms ms" "-" "-" "(median of 20; $behind rows behind)"
psqlq -d ctl -c "DELETE FROM tenancy.tenants WHERE name LIKE 'fake\_%'" || die "cleanup failed"
echo
echo "ratios only report; nothing here fails on a timing"
