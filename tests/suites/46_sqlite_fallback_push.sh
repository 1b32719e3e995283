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
# (the push clears its change log with FAST).  Streaming: a table's COPY
# cancelled at its first change other than an insert; a child's new rows
# wait for a parent that cannot go by COPY.  tenant_fallback_drop_retired:
# every refusal, dropped and renamed tables, odd names, shadow tables set
# aside by a key change, a registry tenant by name.  kill -9 of the sqlite3
# process in the middle of such a push (FB_PUSH_TRIALS, default 10, WAL and
# rollback journal), then a rerun: every change applied exactly once.
# Ends with "N passed, N failed".
# Must not: need the tenancy extension installed in PostgreSQL or the shared
# PostgreSQL lock (its cluster is its own, port FB_PUSH_PORT, default 55467).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/suite_count.sh

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
check_eq "6,110 changes recorded across three tables" "$(changes base.db)" 6110
cp "$WORK/base.db" "$WORK/a.db"
pq "UPDATE kids SET name = 'kid-pr' WHERE id = 25; INSERT INTO parents VALUES (2000, 'pr-2000')" >/dev/null
before=$(pdump)
out=$(sq a.db "SELECT table_name, key, op, outcome FROM tenant_fallback_push('$PRIM') ORDER BY 1, 2")
check_eq "abort: exactly the two conflicts are returned (an update the primary changed, an insert whose key it took)" \
  "$out" "$(printf 'kids|[25]|update|conflict\nparents|[2000]|insert|conflict')"
check_eq "abort: nothing of the 6,110 changes reached the primary" "$(pdump)" "$before"
check_eq "abort: no push recorded on the primary (its first push: not even the schema)" \
  "$(pq "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'tenancy_fallback'")" 0
check_eq "abort: every change still waits, the conflicts are counted" \
  "$(sq a.db "SELECT changes_waiting, conflicts_waiting FROM tenant_fallback_status('$PRIM')")" "6110|2"
out=$(sq a.db "PRAGMA secure_delete = 1" \
  "SELECT outcome, count(*) FROM tenant_fallback_push('$PRIM', 'primary_wins') GROUP BY 1 ORDER BY 1" \
  "PRAGMA secure_delete")
check_eq "primary_wins: the two conflicts keep the primary's rows, the 6,108 others are pushed" \
  "$out" "$(printf '1\nprimary_kept|2\npushed|6108\n1')"
check_eq "... and the caller's secure_delete (on) is on again after the push" "$(tail -1 <<<"$out")" 1
check_eq "primary_wins: the primary and the fallback hold the same rows" "$(pdump)" "$(fdump a.db)"
check_eq "... the primary's rows where they conflicted" \
  "$(pq "SELECT (SELECT name FROM kids WHERE id = 25) || ',' || (SELECT name FROM parents WHERE id = 2000)")" "kid-pr,pr-2000"
check_eq "... every other change applied: 2,000 new rows per table, 49 kids renamed, the deletes done" \
  "$(pq "SELECT (SELECT count(*) FROM parents) || ',' || (SELECT count(*) FROM kids) || ',' || (SELECT count(*) FROM toys) || ',' ||
               (SELECT count(*) FROM kids WHERE name = 'kid-fb') || ',' || (SELECT count(*) FROM kids WHERE parent_id = 2000)")" "2100,2090,2050,49,1"
check_eq "... nothing waits in the fallback" "$(changes a.db)" 0
check_eq "... one push recorded on the primary" "$(pq "SELECT count(*) FROM tenancy_fallback.pushes")" 1
check_cmd "the change log is cleared with secure_delete FAST: its freed pages are not rewritten (a pushed key's text is still in the file)" \
  grep -qa '\[2999\]' "$WORK/a.db"
plain a.db "UPDATE kids SET name = 'again' WHERE id = 1" >/dev/null
out=$(sq a.db "PRAGMA secure_delete = 0" "SELECT count(*) FROM tenant_fallback_push('$PRIM')" "PRAGMA secure_delete")
check_eq "a push never raises secure_delete: off stays off" "$out" "$(printf '0\n1\n0')"

# ---- keys read from the change record's text (an INTEGER PRIMARY KEY): negative, large, updated ----
plain a.db "INSERT INTO parents VALUES (-7, 'minus'), (2147483647, 'max'); UPDATE parents SET name = 'p1b' WHERE id = 1;
  DELETE FROM toys WHERE id = 1" >/dev/null
out=$(sq a.db "SELECT key, op, outcome FROM tenant_fallback_push('$PRIM') ORDER BY 1, 2")
check_eq "rowid keys: a negative and a large key inserted, one updated, one deleted" \
  "$out" "$(printf '[-7]|insert|pushed\n[1]|delete|pushed\n[1]|update|pushed\n[2147483647]|insert|pushed')"
check_eq "... both sides hold the same rows" "$(pdump)" "$(fdump a.db)"

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
check_eq "9,000 inserts streamed by COPY, one key taken in the last table: abort returns only it" \
  "$out" "toys|[6500]|insert|conflict"
check_eq "... and the rows already streamed into the first two tables are gone from the primary" "$(pdump)" "$before"
check_eq "... every change still waits" "$(changes s.db)" 9000
out=$(sq s.db "SELECT outcome, count(*) FROM tenant_fallback_push('$PRIM', 'primary_wins') GROUP BY 1 ORDER BY 1")
check_eq "primary_wins: the taken key keeps the primary's row, the 8,999 others are pushed" \
  "$out" "$(printf 'primary_kept|1\npushed|8999')"
check_eq "... both sides hold the same rows" "$(pdump)" "$(fdump s.db)"
check_eq "... the fallback took the primary's toy" "$(plain s.db "SELECT kid_id || label FROM toys WHERE id = 6500")" "1pr-toy"

# ---- streaming learnt while reading: a table's first change other than an insert stops it ----
seed
pq "DELETE FROM tenancy_fallback.pushes" >/dev/null
rm -f "$WORK/m.db"*
sq m.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM')" >/dev/null
plain m.db "WITH RECURSIVE n(i) AS (SELECT 5001 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
  INSERT INTO parents SELECT i, 'mp' || i FROM n;
  UPDATE parents SET name = 'renamed' WHERE id = 3;
  WITH RECURSIVE n(i) AS (SELECT 5001 UNION ALL SELECT i + 1 FROM n WHERE i < 5100)
  INSERT INTO kids SELECT i, i, 'mk' || i FROM n;" >/dev/null
out=$(sq m.db "SELECT op, outcome, count(*) FROM tenant_fallback_push('$PRIM') GROUP BY 1, 2 ORDER BY 1, 2")
check_eq "3,000 inserts then an update in one table (its COPY cancelled at the update, read again), then 100 kids: all pushed" \
  "$out" "$(printf 'insert|pushed|3100\nupdate|pushed|1')"
check_eq "... both sides hold the same rows" "$(pdump)" "$(fdump m.db)"
check_eq "... nothing waits, one push recorded" \
  "$(changes m.db),$(pq "SELECT count(*) FROM tenancy_fallback.pushes")" "0,1"

# ---- a parent that cannot go by COPY (an array column), a child that could: the child waits for it ----
$PSQL -d postgres -c "CREATE DATABASE fk2" >/dev/null || bad "create database fk2"
$PSQL -d fk2 >/dev/null <<'SQL' || bad "fk2 schema"
CREATE TABLE tags (id int PRIMARY KEY, labels text[]);
CREATE TABLE uses (id int PRIMARY KEY, tag_id int NOT NULL REFERENCES tags(id), note text);
SQL
PRIM2="host=$PGC_SOCK port=$PORT user=postgres dbname=fk2"
rm -f "$WORK/u.db"*
sq u.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM2')" >/dev/null
plain u.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
  INSERT INTO tags SELECT i, json_array('a' || i, 'b') FROM n;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
  INSERT INTO uses SELECT i, 1 + i % 50, 'u' || i FROM n;" >/dev/null
out=$(sq u.db "SELECT outcome, count(*) FROM tenant_fallback_push('$PRIM2') GROUP BY 1" 2>&1)
check_eq "only inserts, the parent's new rows by JSON batches: the child's new rows referring to them are pushed after them" \
  "$out" "pushed|250"
check_eq "... the primary holds them" \
  "$($PSQL -At -d fk2 -c "SELECT count(*) || ',' || (SELECT count(*) FROM uses) || ',' || (SELECT labels[1] FROM tags WHERE id = 7) FROM tags")" "50,200,a7"

# ---- tenant_fallback_drop_retired: the bookkeeping of tables the application dropped or renamed ----
$PSQL -d postgres -c "CREATE DATABASE rt" >/dev/null || bad "create database rt"
$PSQL -d rt >/dev/null <<'SQL' || bad "rt schema"
CREATE TABLE keep (id int PRIMARY KEY, v text);
CREATE TABLE gone (id int PRIMARY KEY, v text);
CREATE TABLE moved (id int PRIMARY KEY, v text);
CREATE TABLE "we""ird t" (id int PRIMARY KEY, v text);
INSERT INTO keep VALUES (1, 'k'); INSERT INTO gone VALUES (1, 'g'); INSERT INTO moved VALUES (1, 'm');
INSERT INTO "we""ird t" VALUES (1, 'w');
SQL
PRIM3="host=$PGC_SOCK port=$PORT user=postgres dbname=rt"
objs() { plain "$1" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE name LIKE 'tenancy_fb%' ORDER BY name)"; }
rm -f "$WORK/r.db"*
sq r.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM3')" >/dev/null
all=$(objs r.db)
check_eq "drop_retired: nothing retired, nothing dropped (0)" \
  "$(sq r.db "SELECT tenant_fallback_drop_retired()")|$(objs r.db)" "0|$all"
plain r.db "UPDATE gone SET v = 'g2'; UPDATE moved SET v = 'm2'; UPDATE keep SET v = 'k2'; DROP TABLE gone;
  ALTER TABLE moved RENAME TO moved2" >/dev/null
all=$(objs r.db)
out=$(sq r.db "SELECT tenant_fallback_drop_retired()")
check_has "refused while retired tables have changes waiting, each named with its count (0A000 words)" \
  "cannot drop the fallback's bookkeeping of retired tables with changes waiting to be pushed: \"gone\" (1 change), \"moved\" (1 change)" "$out"
check_has "... with a hint to push them or give them up" "give them up: DELETE FROM tenancy_fallback_changes WHERE tbl = 'gone'" "$out"
check_eq "... and nothing was dropped" "$(objs r.db)" "$all"
plain r.db "DELETE FROM tenancy_fallback_changes WHERE tbl = 'moved'" >/dev/null
out=$(sq r.db "SELECT tenant_fallback_drop_retired()")
check_cmd "one retired table still waiting: refused in the singular, naming only it" \
  grep -q "of a retired table with changes waiting to be pushed: \"gone\" (1 change)$" <<<"$(head -1 <<<"$out")"
check_eq "... nothing dropped" "$(objs r.db)" "$all"
plain r.db "DELETE FROM tenancy_fallback_changes WHERE tbl = 'gone'" >/dev/null
out=$(sq r.db "SELECT tenant_fallback_drop_retired() FROM keep")
check_eq "called while another statement of the connection reads: a clear error, nothing dropped" \
  "$(grep -c "while another statement of this connection is reading" <<<"$out")|$(objs r.db)" "1|$all"
check_eq "dropped and renamed tables: their leftovers dropped (2), the others' kept" \
  "$(sq r.db "SELECT tenant_fallback_drop_retired()")" 2
check_eq "... shadow tables and triggers of the live tables only" \
  "$(objs r.db)" "tenancy_fb_bin_keep tenancy_fb_bin_we\"ird t tenancy_fb_del_keep tenancy_fb_del_we\"ird t tenancy_fb_ins_keep tenancy_fb_ins_we\"ird t tenancy_fb_old_keep tenancy_fb_old_we\"ird t tenancy_fb_upd_keep tenancy_fb_upd_we\"ird t"
check_eq "... tenancy_fallback_tables lists the live tables only" \
  "$(plain r.db "SELECT group_concat(name, ',') FROM (SELECT name FROM tenancy_fallback_tables ORDER BY 1)")" "keep,we\"ird t"
check_eq "... the renamed table takes writes again (its old triggers, which wrote to the dropped shadow table, are gone)" \
  "$(plain r.db "INSERT INTO moved2 VALUES (2, 'x'); SELECT count(*) FROM moved2")" 2
check_eq "... and the live table's changes still push" \
  "$(sq r.db "SELECT table_name || ':' || op || ':' || outcome FROM tenant_fallback_push('$PRIM3')")" "keep:update:pushed"
plain r.db "DROP TABLE \"we\"\"ird t\"" >/dev/null
check_eq "a table name with a quote and a space: its leftovers dropped" \
  "$(sq r.db "SELECT tenant_fallback_drop_retired()")|$(objs r.db)" "1|tenancy_fb_bin_keep tenancy_fb_del_keep tenancy_fb_ins_keep tenancy_fb_old_keep tenancy_fb_upd_keep"
# the key changed on the primary: the next pull sets the old shadow table aside
$PSQL -d rt -c "ALTER TABLE keep DROP CONSTRAINT keep_pkey, ADD PRIMARY KEY (id, v)" >/dev/null
plain r.db "DROP TABLE keep" >/dev/null
sq r.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM3')" >/dev/null
$PSQL -d rt -c "ALTER TABLE keep DROP CONSTRAINT keep_pkey, ADD PRIMARY KEY (id)" >/dev/null
plain r.db "DROP TABLE keep" >/dev/null
sq r.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM3')" >/dev/null
check_eq "a key changed twice on the primary: two shadow tables set aside by the pulls" \
  "$(plain r.db "SELECT count(*) FROM sqlite_master WHERE name LIKE 'tenancy_fb_retired_keep_%'")" 2
out="$(sq r.db "SELECT tenant_fallback_drop_retired()")|$(plain r.db "SELECT count(*) FROM sqlite_master WHERE name LIKE 'tenancy_fb_retired%'")|$(plain r.db "SELECT count(*) FROM sqlite_master WHERE name LIKE 'tenancy_fb_%_keep'")"
check_eq "... dropped by drop_retired (1 table), the live shadow table and triggers kept" "$out" "1|0|5"
check_eq "a file that is no fallback: 0, nothing made but the fallback's own tables" \
  "$(sq plain.db "SELECT tenant_fallback_drop_retired()")" 0
# a tenant of a SQLite registry, by name
rm -f "$WORK"/reg.db* "$WORK"/acme.db*
sq reg.db "SELECT tenant_create('acme')" >/dev/null
sq acme.db "SELECT count(*) FROM tenant_fallback_pull('$PRIM3')" >/dev/null
plain acme.db "DROP TABLE moved" >/dev/null
check_eq "in a registry, tenant_fallback_drop_retired('acme') works in that tenant's file" \
  "$(sq reg.db "SELECT tenant_fallback_drop_retired('acme')")|$(plain acme.db "SELECT count(*) FROM sqlite_master WHERE name LIKE 'tenancy_fb%moved'")" "1|0"
out=$(sq reg.db "SELECT tenant_fallback_drop_retired('nope')")
check_cmd "... an unknown tenant is refused (42704)" grep -q 'tenant "nope" does not exist' <<<"$out"
sq reg.db "SELECT tenant_create('lost')" >/dev/null
rm -f "$WORK/lost.db"
out=$(sq reg.db "SELECT tenant_fallback_drop_retired('lost')")
check_cmd "... a tenant whose file is missing is unreachable" grep -q 'tenant "lost" is unreachable' <<<"$out"

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
check_cmd "kill -9 during a push of 6,110 mixed changes, $TRIALS trials ($hit killed in flight; the primary had committed in $between_done): never half-applied, each change once, nothing lost" \
  test "$bad_trials" -eq 0

finish
