#!/usr/bin/env bash
# 40_sqlite_crash.sh -- kill tests for the SQLite extension.  A small C driver
# (tests/crash/crash_driver.c) runs tenant_migrate() on a 5-migration workload;
# it is killed with SIGKILL at a random moment (sleep calibrated to the run
# time), then: PRAGMA integrity_check = ok and "tracking row exists iff the
# migration's objects exist"; then a rerun to completion and the same check.
# Both DELETE and WAL journals.  Also: two processes migrating one file at
# once (no double apply, only clean waits), and kills during tenant_create
# (no registered tenant without a file).  Each trial counts once.
# Ends with "N passed, N failed"; exits 1 on any failure.
#
# Env: CRASH_TRIALS=N kill trials per journal mode (default 50, never fewer),
#      CONC_TRIALS=N (default 15 per mode), CREATE_TRIALS=N (default 25).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/out/crash
EXT=$ROOT/sqlite_ext/tenancy
DRV=$OUT/crash_driver
TRIALS=${CRASH_TRIALS:-50}; [ "$TRIALS" -lt 50 ] && TRIALS=50
CONC=${CONC_TRIALS:-15}
CREATES=${CREATE_TRIALS:-25}
pass=0; fail=0
ok() { pass=$((pass + 1)); [ -n "${VERBOSE:-}" ] && echo "ok   $*"; return 0; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }

mkdir -p "$OUT"
if ! make -s sqlite >/dev/null 2>"$OUT/build.log"; then cat "$OUT/build.log"; bad "build extension"; finish; fi
if ! ${CC:-cc} -std=c99 -Wall -Wextra -O1 -o "$DRV" tests/crash/crash_driver.c -lsqlite3 2>"$OUT/driver.log"; then
  cat "$OUT/driver.log"; bad "build crash_driver"; finish
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# a private copy: another build may rewrite sqlite_ext/tenancy.so while the trials run
cp "$EXT.so" "$WORK/tenancy.so" && EXT=$WORK/tenancy
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# sleep a random number of milliseconds in [0, $1)
sleep_ms() { local ms=$(( (RANDOM * 32768 + RANDOM) % $1 )); sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"; }

# ---- kill during tenant_migrate ----
for mode in delete wal; do
  db=$WORK/cal.db; rm -f "$db"*
  "$DRV" "$EXT" "$db" $mode setup >/dev/null
  t0=$(now_ms); "$DRV" "$EXT" "$db" $mode migrate >/dev/null; t1=$(now_ms)
  span=$(( (t1 - t0) * 13 / 10 + 5 ))   # the whole run plus a margin: some kills land after the end
  declare -A outcome=()
  for ((i = 1; i <= TRIALS; i++)); do
    db=$WORK/k_$mode.db; rm -f "$db" "$db"-*
    "$DRV" "$EXT" "$db" $mode setup >/dev/null 2>"$WORK/err" || { bad "$mode trial $i: setup: $(cat "$WORK/err")"; continue; }
    "$DRV" "$EXT" "$db" $mode migrate >/dev/null 2>"$WORK/err" &
    pid=$!
    sleep_ms "$span"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if ! after=$("$DRV" "$EXT" "$db" $mode check 2>&1); then
      bad "$mode trial $i: after the kill: $after"; cp "$db" "$OUT/failed_${mode}_$i.db" 2>/dev/null; continue
    fi
    if ! rerun=$("$DRV" "$EXT" "$db" $mode migrate 2>&1); then
      bad "$mode trial $i: rerun: $rerun"; continue
    fi
    if ! final=$("$DRV" "$EXT" "$db" $mode check 2>&1) || [ "$final" != "applied 5" ]; then
      bad "$mode trial $i: after the rerun: $final"; continue
    fi
    outcome[$after]=$(( ${outcome[$after]:-0} + 1 ))
    ok "$mode trial $i ($after)"
  done
  summary=""; for k in "${!outcome[@]}"; do summary+="${k}: ${outcome[$k]}; "; done
  echo "kill $mode: $TRIALS trials, run ${span}ms window; state after kill -- ${summary}"
  unset outcome
done

# ---- two processes migrating one file at once ----
for mode in delete wal; do
  for ((i = 1; i <= CONC; i++)); do
    db=$WORK/c_$mode.db; rm -f "$db" "$db"-*
    "$DRV" "$EXT" "$db" $mode setup >/dev/null
    "$DRV" "$EXT" "$db" $mode migrate >"$WORK/a.out" 2>&1 & pa=$!
    "$DRV" "$EXT" "$db" $mode migrate >"$WORK/b.out" 2>&1 & pb=$!
    wait $pa; ra=$?; wait $pb; rb=$?
    res=$(cat "$WORK/a.out" "$WORK/b.out" | sort | tr '\n' ' ')
    if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
      bad "concurrent $mode trial $i: a process failed: $res"; continue
    fi
    if [ "$res" != "applied 0 applied 5 " ]; then
      bad "concurrent $mode trial $i: expected one runner to apply 5 and the other 0, got: $res"; continue
    fi
    if ! final=$("$DRV" "$EXT" "$db" $mode check 2>&1) || [ "$final" != "applied 5" ]; then
      bad "concurrent $mode trial $i: $final"; continue
    fi
    ok "concurrent $mode trial $i"
  done
  echo "concurrent $mode: $CONC trials"
done

# ---- kill during tenant_create ----
reg=$WORK/reg; rm -rf "$reg"; mkdir -p "$reg"
"$DRV" "$EXT" "$reg/registry.db" delete tenantset >/dev/null
t0=$(now_ms); "$DRV" "$EXT" "$reg/registry.db" delete create calib >/dev/null; t1=$(now_ms)
span=$(( (t1 - t0) * 13 / 10 + 5 ))
orphans=0
for ((i = 1; i <= CREATES; i++)); do
  name=t$i
  "$DRV" "$EXT" "$reg/registry.db" delete create $name >/dev/null 2>&1 &
  pid=$!
  sleep_ms "$span"
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  problem=""
  # every registered tenant has its file, and the file is a sound database
  while IFS='|' read -r tname loc; do
    [ -z "$tname" ] && continue
    if [ ! -f "$reg/$loc" ]; then problem+="tenant $tname registered without its file $loc; "
    elif [ "$(sqlite3 "$reg/$loc" 'PRAGMA integrity_check' 2>&1)" != ok ]; then problem+="tenant $tname file fails integrity_check; "
    fi
  done < <(sqlite3 "$reg/registry.db" "SELECT name, location FROM tenancy_tenants" 2>&1)
  [ "$(sqlite3 "$reg/registry.db" 'PRAGMA integrity_check' 2>&1)" = ok ] || problem+="registry fails integrity_check; "
  registered=$(sqlite3 "$reg/registry.db" "SELECT count(*) FROM tenancy_tenants WHERE name = '$name'")
  # finish the job: create again, or adopt a file the kill left unregistered
  if [ "$registered" = 0 ]; then
    if [ -f "$reg/$name.db" ]; then
      orphans=$((orphans + 1))
      out=$("$DRV" "$EXT" "$reg/registry.db" delete register $name 2>&1) || problem+="register after kill: $out; "
    else
      out=$("$DRV" "$EXT" "$reg/registry.db" delete create $name 2>&1) || problem+="create after kill: $out; "
    fi
  fi
  [ -f "$reg/$name.db" ] && [ "$(sqlite3 "$reg/$name.db" "SELECT count(*) FROM tenancy_applied")" = 5 ] ||
    problem+="tenant $name not complete after the rerun; "
  if [ -n "$problem" ]; then bad "create trial $i: $problem"; else ok "create trial $i"; fi
done
echo "kill during tenant_create: $CREATES trials; $orphans left a tenant file without a registry row (adopted with tenant_register)"
finish
