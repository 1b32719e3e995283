#!/usr/bin/env bash
# 42_sqlite_runs.sh -- runs that never lie on SQLite (issue 14), each part a
# finding that failed before:
#  1. two tenant_migrate_all() at once on one registry (two sqlite3
#     processes): the second is refused at once with the busy error, the
#     first finishes and records everything (runs, per-tenant rows, audit);
#     a run whose caller was killed is closed as 'aborted' by the next one,
#     and so is one whose results could not be written (the registry busy
#     past the timeout: the error says what was done);
#  2. the disk fills during tenant_migrate_all() (a small tmpfs): per-tenant
#     failure rows with 53100, a final run status, audit rows for what was
#     done, tenants() and the tenant files agree;
#  4. one busy timeout, not two: tests/runs/busy_driver.c counts the sleep
#     SQLite's busy handler asks for (no clock): tenant_migrate() and the
#     fan-out each wait exactly the caller's timeout once;
#  5. error classes: read-only storage 25006, a folder where a tenant file
#     belongs 42809, both with the core's hints;
#  6. progress (issue 9): each tenant's row is committed as it finishes, so
#     another connection's tenant_runs() / tenancy_run_tenants show a run
#     while it goes on.
#  7. scale (issue 14): a run of more tenants than one slice (the fan-out
#     holds one slice's per-tenant state at a time): every tenant's row in
#     order, max_failures stopping in the second slice, the rerun and
#     tenant_rollback_all over every slice.
#  8. batched registry writes: applied tenants' rows go to the registry in
#     batches (their files hold the fact), not one commit per tenant; a
#     kill between a tenant's commit and its batch loses no fact: the next
#     run finds the tenants up to date in their files.
# Parts that mount a tmpfs need root; without it they are reported as
# failures (CI runs as root). Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/out/runs
. tests/lib/suite_count.sh

mkdir -p "$OUT"
if ! make -s sqlite >/dev/null 2>"$OUT/build.log"; then cat "$OUT/build.log"; bad "build extension"; finish; fi
DRV=$OUT/busy_driver
if ! ${CC:-cc} -std=c99 -Wall -Wextra -O1 -o "$DRV" tests/runs/busy_driver.c -lsqlite3 2>"$OUT/driver.log"; then
  cat "$OUT/driver.log"; bad "build busy_driver"; finish
fi
WORK=$(mktemp -d)
MNT=$WORK/mnt
RO=$WORK/r/ro
cleanup() {
  for m in "$MNT" "$RO"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cp sqlite_ext/tenancy.so "$WORK/tenancy.so"   # a private copy: a rebuild may replace the file
EXT=$WORK/tenancy
cp -r tests/fixtures/sqlite_tenant_set "$WORK/set"

# make_registry DIR N EXTRA_SQL: a registry with N tenants t01..tNN at version 2, then EXTRA_SQL
make_registry() {
  local dir=$1 n=$2 extra=$3
  mkdir -p "$dir"
  { echo ".load $EXT"; echo "SELECT tenant_migrations_load('$WORK/set', 'tenants');"
    for ((i = 1; i <= n; i++)); do printf "SELECT tenant_create('t%02d');\n" "$i"; done
    echo "$extra"; } | sqlite3 -batch "$dir/registry.db" >/dev/null
}
# a migration 3 that writes rows of incompressible data, and an index on them
M3="SELECT tenant_migration_add('3', 'big', 'CREATE TABLE big(x); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100) INSERT INTO big SELECT randomblob(3000) FROM c;', NULL, 'tenants');"
sq() { sqlite3 -batch "$@" 2>&1; }
# lock_file DB [MODE [TAG]]: hold BEGIN MODE (default EXCLUSIVE) on DB until $WORK/release.TAG
# exists; sets $locker (and locker_TAG)
lock_file() {
  local mode=${2:-EXCLUSIVE} tag=${3:-0}
  rm -f "$WORK/release.$tag" "$WORK/locked.$tag"
  python3 - "$1" "$WORK" "$mode" "$tag" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN " + sys.argv[3])
open(os.path.join(sys.argv[2], "locked." + sys.argv[4]), "w").close()
while not os.path.exists(os.path.join(sys.argv[2], "release." + sys.argv[4])):
    time.sleep(0.02)
c.execute("ROLLBACK")
PY
  locker=$!; eval "locker_$tag=\$!"
  for ((w = 0; w < 500; w++)); do [ -f "$WORK/locked.$tag" ] && return 0; sleep 0.02; done
  return 1
}
release_file() { local tag=${1:-0} pid; touch "$WORK/release.$tag"; eval "pid=\$locker_$tag"; wait "$pid" 2>/dev/null; }
# wait_running REG: until the registry shows a run in progress
wait_running() {
  for ((w = 0; w < 1000; w++)); do
    [ "$(sqlite3 "$1" "SELECT count(*) FROM tenancy_runs WHERE status = 'running'" 2>/dev/null)" = 1 ] && return 0
    sleep 0.02
  done
  return 1
}
migrate_all_sql() { printf '.load %s\n.timeout %s\nSELECT status, count(*) FROM tenant_migrate_all(NULL, 2) GROUP BY 1;\n' "$EXT" "$1"; }

# ---- 1. two tenant_migrate_all() at once ----
ROUNDS=${RUN_ROUNDS:-3}
for ((round = 1; round <= ROUNDS; round++)); do
  reg=$WORK/c$round; make_registry "$reg" 12 "$M3"
  # the first run is held inside its fan-out by a lock on the last tenant, so the second surely overlaps it
  lock_file "$reg/t12.db" || { bad "round $round: could not lock t12"; continue; }
  migrate_all_sql 20000 | sqlite3 -batch "$reg/registry.db" >"$WORK/a.out" 2>&1 & first=$!
  wait_running "$reg/registry.db" || bad "round $round: the first run never showed as running"
  second=$(migrate_all_sql 2000 | sqlite3 -batch "$reg/registry.db" 2>&1)
  release_file; wait "$first"
  check_eq "round $round: the second call is refused at once with the busy error" \
    "$(sed -n 's/^Runtime error near line [0-9]*: //p' <<<"$second")" \
    "another recorded fan-out is running on this registry"
  check_eq "round $round: the first call reports its own work" "$(cat "$WORK/a.out")" "applied|12"
  check_eq "round $round: one run, closed" \
    "$(sq "$reg/registry.db" "SELECT run_id, status, applied FROM tenancy_runs")" \
    "1|done|12"
  check_eq "round $round: per-tenant rows and audit rows for every tenant migrated" \
    "$(sq "$reg/registry.db" "SELECT (SELECT count(*) FROM tenancy_run_tenants WHERE run_id = 1 AND status = 'applied'),
        (SELECT count(*) FROM tenancy_audit WHERE action = 'migrate' AND detail LIKE 'run 1:%')")" \
    "12|12"
done
# a caller killed inside its fan-out leaves 'running'; the next run closes it as aborted
reg=$WORK/k; make_registry "$reg" 3 "$M3"
lock_file "$reg/t03.db"
migrate_all_sql 20000 | sqlite3 -batch "$reg/registry.db" >/dev/null 2>&1 & victim=$!
wait_running "$reg/registry.db"
kill -KILL "$victim"; wait "$victim" 2>/dev/null   # $! of a pipeline: its last process, sqlite3
release_file
after=$(printf '.load %s\nSELECT count(*) FROM tenant_migrate_all() WHERE status IN (%s, %s);\n' "$EXT" "'applied'" "'up_to_date'" |
  sqlite3 -batch "$reg/registry.db" 2>&1)
check_eq "killed caller: the next run works" "$after" "3"
check_eq "killed caller: its run is closed as aborted" \
  "$(sq "$reg/registry.db" "SELECT run_id, status, finished_at IS NOT NULL FROM tenancy_runs ORDER BY 1")" \
  "1|aborted|1
2|done|1"

# the registry cannot be written when the run ends (another writer holds it past the busy timeout):
# the call fails saying what was done, and the next run closes the lost run as aborted
reg=$WORK/w; make_registry "$reg" 3 "$M3"
lock_file "$reg/t03.db" EXCLUSIVE t
migrate_all_sql 1000 | sed 's/tenant_migrate_all(NULL, 2)/tenant_migrate_all(NULL, 1)/' |
  sqlite3 -batch "$reg/registry.db" >"$WORK/w.out" 2>&1 & first=$!
wait_running "$reg/registry.db"
lock_file "$reg/registry.db" IMMEDIATE r   # a writer on the registry: our results cannot be written
release_file t; wait "$first"; release_file r
res=$(cat "$WORK/w.out")
check_has "registry busy at the end: the call fails busy" "database is locked by another connection" "$res"
grep -q "Run 1 could not be closed in the registry either" <<<"$res" && grep -q "3 tenant(s) had been migrated or tried" <<<"$res" &&
  ok "registry busy at the end: the error says what was done" || bad "registry busy (detail): $res"
check_eq "registry busy at the end: the tenants' own files hold the truth" \
  "$(for t in 01 02 03; do sq "$reg/t$t.db" "SELECT max(CAST(version AS INTEGER)) FROM tenancy_applied"; done | tr '\n' ' ' | sed 's/ $//')" \
  "3 3 3"
after=$(printf '.load %s\nSELECT tenant, status FROM tenant_migrate_all();\n' "$EXT" | sqlite3 -batch "$reg/registry.db" 2>&1)
check_eq "registry busy at the end: the next run sees them up to date" "$after" "t01|up_to_date
t02|up_to_date
t03|up_to_date"
check_eq "registry busy at the end: the lost run is closed as aborted" \
  "$(sq "$reg/registry.db" "SELECT run_id, status FROM tenancy_runs ORDER BY 1")" \
  "1|aborted
2|done"

# ---- 6. progress visible from another connection (issue 9) ----
# each tenant's row is committed as it finishes: while t02 waits for its lock, another
# connection sees the run 'running' with t01's row (and its cached state), and not t02's
reg=$WORK/p; make_registry "$reg" 3 "$M3"
lock_file "$reg/t02.db" EXCLUSIVE p
printf '.load %s\n.timeout 60000\nSELECT tenant, status FROM tenant_migrate_all(NULL, 1);\n' "$EXT" |
  sqlite3 -batch "$reg/registry.db" >"$WORK/p.out" 2>&1 & first=$!
seen=""
for ((w = 0; w < 1500; w++)); do
  seen=$(sq -cmd ".timeout 5000" "$reg/registry.db" "SELECT group_concat(tenant || ':' || status) FROM tenancy_run_tenants WHERE run_id = 1")
  [ -n "$seen" ] && break
  sleep 0.02
done
check_eq "progress: t01's row is visible while the run goes on" "$seen" "t01:applied"
check_eq "progress: the run is running, t01's cached state follows, t02 not recorded yet" \
  "$(sq -cmd ".timeout 5000" "$reg/registry.db" "SELECT (SELECT status FROM tenancy_runs WHERE run_id = 1),
      (SELECT version FROM tenancy_tenants WHERE name = 't01'),
      (SELECT count(*) FROM tenancy_run_tenants WHERE tenant = 't02')")" \
  "running|3|0"
check_eq "progress: tenant_runs() on another connection shows it" \
  "$(printf '.load %s\n.timeout 5000\nSELECT run_id, status FROM tenant_runs();\n' "$EXT" | sqlite3 -batch "$reg/registry.db" 2>&1)" \
  "1|running"
release_file p; wait "$first"
check_eq "progress: the call reports every tenant" "$(cat "$WORK/p.out")" "t01|applied
t02|applied
t03|applied"
check_eq "progress: each tenant recorded once, the run closed" \
  "$(sq "$reg/registry.db" "SELECT count(*), count(DISTINCT tenant), (SELECT status FROM tenancy_runs WHERE run_id = 1),
      (SELECT count(*) FROM tenancy_audit WHERE action = 'migrate' AND detail LIKE 'run 1:%') FROM tenancy_run_tenants")" \
  "3|3|done|3"

# the same through the tenancy command (a serialized connection, as Python's: its statement holds the
# connection's mutex, so worker threads cannot record): the caller's thread records each tenant the
# workers finish, so t01 and t03 show while t02 waits for its lock (the command's busy timeout, 5 s)
make -s -C cli >/dev/null 2>>"$OUT/build.log" || bad "build the tenancy command"
reg=$WORK/cl; make_registry "$reg" 3 "$M3"
lock_file "$reg/t02.db" EXCLUSIVE cl
cli/tenancy -d "$reg/registry.db" migrate-all --concurrency 2 >"$WORK/cl.out" 2>&1 & first=$!
seen=""
for ((w = 0; w < 1500; w++)); do
  seen=$(sq -cmd ".timeout 5000" "$reg/registry.db" "SELECT group_concat(tenant || ':' || status, ',') FROM (SELECT tenant, status FROM tenancy_run_tenants WHERE run_id = 1 ORDER BY tenant)")
  [ "$seen" = "t01:applied,t03:applied" ] && break
  sleep 0.02
done
state=$(sq -cmd ".timeout 5000" "$reg/registry.db" "SELECT (SELECT status FROM tenancy_runs WHERE run_id = 1),
      (SELECT count(*) FROM tenancy_run_tenants WHERE tenant = 't02')")
release_file cl; wait "$first"
check_eq "progress (the command, 2 threads): t01's and t03's rows are visible while t02 waits" "$seen" "t01:applied,t03:applied"
check_eq "progress (the command): the run is running, t02 not recorded yet" "$state" "running|0"
check_eq "progress (the command): each tenant recorded once, the run closed" \
  "$(sq "$reg/registry.db" "SELECT count(*), count(DISTINCT tenant), (SELECT count(*) FROM tenancy_runs WHERE run_id = 1 AND status <> 'running') FROM tenancy_run_tenants")" \
  "3|3|1"

# ---- 4. one busy timeout, not two ----
reg=$WORK/b; make_registry "$reg" 2 "$M3"
res=$("$DRV" "$EXT.so" "$reg/t01.db" 700 "$reg/t01.db" "SELECT tenant_migrate()")
check_eq "tenant_migrate() on a locked file waits the busy timeout once" "$(tail -1 <<<"$res")" "asked_sleep_ms 700"
check_has "tenant_migrate(): busy error" "database is locked by another connection" "$res"
res=$("$DRV" "$EXT.so" "$reg/registry.db" 700 "$reg/t01.db" "SELECT tenant, status, sqlstate FROM tenant_migrate_all(NULL, 1)")
check_eq "the fan-out waits the caller's busy timeout once for a locked tenant" "$res" "t01|failed|55P03
t02|applied|
asked_sleep_ms 700"

# ---- 2 and 5: storage faults on a small tmpfs ----
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=6m tmpfs "$MNT" 2>"$OUT/mount.log"; then
  bad "mount a tmpfs (needs root): $(cat "$OUT/mount.log")"; finish
fi
reg=$MNT/reg; make_registry "$reg" 6 ""
# what one tenant's migration 3 needs: measured on a copy elsewhere
cp "$reg/t01.db" "$WORK/cal.db"; before=$(stat -c %s "$WORK/cal.db")
sqlite3 "$WORK/cal.db" "CREATE TABLE big(x); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100) INSERT INTO big SELECT randomblob(3000) FROM c;"
need=$(( $(stat -c %s "$WORK/cal.db") - before ))
echo "$M3" | sqlite3 -batch -cmd ".load $EXT" "$reg/registry.db" >/dev/null
# leave room for two tenants' migration (and the registry's few pages), not three
free=$(df -B1 --output=avail "$MNT" | tail -1)
fill=$(( free - need * 5 / 2 ))
head -c "$fill" /dev/zero >"$MNT/filler" 2>/dev/null
res=$(printf '.load %s\nSELECT tenant, status, applied, sqlstate FROM tenant_migrate_all(NULL, 1);\n' "$EXT" | sqlite3 -batch "$reg/registry.db" 2>&1)
check_eq "disk full: a row per tenant, the full ones 53100" "$res" "t01|applied|1|
t02|applied|1|
t03|failed|0|53100
t04|failed|0|53100
t05|failed|0|53100
t06|failed|0|53100"
check_eq "disk full: the run ends failed, with a row per tenant" \
  "$(sq "$reg/registry.db" "SELECT status, applied, failed, (SELECT count(*) FROM tenancy_run_tenants) FROM tenancy_runs")" \
  "failed|2|4|6"
check_eq "disk full: audit rows for every tenant touched" \
  "$(sq "$reg/registry.db" "SELECT count(*) FROM tenancy_audit WHERE action = 'migrate'")" \
  "6"
check_eq "disk full: the hint names the disk" \
  "$(sq "$reg/registry.db" "SELECT count(*) FROM tenancy_run_tenants WHERE error LIKE '%HINT:  The disk that holds the database is full%'")" \
  "4"
check_eq "disk full: tenants() agrees with the files" \
  "$(for t in 01 02 03 04 05 06; do
       printf 't%s|%s|%s ' $t "$(sq "$reg/registry.db" "SELECT version FROM tenancy_tenants WHERE name = 't$t'")" \
         "$(sq "$reg/t$t.db" "SELECT max(CAST(version AS INTEGER)) FROM tenancy_applied")"
     done | sed 's/ $//')" \
  "t01|3|3 t02|3|3 t03|2|2 t04|2|2 t05|2|2 t06|2|2"
rm -f "$MNT/filler"
res=$(printf '.load %s\nSELECT status, count(*), max(error) FROM tenant_migrate_all() GROUP BY 1;\n' "$EXT" | sqlite3 -batch "$reg/registry.db" 2>&1)
check_eq "disk full: with space again, the rest is migrated" "$res" "applied|4|
up_to_date|2|"

# a folder where a tenant file belongs: 42809 in every function
rm -f "$reg/t06.db"; mkdir "$reg/t06.db"
check_eq "a folder for a tenant file: its own class in the fan-out" \
  "$(printf '.load %s\nSELECT tenant, status, sqlstate FROM tenant_migrate_all() WHERE tenant = %s;\n' "$EXT" "'t06'" | sqlite3 -batch "$reg/registry.db" 2>&1)" \
  "t06|failed|42809"
check_eq "a folder for a tenant file: the same text from tenant_register" \
  "$(mkdir "$reg/adir.db"; printf '.load %s\nSELECT tenant_register(%s, %s);\n' "$EXT" "'x6'" "'adir.db'" | sqlite3 -batch "$reg/registry.db" 2>&1 | sed -n 's/^Runtime error near line [0-9]*: //p' | sed 's/adir/t06/')" \
  'tenant file "t06.db" is a directory'
rmdir "$reg/t06.db" "$reg/adir.db"

# read-only storage: 25006 with its hint (tenant files on a tmpfs inside the registry folder, remounted read-only)
mkdir -p "$RO"
if mount -t tmpfs -o size=2m tmpfs "$RO"; then
  make_registry "$WORK/r" 0 "SELECT tenant_create('r1', 'ro/r1.db'); SELECT tenant_create('r2', 'ro/r2.db'); $M3"
  mount -o remount,ro "$RO"
  check_eq "read-only: a row per tenant with 25006" \
    "$(printf '.load %s\nSELECT tenant, status, sqlstate FROM tenant_migrate_all();\n' "$EXT" | sqlite3 -batch "$WORK/r/registry.db" 2>&1)" \
    "r1|failed|25006
r2|failed|25006"
  check_eq "read-only: the hint names the cause, the run is closed" \
    "$(sq "$WORK/r/registry.db" "SELECT (SELECT count(*) FROM tenancy_run_tenants WHERE error LIKE '%HINT:  The database cannot be written%'), status FROM tenancy_runs")" \
    "2|failed"
  umount "$RO"
else
  bad "mount a second tmpfs"
fi
# ---- 7. a run of three slices (200 + 200 + 20 tenants) ----
reg=$WORK/s; make_registry "$reg" 0 "SELECT tenant_create('u000');"
for ((i = 1; i < 420; i++)); do cp "$reg/u000.db" "$(printf '%s/u%03d.db' "$reg" "$i")"; done
sq "$reg/registry.db" "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 419)
  INSERT INTO tenancy_tenants (name, location, version, pending) SELECT printf('u%03d', i), printf('u%03d.db', i), '2', 0 FROM c;" >/dev/null
for i in 250 251 252 253 254; do sq "$reg/u$i.db" "CREATE TABLE three(x);" >/dev/null; done  # migration 3 fails there
sq "$reg/registry.db" ".load $EXT" "SELECT tenant_migration_add('3', 'three', 'CREATE TABLE three(x);', 'DROP TABLE three;', 'tenants');" >/dev/null
all7() { sq "$reg/registry.db" ".load $EXT" "$1"; }
check_eq "slices: max_failures 3 stops in the second slice; every tenant has its row, in order" \
  "$(all7 "SELECT count(*) || '|applied ' || sum(status = 'applied') || '|failed ' || sum(status = 'failed')
    || '|skipped ' || sum(status = 'skipped') || '|' || group_concat(tenant, ' ') FROM tenant_migrate_all(NULL, 1, 3);")" \
  "420|applied 250|failed 3|skipped 167|$(seq -f 'u%03g' -s ' ' 0 419)"
check_eq "slices: the run's record and its per-tenant rows (tried tenants only)" \
  "$(sq "$reg/registry.db" "SELECT tenants || '|' || applied || '|' || failed || '|' || (SELECT count(*) FROM tenancy_run_tenants t WHERE t.run_id = r.run_id) FROM tenancy_runs r")" \
  "420|250|3|253"
check_eq "slices: the rerun reaches every other tenant of the third slice" \
  "$(all7 "SELECT group_concat(s, '|') FROM (SELECT status || ' ' || count(*) AS s FROM tenant_migrate_all(NULL, 2) GROUP BY status ORDER BY status);")" \
  "applied 165|failed 5|up_to_date 250"
check_eq "slices: tenant_rollback_all over three slices" \
  "$(all7 "SELECT count(*) FROM tenant_rollback_all('3', 2) WHERE status = 'rolled_back';" | tail -1)|$(sq "$reg/registry.db" "SELECT count(*) FROM tenancy_tenants WHERE version = '2'")" \
  "415|420"

# ---- 8. batched registry writes ----
# the registry's file change counter (header bytes 24..27) grows by one per commit in rollback-journal mode
commits() { od -An -tu1 -j24 -N4 "$1" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'; }
reg=$WORK/bt; make_registry "$reg" 40 "$M3"
before=$(commits "$reg/registry.db")
res=$(printf '.load %s\nSELECT status, count(*) FROM tenant_migrate_all(NULL, 1) GROUP BY 1;\n' "$EXT" | sqlite3 -batch "$reg/registry.db" 2>&1)
after=$(commits "$reg/registry.db")
check_eq "batched: 40 tenants applied" "$res" "applied|40"
check_eq "batched: every tenant's row, audit row and cached version" \
  "$(sq "$reg/registry.db" "SELECT (SELECT count(*) FROM tenancy_run_tenants WHERE status = 'applied'),
      (SELECT count(*) FROM tenancy_audit WHERE action = 'migrate'), (SELECT count(*) FROM tenancy_tenants WHERE version = '3')")" \
  "40|40|40"
[ $((after - before)) -lt 40 ] && ok "batched: fewer registry commits than tenants ($((after - before)) for 40)" ||
  bad "batched: $((after - before)) registry commits for 40 tenants"
# killed while the applied rows wait: t01 applied in its file, the run held on t02's lock, then kill -9
reg=$WORK/bk; make_registry "$reg" 3 "$M3"
lock_file "$reg/t02.db" EXCLUSIVE bk
printf '.load %s\n.timeout 60000\nSELECT count(*) FROM tenant_migrate_all(NULL, 1);\n' "$EXT" | sqlite3 -batch "$reg/registry.db" >/dev/null 2>&1 & victim=$!
for ((w = 0; w < 1500; w++)); do
  [ "$(sq "$reg/t01.db" "SELECT count(*) FROM tenancy_applied WHERE version = '3'")" = 1 ] && break
  sleep 0.01
done
kill -KILL "$victim"; wait "$victim" 2>/dev/null
release_file bk
check_eq "killed with rows waiting: t01's file holds migration 3" \
  "$(sq "$reg/t01.db" "SELECT count(*) FROM tenancy_applied WHERE version = '3'")" "1"
check_eq "killed with rows waiting: the next run finds t01 up to date and migrates the rest" \
  "$(printf '.load %s\nSELECT tenant, status FROM tenant_migrate_all();\n' "$EXT" | sqlite3 -batch "$reg/registry.db" 2>&1)" \
  "t01|up_to_date
t02|applied
t03|applied"
check_eq "killed with rows waiting: the lost run is closed as aborted" \
  "$(sq "$reg/registry.db" "SELECT run_id, status FROM tenancy_runs ORDER BY 1")" "1|aborted
2|done"
finish
