#!/usr/bin/env bash
# bench/cli.sh -- the tenancy command next to the SQL call it wraps, in one run.
#
# A SQLite registry with BENCH_CLI_TENANTS tenant files (default 200) and the
# five migrations of bench/workload/sqlite as its tenant set is prepared once;
# then BENCH_CLI_PAIRS pairs (default 15) run in turn, A B A B ...:
#   A  cli/tenancy -d REGISTRY migrate-all --concurrency 1        (the command)
#   B  sqlite3 REGISTRY "SELECT ... FROM tenant_migrate_all(NULL, 1)"  (the SQL call)
# each on a fresh copy of the prepared files (the copy is not timed), each
# checked to have brought every tenant to version 5.  For each pair the ratio
# A/B is taken (wall and cpu = user + system seconds, bash's `time`), so a
# machine whose speed drifts during the run moves both sides of a pair alike;
# it prints each side's median, the median (min..max) of the pair ratios, the
# ratio of the two fastest runs, and the median wall ratio of the pairs
# against the goal (<= 1.05x), with the load average before and after.  Only reports; never fails because of a timing.
#
# Where the files live: BENCH_DIR, default /dev/shm (else /var/tmp).  Both
# sides do the same file I/O, call for call (strace: the same fdatasync and
# pwrite64 sequence), so on a disk the flush latency is common to both and
# only adds noise: on a shared disk two runs of the SAME command differ by
# 0.3x..2x pair by pair.  BENCH_DIR=/var/tmp measures on the disk anyway.
#
# Env: BENCH_CLI_TENANTS (default 200), BENCH_CLI_PAIRS (default 15; the old
#      BENCH_CLI_REPS is read when it is unset), BENCH_DIR (scratch parent).
# Must not: count the copy of the prepared files in either time.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${BENCH_CLI_TENANTS:-200}
PAIRS=${BENCH_CLI_PAIRS:-${BENCH_CLI_REPS:-15}}
case $PAIRS in '' | *[!0-9]* | 0)
	echo "bench/cli.sh: BENCH_CLI_PAIRS must be a positive whole number" >&2
	exit 2
	;;
esac
if [ -n "${BENCH_DIR:-}" ]; then
	PARENT=$BENCH_DIR
elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
	PARENT=/dev/shm
else
	PARENT=/var/tmp
fi
EXT=$ROOT/sqlite_ext/tenancy
CMD=$ROOT/cli/tenancy
make -s sqlite cli >/dev/null || { echo "bench/cli.sh: build failed" >&2; exit 1; }

WORK=$(mktemp -d "$PARENT/tenancy_cli_bench.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

# the prepared registry: N tenants at version 0, the five-migration set pending
mkdir -p "$WORK/prepared"
(
	cd "$WORK/prepared" || exit 1
	{
		echo ".load $EXT"
		# tenants first (empty), then the set: a tenant created after it would be cloned from the template
		for i in $(seq 1 "$N"); do echo "SELECT tenant_create('t$i');"; done
		echo "SELECT tenant_migrations_load('$ROOT/bench/workload/sqlite', 'tenants');"
	} | sqlite3 registry.db >/dev/null
) || { echo "bench/cli.sh: could not prepare the registry" >&2; exit 1; }

fresh() { rm -rf "$WORK/run"; cp -a "$WORK/prepared" "$WORK/run"; sync; }

# both must really have migrated every tenant to the newest version
check_all_migrated() {
	local applied
	applied=$(cd "$WORK/run" && sqlite3 registry.db ".load $EXT" \
		"SELECT count(*) FROM tenants() WHERE state = 'up_to_date' AND version = '5';")
	[ "$applied" = "$N" ] || echo "bench/cli.sh: only $applied of $N tenants at version 5 after a run" >&2
}

run_command() { (cd "$WORK/run" && exec "$CMD" -d registry.db migrate-all --concurrency 1 >/dev/null 2>&1); }
run_sql() {
	(cd "$WORK/run" && exec sqlite3 registry.db ".load $EXT" \
		"SELECT count(*) FROM tenant_migrate_all(NULL, 1);" >/dev/null 2>&1)
}

# "wall cpu" in seconds for one run of $1, on a fresh copy
timed() {
	local TIMEFORMAT='%3R %3U %3S' t
	fresh
	t=$({ time "$1"; } 2>&1)
	check_all_migrated
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
: >"$WORK/pairs"
for p in $(seq 1 "$PAIRS"); do
	a=$(timed run_command)
	b=$(timed run_sql)
	echo "$a $b" >>"$WORK/pairs" # wall_a cpu_a wall_b cpu_b
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# median of column $1 (an awk expression over the pair's fields) and, for ratios, min..max
stats() {
	awk "{ print $1 }" "$WORK/pairs" | sort -g |
		awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		      printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}
read -r wall_a min_a _ < <(stats '$1')
read -r cpu_a _ _ < <(stats '$2')
read -r wall_b min_b _ < <(stats '$3')
read -r cpu_b _ _ < <(stats '$4')
fastest=$(awk -v a="$min_a" -v b="$min_b" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
read -r rw rw_lo rw_hi < <(stats '($3 > 0) ? $1 / $3 : 0')
read -r rc rc_lo rc_hi < <(stats '($4 > 0) ? $2 / $4 : 0')
goal=$(awk -v r="$rw" 'BEGIN { print (r > 0 && r <= 1.05) ? "met" : "not met" }')

echo
echo "the tenancy command vs the SQL call it wraps ($N SQLite tenants, 5 migrations, one worker,"
echo "$PAIRS pairs A B A B ..., files in $PARENT; load average before $load_before, after $load_after, $(nproc) cores)"
printf '  %-46s %8s s wall %8s s cpu (medians)\n' "A tenancy migrate-all --concurrency 1" "$wall_a" "$cpu_a"
printf '  %-46s %8s s wall %8s s cpu (medians)\n' "B SELECT ... FROM tenant_migrate_all(NULL, 1)" "$wall_b" "$cpu_b"
printf '  %-46s %8sx wall (pairs %s..%s)   %sx cpu (pairs %s..%s)\n' "A/B, median of the pair ratios" \
	"$rw" "$rw_lo" "$rw_hi" "$rc" "$rc_lo" "$rc_hi"
printf '  %-46s %8sx wall (%s s / %s s: the least disturbed run of each)\n' "A/B of the fastest runs" \
	"$fastest" "$min_a" "$min_b"
printf '  %-46s %8sx (goal <= 1.05x: %s)\n' "ratio" "$rw" "$goal"
