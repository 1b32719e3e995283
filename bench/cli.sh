#!/usr/bin/env bash
# bench/cli.sh -- the tenancy command next to the SQL call it wraps, in one run.
#
# A SQLite registry with BENCH_CLI_TENANTS tenant files (default 200) and the
# five migrations of bench/workload/sqlite as its tenant set is prepared once;
# each repetition copies it fresh, then times either
#   cli/tenancy -d REGISTRY migrate-all                        (the command)
#   sqlite3 REGISTRY "SELECT ... FROM tenant_migrate_all(...)"  (the SQL call)
# alternating the two, and prints both medians and the ratio (goal: <= 1.05x).
# Both use one worker (--concurrency 1 / concurrency 1), the same disk and the
# same extension code (the command links it in).  Only reports; never fails
# because of a timing.
#
# Env: BENCH_CLI_TENANTS (default 200), BENCH_CLI_REPS (default 7),
#      BENCH_DIR (scratch parent; default /var/tmp).
# Must not: count the copy of the prepared files in either time.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${BENCH_CLI_TENANTS:-200}
REPS=${BENCH_CLI_REPS:-7}
EXT=$ROOT/sqlite_ext/tenancy
CMD=$ROOT/cli/tenancy
make -s sqlite cli >/dev/null || { echo "bench/cli.sh: build failed" >&2; exit 1; }

WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/tenancy_cli_bench.XXXXXX") || exit 1
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

now_ms() { date +%s%3N; }
fresh() { rm -rf "$WORK/run"; cp -a "$WORK/prepared" "$WORK/run"; sync; }

# both must really have migrated every tenant to the newest version
check_all_migrated() {
	local applied
	applied=$(cd "$WORK/run" && sqlite3 registry.db ".load $EXT" \
		"SELECT count(*) FROM tenants() WHERE state = 'up_to_date' AND version = '5';")
	[ "$applied" = "$N" ] || echo "bench/cli.sh: only $applied of $N tenants at version 5 after a run" >&2
}

cmd_times=() sql_times=()
for r in $(seq 1 "$REPS"); do
	fresh
	t0=$(now_ms)
	(cd "$WORK/run" && "$CMD" -d registry.db migrate-all --concurrency 1 >/dev/null 2>&1)
	cmd_times+=($(($(now_ms) - t0)))
	check_all_migrated
	fresh
	t0=$(now_ms)
	(cd "$WORK/run" && sqlite3 registry.db ".load $EXT" \
		"SELECT count(*) FROM tenant_migrate_all(NULL, 1);" >/dev/null 2>&1)
	sql_times+=($(($(now_ms) - t0)))
	check_all_migrated
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mc=$(median "${cmd_times[@]}")
ms=$(median "${sql_times[@]}")
ratio=$(awk -v a="$mc" -v b="$ms" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')
goal=$(awk -v r="$ratio" 'BEGIN { print (r != "n/a" && r <= 1.05) ? "met" : "not met" }')
echo
echo "the tenancy command vs the SQL call it wraps ($N SQLite tenants, 5 migrations, one worker, $REPS runs each)"
printf '  %-44s %8s ms (median)\n' "tenancy migrate-all --concurrency 1" "$mc"
printf '  %-44s %8s ms (median)\n' "SELECT ... FROM tenant_migrate_all(NULL, 1)" "$ms"
printf '  %-44s %8s (goal <= 1.05x: %s)\n' "ratio" "${ratio}x" "$goal"
