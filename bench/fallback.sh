#!/usr/bin/env bash
# bench/fallback.sh -- the SQLite fallback: pull and push of BENCH_FB_ROWS rows
# (default 100,000) next to the floor (bench/floor_fallback.c: COPY out of
# PostgreSQL into a prepared-statement insert loop in SQLite, and the reverse),
# on one throwaway cluster (port 55485; BENCH_FB_PORT) with plain tables, no
# tenancy extension.  Table bench(id int PRIMARY KEY, name text, amount
# numeric(12,2), at timestamptz, flag boolean).  Medians of BENCH_FB_REPS runs
# (default 3), ratio tenancy / floor, goal <= 1.3.  Never fails because of a timing.
#
#   pull   tenancy: tenant_fallback_pull(primary) into a fresh file (types
#          mapped, row hashes and capture triggers recorded)
#          floor:   COPY TO STDOUT -> INSERT loop, table created beforehand
#   push   tenancy: tenant_fallback_push(primary) of N rows inserted in the
#          fallback after pulling the empty table (conflict check, inserts,
#          hashes read back, push id)
#          floor:   SELECT from SQLite -> COPY FROM STDIN
# Must not: install anything into PostgreSQL or touch another cluster.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${BENCH_FB_ROWS:-100000}
R=${BENCH_FB_REPS:-3}
PORT=${BENCH_FB_PORT:-55485}
PG_BIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "${PG_BIN:-/nonexistent}/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
die() { echo "bench fallback: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
line() { printf '%-46s %12s %12s %7s  %s\n' "$1" "$2" "$3" "$4" "$5"; }

WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/tenancy_fb_bench.XXXXXX") || exit 1
chmod 755 "$WORK"
cleanup() {
	[ -f "$WORK/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
make -s sqlite >/dev/null || die "build failed"
cp sqlite_ext/tenancy.so "$WORK/tenancy.so"
cc -O2 -Wall -Wextra -I"$(pg_config --includedir)" -o "$WORK/floor_fallback" bench/floor_fallback.c -lpq -lsqlite3 \
	|| die "cannot build floor_fallback"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
as_pg "$PG_BIN/initdb" -D "$WORK/data" -A trust -U postgres --no-sync >"$WORK/initdb.log" 2>&1 || die "initdb failed"
cat >>"$WORK/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$WORK'
lc_messages = 'C'
timezone = 'UTC'
CONF
as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 start >/dev/null || die "cluster did not start"
psqlq() { "$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres "$@"; }
TABLE="CREATE TABLE bench (id int PRIMARY KEY, name text, amount numeric(12,2), at timestamptz, flag boolean)"
psqlq -c "CREATE DATABASE src" -c "CREATE DATABASE dst" >/dev/null || die "setup failed"
psqlq -d src -c "$TABLE" -c "INSERT INTO bench SELECT g, 'customer ' || g, g * 1.25, '2024-01-01'::timestamptz + g * interval '1 minute', g % 2 = 0 FROM generate_series(1, $N) g" -c "VACUUM ANALYZE bench" >/dev/null || die "fill failed"
psqlq -d dst -c "$TABLE" >/dev/null || die "setup failed"
SRC="host=$WORK port=$PORT user=postgres dbname=src"
DST="host=$WORK port=$PORT user=postgres dbname=dst"
SQLITE_TABLE="CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, amount TEXT, at TEXT, flag INTEGER)"

tp=(); fp=(); tq=(); fq=()
for r in $(seq 1 "$R"); do
	rm -f "$WORK"/p*.db*
	t0=$(now_ms)
	(cd "$WORK" && sqlite3 pt.db ".load ./tenancy" "SELECT * FROM tenant_fallback_pull('$SRC')" >/dev/null) || die "pull failed"
	tp+=($(( $(now_ms) - t0 )))
	sqlite3 "$WORK/pf.db" "$SQLITE_TABLE"
	fp+=($("$WORK/floor_fallback" pull "$SRC" "$WORK/pf.db" | cut -d. -f1)) || die "floor pull failed"
	[ "$(sqlite3 "$WORK/pt.db" "SELECT count(*) FROM bench")" = "$N" ] || die "pull copied the wrong count"

	# push: N rows written in the fallback of the empty dst table
	psqlq -d dst -c "TRUNCATE bench" >/dev/null
	rm -f "$WORK"/q*.db*
	(cd "$WORK" && sqlite3 qt.db ".load ./tenancy" "SELECT * FROM tenant_fallback_pull('$DST')" >/dev/null) || die "pull of dst failed"
	sqlite3 "$WORK/qt.db" "ATTACH '$WORK/pt.db' AS s; INSERT INTO bench SELECT * FROM s.bench" || die "fill failed"
	t0=$(now_ms)
	(cd "$WORK" && sqlite3 qt.db ".load ./tenancy" "SELECT count(*) FROM tenant_fallback_push('$DST')" >/dev/null) || die "push failed"
	tq+=($(( $(now_ms) - t0 )))
	[ "$(psqlq -d dst -c "SELECT count(*) FROM bench")" = "$N" ] || die "push wrote the wrong count"
	psqlq -d dst -c "TRUNCATE bench" >/dev/null
	fq+=($("$WORK/floor_fallback" push "$DST" "$WORK/pf.db" | cut -d. -f1)) || die "floor push failed"
done
mtp=$(echo "${tp[*]}" | median); mfp=$(echo "${fp[*]}" | median)
mtq=$(echo "${tq[*]}" | median); mfq=$(echo "${fq[*]}" | median)
rp=$(awk -v a="$mtp" -v b="$mfp" 'BEGIN {printf "%.2f", a / b}')
rq=$(awk -v a="$mtq" -v b="$mfq" 'BEGIN {printf "%.2f", a / b}')
goal() { awk -v r="$1" 'BEGIN {printf "goal <= 1.3x: %s", (r <= 1.3 ? "met" : "NOT met")}'; }
echo
echo "SQLite fallback ($N rows, medians of $R)"
line "measurement" "tenancy" "floor" "ratio" "goal"
line "tenant_fallback_pull, $N rows" "$mtp ms" "$mfp ms" "$rp" "$(goal "$rp")"
line "tenant_fallback_push, $N inserted rows" "$mtq ms" "$mfq ms" "$rq" "$(goal "$rq")"
