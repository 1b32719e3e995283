#!/usr/bin/env bash
# 46_sqlite_fallback_push.sh -- tenant_fallback_push at size, against a
# throwaway cluster (plain tables, no tenancy extension there): thousands of
# changes across three tables linked by foreign keys (inserts, updates,
# deletes), with conflicts in the middle of them (an update of a row the
# primary changed too, and inserts whose keys the primary took: one among
# rows sent by COPY after the deletes, one in a table streamed while it is
# read).  'abort' pushes nothing and returns exactly the conflicts;
# 'primary_wins' applies every other change, and both sides then hold the
# same rows.  The caller's PRAGMA secure_delete is the same after a push
# (the push clears its change log with FAST).  kill -9 of the sqlite3
# process in the middle of such a push (FB_PUSH_TRIALS, default 10, WAL and
# rollback journal), then a rerun: every change applied exactly once.
# Ends with "N passed, N failed".
# Must not: need the tenancy extension installed in PostgreSQL or the shared
# PostgreSQL lock (its cluster is its own, port FB_PUSH_PORT, default 55467).
set -u
cd "$(dirname "$0")/../.."
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
finish() { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }

mkdir -p tests/out
if ! make -s sqlite >tests/out/fallback_push_build.log 2>&1; then
  cat tests/out/fallback_push_build.log; bad "build sqlite_ext/tenancy.so"; finish
fi
WORK=$(mktemp -d /tmp/tenancy_fbp.XXXXXX); chmod 755 "$WORK"
cp sqlite_ext/tenancy.so "$WORK/tenancy.so"   # a private copy: other builds may rewrite it
EXT=$WORK/tenancy

source tests/lib/pg_cluster.sh
PORT=${FB_PUSH_PORT:-55467}
if ! pg_cluster_start "$PORT" >"$WORK/cluster.log" 2>&1; then
  cat "$WORK/cluster.log"; bad "start a PostgreSQL cluster on port $PORT"; rm -rf "$WORK"; finish
fi
trap 'pg_cluster_stop; rm -rf "$WORK"' EXIT
PSQL="$PG_BIN/psql -X -q -v ON_ERROR_STOP=1 -h $PGC_SOCK -p $PORT -U postgres"
pq() { $PSQL -At -d fk -c "$1"; }
PRIM="host=$PGC_SOCK port=$PORT user=postgres dbname=fk"
sq() { local f=$1; shift; (cd "$WORK" && sqlite3 -bail -batch "$f" ".load $EXT" "$@" 2>&1); }
plain() { local f=$1; shift; (cd "$WORK" && sqlite3 -bail -batch "$f" "$@" 2>&1); }

$PSQL -d postgres -c "CREATE DATABASE fk" >/dev/null || { bad "create database"; finish; }
$PSQL -d fk >/dev/null <<'SQL' || bad "fk schema"
CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE kids (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parents(id), name text);
CREATE TABLE toys (id int PRIMARY KEY, kid_id int NOT NULL REFERENCES kids(id), label text);
SQL
# the primary as pulled: 100 rows in each table
seed() {
  pq "TRUNCATE toys, kids, parents;
      INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 100) g;
      INSERT INTO kids SELECT g, g, 'k' || g FROM generate_series(1, 100) g;
      INSERT INTO toys SELECT g, g, 't' || g FROM generate_series(1, 100) g;" >/dev/null
}
# every row of the three tables, one line each, the same text on both sides
DUMP="SELECT x FROM (SELECT 'p ' || id || ' ' || name AS x FROM parents
      UNION ALL SELECT 'k ' || id || ' ' || parent_id || ' ' || coalesce(name, '-') FROM kids
      UNION ALL SELECT 't ' || id || ' ' || kid_id || ' ' || coalesce(label, '-') FROM toys) AS s ORDER BY x"
pdump() { pq "$DUMP" | md5sum | cut -d' ' -f1; }
fdump() { plain "$1" "$DUMP" | md5sum | cut -d' ' -f1; }
# 6,110 changes recorded in $1: 2,000 new rows per table (ids 1001-3000, each
# kid under its parent, each toy with its kid), 50 kids renamed, 50 toys and 10
# kids (their toys among them) deleted
mixed_changes() {
  plain "$1" "PRAGMA foreign_keys = ON;
    WITH RECURSIVE n(i) AS (SELECT 1001 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO parents SELECT i, 'fp' || i FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1001 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO kids SELECT i, i, 'fk' || i FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1001 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO toys SELECT i, i, 'ft' || i FROM n;
    UPDATE kids SET name = 'kid-fb' WHERE id <= 50;
    DELETE FROM toys WHERE id > 50 AND id <= 100;
    DELETE FROM kids WHERE id > 90 AND id <= 100;" >/dev/null
}
changes() { plain "$1" "SELECT count(*) FROM tenancy_fallback_changes"; }

# ---- mixed changes, two conflicts in the middle ----
seed
sq base.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM')" >/dev/null
mixed_changes base.db
check "6,110 changes recorded across three tables" test "$(changes base.db)" = 6110
cp "$WORK/base.db" "$WORK/a.db"
pq "UPDATE kids SET name = 'kid-pr' WHERE id = 25; INSERT INTO parents VALUES (2000, 'pr-2000')" >/dev/null
before=$(pdump)
out=$(sq a.db "SELECT table_name, key, op, outcome FROM tenant_fallback_push('$PRIM') ORDER BY 1, 2")
check "abort: exactly the two conflicts are returned (an update the primary changed, an insert whose key it took)" \
  test "$out" = "$(printf 'kids|[25]|update|conflict\nparents|[2000]|insert|conflict')"
[ "$out" = "$(printf 'kids|[25]|update|conflict\nparents|[2000]|insert|conflict')" ] || echo "  got: $(head -c 400 <<<"$out")"
check "abort: nothing of the 6,110 changes reached the primary" test "$(pdump)" = "$before"
check "abort: no push recorded on the primary (its first push: not even the schema)" \
  test "$(pq "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'tenancy_fallback'")" = 0
check "abort: every change still waits, the conflicts are counted" \
  test "$(sq a.db "SELECT changes_waiting, conflicts_waiting FROM tenant_fallback_status('$PRIM')")" = "6110|2"
out=$(sq a.db "PRAGMA secure_delete = 1" \
  "SELECT outcome, count(*) FROM tenant_fallback_push('$PRIM', 'primary_wins') GROUP BY 1 ORDER BY 1" \
  "PRAGMA secure_delete")
check "primary_wins: the two conflicts keep the primary's rows, the 6,108 others are pushed" \
  test "$out" = "$(printf '1\nprimary_kept|2\npushed|6108\n1')"
[ "$out" = "$(printf '1\nprimary_kept|2\npushed|6108\n1')" ] || echo "  got: $(head -c 400 <<<"$out")"
check "... and the caller's secure_delete (on) is on again after the push" test "$(tail -1 <<<"$out")" = 1
check "primary_wins: the primary and the fallback hold the same rows" test "$(pdump)" = "$(fdump a.db)"
check "... the primary's rows where they conflicted" \
  test "$(pq "SELECT (SELECT name FROM kids WHERE id = 25) || ',' || (SELECT name FROM parents WHERE id = 2000)")" = "kid-pr,pr-2000"
check "... every other change applied: 2,000 new rows per table, 49 kids renamed, the deletes done" \
  test "$(pq "SELECT (SELECT count(*) FROM parents) || ',' || (SELECT count(*) FROM kids) || ',' || (SELECT count(*) FROM toys) || ',' ||
               (SELECT count(*) FROM kids WHERE name = 'kid-fb') || ',' || (SELECT count(*) FROM kids WHERE parent_id = 2000)")" \
       = "2100,2090,2050,49,1"
check "... nothing waits in the fallback" test "$(changes a.db)" = 0
check "... one push recorded on the primary" test "$(pq "SELECT count(*) FROM tenancy_fallback.pushes")" = 1
check "the change log is cleared with secure_delete FAST: its freed pages are not rewritten (a pushed key's text is still in the file)" \
  grep -qa '\[2999\]' "$WORK/a.db"
plain a.db "UPDATE kids SET name = 'again' WHERE id = 1" >/dev/null
out=$(sq a.db "PRAGMA secure_delete = 0" "SELECT count(*) FROM tenant_fallback_push('$PRIM')" "PRAGMA secure_delete")
check "a push never raises secure_delete: off stays off" test "$out" = "$(printf '0\n1\n0')"

# ---- keys read from the change record's text (an INTEGER PRIMARY KEY): negative, large, updated ----
plain a.db "INSERT INTO parents VALUES (-7, 'minus'), (2147483647, 'max'); UPDATE parents SET name = 'p1b' WHERE id = 1;
  DELETE FROM toys WHERE id = 1" >/dev/null
out=$(sq a.db "SELECT key, op, outcome FROM tenant_fallback_push('$PRIM') ORDER BY 1, 2")
[ "$out" = "$(printf '[-7]|insert|pushed\n[1]|delete|pushed\n[1]|update|pushed\n[2147483647]|insert|pushed')" ] || echo "  got: $out"
check "rowid keys: a negative and a large key inserted, one updated, one deleted" \
  test "$out" = "$(printf '[-7]|insert|pushed\n[1]|delete|pushed\n[1]|update|pushed\n[2147483647]|insert|pushed')"
check "... both sides hold the same rows" test "$(pdump)" = "$(fdump a.db)"

# ---- only inserts (streamed while read), a key taken in the last table ----
seed
pq "DELETE FROM tenancy_fallback.pushes" >/dev/null
rm -f "$WORK/s.db"*
sq s.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM')" >/dev/null
plain s.db "WITH RECURSIVE n(i) AS (SELECT 5001 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
  INSERT INTO parents SELECT i, 'sp' || i FROM n;
  WITH RECURSIVE n(i) AS (SELECT 5001 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
  INSERT INTO kids SELECT i, i, 'sk' || i FROM n;
  WITH RECURSIVE n(i) AS (SELECT 5001 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
  INSERT INTO toys SELECT i, i, 'st' || i FROM n;" >/dev/null
pq "INSERT INTO toys VALUES (6500, 1, 'pr-toy')" >/dev/null
before=$(pdump)
out=$(sq s.db "SELECT table_name, key, op, outcome FROM tenant_fallback_push('$PRIM') WHERE outcome <> 'pushed'")
check "9,000 inserts streamed by COPY, one key taken in the last table: abort returns only it" \
  test "$out" = "toys|[6500]|insert|conflict"
[ "$out" = "toys|[6500]|insert|conflict" ] || echo "  got: $(head -c 300 <<<"$out") ($(wc -l <<<"$out") rows)"
check "... and the rows already streamed into the first two tables are gone from the primary" test "$(pdump)" = "$before"
check "... every change still waits" test "$(changes s.db)" = 9000
out=$(sq s.db "SELECT outcome, count(*) FROM tenant_fallback_push('$PRIM', 'primary_wins') GROUP BY 1 ORDER BY 1")
check "primary_wins: the taken key keeps the primary's row, the 8,999 others are pushed" \
  test "$out" = "$(printf 'primary_kept|1\npushed|8999')"
check "... both sides hold the same rows" test "$(pdump)" = "$(fdump s.db)"
check "... the fallback took the primary's toy" test "$(plain s.db "SELECT kid_id || label FROM toys WHERE id = 6500")" = "1pr-toy"

# ---- kill -9 in the middle of a mixed push, then a rerun ----
TRIALS=${FB_PUSH_TRIALS:-10}
seed
pq "DELETE FROM tenancy_fallback.pushes" >/dev/null
base=$(pdump)
rm -f "$WORK/t.db"*
sq t.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM')" >/dev/null
mixed_changes t.db
want=$(fdump t.db)
bad_trials=0; hit=0; between_done=0
for i in $(seq 1 "$TRIALS"); do
  seed
  rm -f "$WORK/k.db"*
  cp "$WORK/t.db" "$WORK/k.db"
  [ $((i % 2)) -eq 1 ] && plain k.db "PRAGMA journal_mode = WAL" >/dev/null
  pushes=$(pq "SELECT count(*) FROM tenancy_fallback.pushes")
  (cd "$WORK" && exec sqlite3 k.db ".load $EXT" "SELECT count(*) FROM tenant_fallback_push('$PRIM')" >/dev/null 2>&1) &
  p=$!
  sleep "$(( RANDOM % 2 )).$(( RANDOM % 10 ))"
  if [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then hit=$((hit + 1)); fi
  kill -9 $p 2>/dev/null; wait $p 2>/dev/null
  ic=$(plain k.db "PRAGMA integrity_check" | head -1)
  mid=$(pdump)
  [ "$mid" = "$want" ] && between_done=$((between_done + 1))
  rerun=$(sq k.db "SELECT count(*) || ':' || count(*) FILTER (WHERE outcome <> 'pushed') FROM tenant_fallback_push('$PRIM')")
  final=$(pdump)
  left=$(changes k.db)
  added=$(( $(pq "SELECT count(*) FROM tenancy_fallback.pushes") - pushes ))
  # rerun: 6110 rows (the push finished or redone) or 0 (the killed one had finished both sides)
  if [ "$ic" = ok ] && { [ "$mid" = "$base" ] || [ "$mid" = "$want" ]; } &&
     { [ "$rerun" = "6110:0" ] || [ "$rerun" = "0:0" ]; } &&
     [ "$final" = "$want" ] && [ "$left" = 0 ] && [ "$added" = 1 ]; then :
  else bad_trials=$((bad_trials + 1)); echo "  trial $i: integrity=$ic between=$([ "$mid" = "$base" ] && echo base || { [ "$mid" = "$want" ] && echo done; } || echo other) rerun=$rerun left=$left pushes+$added"; fi
done
check "kill -9 during a push of 6,110 mixed changes, $TRIALS trials ($hit killed in flight; the primary had committed in $between_done): never half-applied, each change once, nothing lost" \
  test "$bad_trials" -eq 0

finish
