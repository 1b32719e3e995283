#!/usr/bin/env bash
# 40_sqlite_crash.sh -- kill tests for the SQLite extension.  A small C driver
# (tests/crash/crash_driver.c) runs tenant_migrate() on a 5-migration workload
# and is killed with SIGKILL *inside the batch*, which the suite knows:
#  - stop trials: the driver stops itself (SIGSTOP) as the K-th SQL statement of
#    the batch starts (K spread over the batch, from BEGIN to COMMIT); the suite
#    sees the stopped process and kills it;
#  - timed trials: the driver writes to a FIFO as the first migration body
#    starts; the suite kills it a random time after that.  A trial is a hit
#    only if the process was still running (it died of the SIGKILL, without
#    printing a result); a kill that came after the call returned is a miss
#    and is not counted as a pass.
# After each kill: PRAGMA integrity_check = ok and "a migration's tracking row
# exists iff its objects exist"; then a rerun to completion and the same check.
# Both DELETE and WAL journals.  Also: two processes migrating one file at
# once (no double apply, only clean waits), and kills inside tenant_create
# (no registered tenant without a file), with the same stop/timed scheme.
# Prints hits and misses per part. Ends with "N passed, N failed"; exits 1 on
# any failure or when fewer hits than asked for were made.
#
# Env: CRASH_HITS=N hits per journal mode (default 40: half stop, half timed),
#      CONC_TRIALS=N (default 15 per mode), CREATE_HITS=N (default 20).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/out/crash
EXT=$ROOT/sqlite_ext/tenancy
DRV=$OUT/crash_driver
HITS=${CRASH_HITS:-40}
CONC=${CONC_TRIALS:-15}
CREATES=${CREATE_HITS:-20}
SUITE_OK_QUIET=1	# hundreds of trials: only failures and the summaries (VERBOSE=1 prints each)
. tests/lib/suite_count.sh

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

# ---- kill inside the tenant_migrate batch ----
FIFO=$WORK/mark.fifo; mkfifo "$FIFO"
exec 3<>"$FIFO"		# read-write: neither side blocks on open
# proc_state PID -> one letter (R, S, T, Z, ...) or nothing once reaped
proc_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null; }
# one_kill HOW ARG -- start "$@" after HOW/ARG in the background, kill it inside
# the operation; sets $hit (1 or 0) and $how_far.  HOW: stop K | timed SPAN_MS
one_kill() {
  local how=$1 arg=$2 pid st rc line; shift 2
  hit=0; how_far=""
  if [ "$how" = stop ]; then
    CRASH_STOP_AT=$arg "$@" >"$WORK/out" 2>"$WORK/err" & pid=$!
    for ((w = 0; w < 2000; w++)); do
      st=$(proc_state "$pid"); [ "$st" = T ] && break
      [ -z "$st" ] || [ "$st" = Z ] && break
      sleep 0.005
    done
    if [ "$st" = T ]; then kill -KILL "$pid"; hit=1; how_far="stopped at statement $arg"; fi
    wait "$pid" 2>/dev/null
    [ "$hit" = 1 ] || how_far="never reached statement $arg"
  else
    while read -r -t 0 -u 3 line; do :; done		# drain old marks
    CRASH_MARK=$FIFO "$@" >"$WORK/out" 2>"$WORK/err" & pid=$!
    if read -r -t 20 -u 3 line; then
      sleep_ms "$arg"
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null; rc=$?
    # a hit: it died of the SIGKILL (137) before printing its result
    if [ "$rc" -eq 137 ] && ! grep -q . "$WORK/out"; then hit=1; how_far="killed inside"; else how_far="finished first (exit $rc)"; fi
  fi
}
for mode in delete wal; do
  db=$WORK/cal.db; rm -f "$db"*
  "$DRV" "$EXT" "$db" $mode setup >/dev/null
  t0=$(now_ms); cal=$(CRASH_COUNT=1 "$DRV" "$EXT" "$db" $mode migrate); t1=$(now_ms)
  nstmt=$(sed -n 's/^statements //p' <<<"$cal"); from=$(sed -n 's/^batch_from //p' <<<"$cal")
  span=$(( t1 - t0 + 1 ))
  if [ -z "$nstmt" ] || [ -z "$from" ] || [ "$from" -lt 2 ]; then bad "$mode: calibration: $cal"; continue; fi
  declare -A outcome=()
  hits=0; misses=0; stop_hits=0; timed_hits=0; trial=0
  while [ "$hits" -lt "$HITS" ] && [ "$trial" -lt $((HITS * 3)) ]; do
    trial=$((trial + 1))
    db=$WORK/k_$mode.db; rm -f "$db" "$db"-*
    "$DRV" "$EXT" "$db" $mode setup >/dev/null 2>"$WORK/err" || { bad "$mode trial $trial: setup: $(cat "$WORK/err")"; continue; }
    if [ $((trial % 2)) -eq 1 ]; then
      # statements from BEGIN (inclusive: stopped before it runs is outside) .. COMMIT
      k=$(( from + RANDOM % (nstmt - from + 1) ))
      one_kill stop "$k" "$DRV" "$EXT" "$db" $mode migrate
    else
      one_kill timed "$span" "$DRV" "$EXT" "$db" $mode migrate
    fi
    if ! after=$("$DRV" "$EXT" "$db" $mode check 2>&1); then
      bad "$mode trial $trial ($how_far): after the kill: $after"; cp "$db" "$OUT/failed_${mode}_$trial.db" 2>/dev/null; continue
    fi
    if ! rerun=$("$DRV" "$EXT" "$db" $mode migrate 2>&1); then
      bad "$mode trial $trial ($how_far): rerun: $rerun"; continue
    fi
    if ! final=$("$DRV" "$EXT" "$db" $mode check 2>&1) || [ "$final" != "applied 5" ]; then
      bad "$mode trial $trial ($how_far): after the rerun: $final"; continue
    fi
    if [ "$hit" = 1 ]; then
      hits=$((hits + 1)); [ $((trial % 2)) -eq 1 ] && stop_hits=$((stop_hits + 1)) || timed_hits=$((timed_hits + 1))
      outcome[$after]=$(( ${outcome[$after]:-0} + 1 ))
      ok "$mode trial $trial ($how_far: $after)"
    else
      misses=$((misses + 1))
    fi
  done
  summary=""; for k in "${!outcome[@]}"; do summary+="${k}: ${outcome[$k]}; "; done
  echo "kill $mode: $hits hits ($stop_hits stopped at a statement of the batch, $timed_hits timed kills), $misses misses (not counted), $trial trials; state after the hits -- ${summary}"
  [ "$hits" -ge "$HITS" ] || bad "kill $mode: only $hits hits of $HITS asked for"
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

# ---- kill inside tenant_create ----
reg=$WORK/reg; rm -rf "$reg"; mkdir -p "$reg"
"$DRV" "$EXT" "$reg/registry.db" delete tenantset >/dev/null
t0=$(now_ms); cal=$(CRASH_COUNT=1 "$DRV" "$EXT" "$reg/registry.db" delete create calib); t1=$(now_ms)
nstmt=$(sed -n 's/^statements //p' <<<"$cal"); from=$(sed -n 's/^batch_from //p' <<<"$cal")
span=$(( t1 - t0 + 1 ))
orphans=0; hits=0; misses=0; trial=0
[ -n "$nstmt" ] && [ -n "$from" ] && [ "$from" -ge 2 ] || { bad "create: calibration: $cal"; CREATES=0; }
while [ "$hits" -lt "$CREATES" ] && [ "$trial" -lt $((CREATES * 3)) ]; do
  trial=$((trial + 1)); name=t$trial
  if [ $((trial % 2)) -eq 1 ]; then
    # from the first statement of tenant_create's own work (2) to its COMMIT
    one_kill stop $(( 2 + RANDOM % (nstmt - 1) )) "$DRV" "$EXT" "$reg/registry.db" delete create $name
  else
    CRASH_MARK_AT="tenancy_tenants WHERE name" one_kill timed "$span" "$DRV" "$EXT" "$reg/registry.db" delete create $name
  fi
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
  if [ -n "$problem" ]; then bad "create trial $trial ($how_far): $problem"
  elif [ "$hit" = 1 ]; then hits=$((hits + 1)); ok "create trial $trial ($how_far)"
  else misses=$((misses + 1)); fi
done
echo "kill inside tenant_create: $hits hits, $misses misses (not counted), $trial trials; $orphans left a tenant file without a registry row (adopted with tenant_register)"
[ "$hits" -ge "$CREATES" ] || bad "kill inside tenant_create: only $hits hits of $CREATES asked for"
finish
