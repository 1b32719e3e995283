#!/usr/bin/env bash
# 70_cli.sh -- the tenancy command (cli/) on SQLite and on a throwaway
# PostgreSQL cluster (port 55470, override with TN_CLI_PORT): URL
# resolution, golden outputs (tables and --json) in tests/cli/, every exit
# code, non-TTY progress lines, Ctrl-C, `new` on each folder style, and `load`
# (tenant_migrations_load_files) into a role without pg_read_server_files.
# TENANCY_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
# Ends with "N passed, N failed"; exits 1 on any failure.
# Must not: use a cluster or port of another suite, or leave the cluster running.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/out/cli
GOLD=$ROOT/tests/cli
T=$ROOT/cli/tenancy
rm -rf "$OUT"; mkdir -p "$OUT"
. tests/lib/suite_count.sh

# run NAME CMD...: stdout to $OUT/NAME.out, stderr to $OUT/NAME.err, exit code in $RC
run() { local name=$1; shift; "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null; RC=$?; }
# timestamps and durations change from run to run
norm() { sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(\+00(:00)?|Z)?/<ts>/g
	s/"duration_ms": [0-9]+/"duration_ms": N/g; s/pre_migration_[0-9TZ.]+/pre_migration_<ts>/g'; }
# a table whose cells were masked: compare cells, not padding
squeeze() {
	norm | awk -F'|' -v OFS='|' '
		NR == 1 { for (i = 1; i <= NF; i++) { h = $i; gsub(/ /, "", h); if (h == "duration_ms") d = i } }
		NR > 2 && d && NF >= d && $d ~ /[0-9]/ { $d = " N " }
		{ print }' | sed -E 's/^[-+]+$/---/; s/ +/ /g; s/ $//'
}
# golden NAME FILE [filter]: FILE (through filter) must equal tests/cli/NAME
golden() {
	local name=$1 file=$2 filter=${3:-cat}
	mkdir -p "$(dirname "$OUT/$name.got")"
	$filter <"$file" >"$OUT/$name.got"
	if [ "${TENANCY_UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$(dirname "$GOLD/$name")"; cp "$OUT/$name.got" "$GOLD/$name"; echo "     golden $name written (not a check)"
	elif diff -u "$GOLD/$name" "$OUT/$name.got" >"$OUT/$name.diff" 2>&1; then
		ok "golden $name"
	else
		bad "golden $name"; head -20 "$OUT/$name.diff"
	fi
}

if make -C cli >"$OUT/build.log" 2>&1 && make sqlite >>"$OUT/build.log" 2>&1; then
	:	# a build is not a check; a failed one is a failure
else
	tail -30 "$OUT/build.log"; bad "cli/tenancy builds"; finish
fi
check_eq "the command exports no tn_* symbol it would need from tenancy.so" \
	"$(nm -D --undefined-only "$T" | grep -c ' tn_\| sqlite3_tenancy_init')" "0"

# ---- URL resolution (no database server needed) -------------------------
W=$OUT/url; mkdir -p "$W"; cd "$W"
unset TENANCY_DATABASE_URL DATABASE_URL
run url_default "$T" status
check_eq "url: no option, no variable: sqlite:tenancy.db in the current folder" "$RC $(ls)" "0 tenancy.db"
DATABASE_URL=sqlite:from_env.db run url_env "$T" status
check_eq "url: DATABASE_URL=sqlite:PATH" "$RC $([ -f from_env.db ] && echo yes)" "0 yes"
TENANCY_DATABASE_URL=tenancy_env.db DATABASE_URL=sqlite:not_this.db run url_tenv "$T" status
check_eq "url: TENANCY_DATABASE_URL (a plain path) wins over DATABASE_URL" \
	"$RC $([ -f tenancy_env.db ] && echo yes) $([ -f not_this.db ] && echo no)" "0 yes "
TENANCY_DATABASE_URL=not_this.db run url_opt "$T" -d "sqlite://$W/opt.db" status
check_eq "url: -d wins over the variables; sqlite:///abs/path" "$RC $([ -f opt.db ] && echo yes) $([ -f not_this.db ] && echo no)" "0 yes "
TENANCY_DATABASE_URL= DATABASE_URL=sqlite:empty_skipped.db run url_empty "$T" status
check_eq "url: an empty variable counts as unset" "$RC $([ -f empty_skipped.db ] && echo yes)" "0 yes"
run url_after "$T" status -d sqlite3:after.db
check_eq "url: -d after the command; sqlite3: scheme" "$RC $([ -f after.db ] && echo yes)" "0 yes"
run url_scheme "$T" -d mysql://x/y status
check_eq "url: unknown scheme is a usage error (exit 2)" "$RC $(grep -c 'unknown database URL scheme' "$OUT/url_scheme.err")" "2 1"
run url_pg "$T" -d "postgres://127.0.0.1:1/x?connect_timeout=2" status
check_eq "url: postgres:// is PostgreSQL; unreachable: exit 3, SQLSTATE 08006" \
	"$RC $(grep -c 'could not connect to the PostgreSQL server' "$OUT/url_pg.err") $(grep -c 'SQLSTATE:  08006' "$OUT/url_pg.err")" "3 1 1"
run url_kv "$T" -d "host=127.0.0.1 port=1 dbname=x connect_timeout=2" status
check_eq "url: libpq key=value is PostgreSQL" "$RC $(grep -c 'could not connect to the PostgreSQL server' "$OUT/url_kv.err")" "3 1"
run url_pgql "$T" --json -d "postgresql://127.0.0.1:1/x" status
golden common/connect_error.json "$OUT/url_pgql.out"
check_eq "url: postgresql://, --json error document on stdout, exit 3" "$RC" "3"
cd "$ROOT"

# ---- SQLite ---------------------------------------------------------------
W=$OUT/sqlite; mkdir -p "$W/migrations" "$W/tm"; cd "$W"
export DATABASE_URL=sqlite:app.db
printf 'CREATE TABLE users (id integer PRIMARY KEY, name text);\n' >migrations/V1__users.sql
printf 'DROP TABLE users;\n' >migrations/U1__users.sql
printf 'ALTER TABLE users ADD COLUMN email text;\n' >migrations/V2__email.sql
printf 'CREATE INDEX users_email ON users (email);\n' >migrations/V3__email_index.sql
run load_sqlite "$T" load migrations
check_eq "sqlite: load DIR (tenant_migrations_load_files): Flyway V and U files" "$RC $(cat "$OUT/load_sqlite.out")" "0 3 migrations added or changed"
run load_sqitch "$T" -d sqlite:sqitch.db load "$ROOT/tests/fixtures/sqitch_sqlite"
check_eq "sqlite: load a Sqitch project (sqitch.plan sent with deploy/, revert/, verify/)" "$RC $(cat "$OUT/load_sqitch.out")" "0 2 migrations added or changed"
run migrate_sqitch "$T" -d sqlite:sqitch.db migrate
check_eq "sqlite: the Sqitch project migrates" "$RC $(cat "$OUT/migrate_sqitch.out")" "0 2 migrations applied"
run load_sqitch_top "$T" -d sqlite:sqitch_top.db load "$ROOT/tests/fixtures/sqitch_top_dir"
check_eq "sqlite: load a Sqitch project whose sqitch.conf says top_dir = db (sqitch.conf and db/... sent)" \
	"$RC $(cat "$OUT/load_sqitch_top.out")" "0 2 migrations added or changed"
run migrate_sqitch_top "$T" -d sqlite:sqitch_top.db migrate
check_eq "sqlite: the top_dir Sqitch project migrates" "$RC $(cat "$OUT/migrate_sqitch_top.out")" "0 2 migrations applied"

engine_suite() {
	local e=$1			# sqlite or pg: golden folder
	run status_pending "$T" status
	golden "$e/status_pending.txt" "$OUT/status_pending.out"
	check_eq "$e: status exit 0" "$RC" "0"
	run plan "$T" plan
	golden "$e/plan.txt" "$OUT/plan.out"
	run plan_json "$T" --json plan 2
	golden "$e/plan_2.json" "$OUT/plan_json.out"
	run dry "$T" dry-run --json
	golden "$e/dry_run.json" "$OUT/dry.out" norm
	run migrate2 "$T" migrate 2
	check_eq "$e: migrate 2 applies two" "$RC $(cat "$OUT/migrate2.out")" "0 2 migrations applied"
	run migrate_json "$T" --json migrate
	check_eq "$e: migrate --json" "$RC $(cat "$OUT/migrate_json.out")" '0 {"tenant_migrate": 1}'
	run status_applied "$T" status
	golden "$e/status_applied.txt" "$OUT/status_applied.out" squeeze
	run status_json "$T" status --json
	golden "$e/status_applied.json" "$OUT/status_json.out" norm
	run checkpoint "$T" checkpoint before_seed
	check_eq "$e: checkpoint NAME" "$RC $(cat "$OUT/checkpoint.out")" "0 checkpoint before_seed recorded"
	run checkpoint_dup "$T" checkpoint before_seed
	check_eq "$e: existing checkpoint: exit 4, SQLSTATE 42710" "$RC $(grep -c 'SQLSTATE:  42710' "$OUT/checkpoint_dup.err")" "4 1"
	run checkpoint_mode "$T" checkpoint other --mode bogus
	check_eq "$e: checkpoint --mode bogus refused with a hint (22023)" \
		"$RC $(grep -c '^HINT:  ' "$OUT/checkpoint_mode.err") $(grep -c 'SQLSTATE:  22023' "$OUT/checkpoint_mode.err")" "4 1 1"
	run checkpoints "$T" checkpoints
	golden "$e/checkpoints.txt" "$OUT/checkpoints.out" squeeze
	run rollback "$T" rollback before_seed
	check_eq "$e: rollback CHECKPOINT" "$RC $(cat "$OUT/rollback.out")" "0 0 migrations rolled back"
	run rollback_missing "$T" rollback
	check_eq "$e: rollback of the last batch (V3 has no down): refused with TN004" \
		"$RC $(grep -c 'SQLSTATE:  TN004' "$OUT/rollback_missing.err")" "4 1"
	run restore_marker "$T" restore before_seed
	if [ "$e" = sqlite ]; then want=22023; else want=0A000; fi
	check_eq "$e: restore of a marker checkpoint: refused ($want), exit 4" \
		"$RC $(grep -c "SQLSTATE:  $want" "$OUT/restore_marker.err")" "4 1"
	run repair_unknown "$T" repair 9
	golden "$e/repair_unknown.err" "$OUT/repair_unknown.err"
	check_eq "$e: repair of an unknown version: exit 4" "$RC" "4"
	run repair_unknown_json "$T" repair 9 --json
	golden "$e/repair_unknown.json" "$OUT/repair_unknown_json.out"
	run verify_clean "$T" verify
	check_eq "$e: verify with no problems: exit 0" "$RC" "0"
	run history "$T" history --json
	check_eq "$e: history --json lists the applies" "$(grep -c '"action": "apply"' "$OUT/history.out")" "3"
}

engine_suite sqlite
# drift: verify lists it and exits 1, repair fixes it
sqlite3 app.db "UPDATE tenancy_catalog SET up_sql = 'ALTER TABLE users ADD COLUMN email2 text;', checksum = 'sha256:0000' WHERE version = '2'"
run verify_drift "$T" verify
golden sqlite/verify_drift.txt "$OUT/verify_drift.out"
check_eq "sqlite: verify with drift: exit 1" "$RC" "1"
run repair "$T" repair 2
check_eq "sqlite: repair VERSION" "$RC $(cat "$OUT/repair.out")" "0 repaired version 2"
run baseline "$T" -d sqlite:other.db baseline 1
check_eq "sqlite: baseline of an empty catalog: refused (42704)" "$RC $(grep -c 'SQLSTATE:  42704' "$OUT/baseline.err")" "4 1"

# usage errors: exit 2
run u1 "$T" frobnicate
run u2 "$T" migrate --bogus
run u3 "$T" repair
run u4 "$T" migrate-all --concurrency many
run u5 "$T" status extra
run u6 "$T"
check_eq "usage: unknown command, unknown option, missing argument, bad integer, extra argument, nothing: exit 2" \
	"$RC $(for n in u1 u2 u3 u4 u5; do printf '%s ' "$(sed -n 1p "$OUT/$n.err")"; done)" \
	"2 tenancy: unknown command \"frobnicate\" tenancy migrate: unknown option \"--bogus\" tenancy repair: missing argument VERSION tenancy migrate-all: option --concurrency needs an integer tenancy status: unexpected argument \"extra\" "
check_eq "usage: every usage error exits 2" "$(for a in "frobnicate" "migrate --bogus" "repair" "migrate-all --concurrency x" "status extra"; do "$T" $a >/dev/null 2>&1; printf '%s' $?; done)" "22222"
printf 'not a database at all, just text that is long enough to be a header ....................................\n' >garbage.db
run notadb "$T" -d garbage.db status
check_eq "sqlite: a file that is not a database: exit 3 (08006)" "$RC $(grep -c 'SQLSTATE:  08006' "$OUT/notadb.err")" "3 1"

# help: every command has --help that names its SQL function and every option
helpok=0
for c in load migrate plan dry-run status history verify repair baseline checkpoint checkpoints rollback restore tenants \
	create register drop migrate-all migrate-all-atomic dry-run-all verify-all query-all runs new; do
	"$T" "$c" --help >"$OUT/help_$c.out" 2>&1 && grep -q "^usage: tenancy $c" "$OUT/help_$c.out" && helpok=$((helpok + 1))
done
check_eq "help: all 24 commands answer --help with exit 0" "$helpok" "24"
"$T" migrate-all --help >"$OUT/help.out"
check_eq "help: migrate-all shows every optional argument of tenant_migrate_all" \
	"$(grep -c -- '--concurrency N\|--max-failures N\|TARGET' "$OUT/help.out") $(grep -c 'SQL: SELECT \* FROM tenant_migrate_all(target, concurrency, max_failures)' "$OUT/help.out")" "4 1"
golden common/help.txt <("$T" --help)

# ---- SQLite registry and fan-out --------------------------------------------
export DATABASE_URL=sqlite:reg.db
printf 'CREATE TABLE notes (id integer PRIMARY KEY, body text);\n' >tm/1_notes.sql
printf 'ALTER TABLE notes ADD COLUMN at text;\n' >tm/2_at.sql
sqlite3 reg.db ".load $ROOT/sqlite_ext/tenancy" "SELECT tenant_migrations_load('tm', 'tenants');" >/dev/null
for t in acme beta gamma; do "$T" create "$t" >>"$OUT/create.out" 2>&1; done
check_eq "sqlite: create NAME x3" "$(cat "$OUT/create.out" | tr '\n' ' ')" "tenant acme created tenant beta created tenant gamma created "
run create_kind "$T" create delta --kind schema
check_eq "sqlite: create --kind schema refused (0A000) with detail and hint" \
	"$RC $(grep -c '^DETAIL:  \|^HINT:  \|SQLSTATE:  0A000' "$OUT/create_kind.err")" "4 3"
run create_loc "$T" create delta --location sub_delta.db
check_eq "sqlite: create --location" "$RC $([ -f sub_delta.db ] && echo yes)" "0 yes"
cp acme.db adopted.db
run register "$T" register epsilon adopted.db --kind file
check_eq "sqlite: register NAME LOCATION --kind file" "$RC $(cat "$OUT/register.out")" "0 tenant epsilon registered"
run drop "$T" drop epsilon --mode delete
check_eq "sqlite: drop --mode delete removes the file" "$RC $([ -f adopted.db ] || echo gone)" "0 gone"
run tenants "$T" tenants
golden sqlite/tenants.txt "$OUT/tenants.out"
printf 'CREATE INDEX notes_at ON notes (at);\n' >tm/3_notes_at.sql
sqlite3 reg.db ".load $ROOT/sqlite_ext/tenancy" "SELECT tenant_migrations_load('tm', 'tenants');" >/dev/null
run dryall "$T" dry-run-all --concurrency 1
golden sqlite/dry_run_all.txt "$OUT/dryall.out" squeeze
# gamma breaks: a table the migration wants to create already exists there
sqlite3 gamma.db "CREATE INDEX notes_at ON notes (body);"
run migall "$T" migrate-all --concurrency 1
golden sqlite/migrate_all.txt "$OUT/migall.out" squeeze
check_eq "sqlite: migrate-all with one failed tenant: exit 1" "$RC" "1"
golden sqlite/migrate_all.progress "$OUT/migall.err"
run migall_json "$T" migrate-all --json --concurrency 1
golden sqlite/migrate_all_rerun.json "$OUT/migall_json.out" norm
check_eq "sqlite: rerun still has the failed tenant: exit 1" "$RC" "1"
sqlite3 gamma.db "DROP INDEX notes_at;"
run migall_fixed "$T" migrate-all --concurrency 1 --max-failures 1
check_eq "sqlite: after the fix: exit 0, gamma applied" "$RC $(grep -c '^ gamma *| applied' "$OUT/migall_fixed.out")" "0 1"
run verifyall "$T" verify-all --concurrency 2
golden sqlite/verify_all.txt "$OUT/verifyall.out"
check_eq "sqlite: verify-all clean: exit 0" "$RC" "0"
run queryall "$T" query-all "SELECT count(*) AS n FROM tenancy_applied"
golden sqlite/query_all.txt "$OUT/queryall.out"
run queryall_json "$T" --json query-all "SELECT count(*) AS n FROM tenancy_applied" --concurrency 1
golden sqlite/query_all.json "$OUT/queryall_json.out"
run queryall_bad "$T" query-all "DELETE FROM notes"
check_eq "sqlite: query-all with a writing statement: refused, exit 4" "$RC" "4"
run runs "$T" runs
golden sqlite/runs.txt "$OUT/runs.out" squeeze
run atomic "$T" migrate-all-atomic --concurrency 2
check_eq "sqlite: migrate-all-atomic (nothing to do): exit 0" "$RC $(grep -c up_to_date "$OUT/atomic.out")" "0 4"

# several worker threads on the CLI's connection (serialized, as Python's): a recorded run must not
# wait for the caller's connection while the caller's statement holds it (it hung in make demo)
mkdir -p thr/goose && printf -- '-- +goose Up\nCREATE TABLE t (id int);\n' >thr/goose/00001_t.sql
(cd thr && "$T" -d thr.db load goose --tenants && for t in t1 t2 t3 t4; do "$T" -d thr.db create "$t"; done) >"$OUT/thr_setup.out" 2>&1
printf -- '-- +goose Up\nCREATE INDEX t_id ON t (id);\n' >thr/goose/00002_t_id.sql
(cd thr && "$T" -d thr.db load goose --tenants) >>"$OUT/thr_setup.out" 2>&1
cd thr; run migall_threads timeout 60 "$T" -d thr.db migrate-all --concurrency 4; cd ..
check_eq "sqlite: migrate-all --concurrency 4 finishes (no deadlock), every tenant applied" \
	"$RC $(grep -c '^ t[1-4] *| applied ' "$OUT/migall_threads.out")" "0 4"
# issue 9's foot-gun through the command: load without --tenants into a registry that has tenants
# prints the extension's WARNING on stderr (SQLite's error log), as psql does on PostgreSQL; --tenants does not
cd thr; run load_warn "$T" -d thr.db load goose; rcw=$RC; run load_nowarn "$T" -d thr.db load goose --tenants; cd ..
check_eq "sqlite: load without --tenants in a registry with tenants warns on stderr (exit 0)" \
	"$rcw $(grep -c '^WARNING:  tenant_migrations_load_files() without a scope' "$OUT/load_warn.err") $(grep -c '^HINT:  Pass' "$OUT/load_warn.err") $(grep -c WARNING "$OUT/load_warn.out" "$OUT/load_nowarn.err" | grep -c ':0$')" \
	"0 1 1 2"

# Ctrl-C: a slow migration over 12 tenants, one at a time; SIGINT after the first finishes
for i in $(seq 1 8); do "$T" create "slow$i" >/dev/null; done
printf 'CREATE TABLE slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500000) SELECT count(*) AS n FROM c;\n' >tm/4_slow.sql
sqlite3 reg.db ".load $ROOT/sqlite_ext/tenancy" "SELECT tenant_migrations_load('tm', 'tenants');" >/dev/null
"$T" migrate-all --concurrency 1 >"$OUT/cancel.out" 2>"$OUT/cancel.err" &
pid=$!
for _ in $(seq 1 200); do grep -q '^\[1/12\]' "$OUT/cancel.err" 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"; wait "$pid"; RC=$?
check_eq "sqlite: Ctrl-C during migrate-all: exit 130" "$RC" "130"
check_eq "sqlite: ... tenants not started are reported skipped, those finished stay recorded" \
	"$(grep -c 'not started: the run was cancelled' "$OUT/cancel.out") $(sqlite3 reg.db "SELECT status FROM tenancy_runs ORDER BY run_id DESC LIMIT 1") $(sqlite3 reg.db "SELECT count(*) >= 1 FROM tenancy_run_tenants WHERE run_id = (SELECT max(run_id) FROM tenancy_runs) AND status = 'applied'")" \
	"$(( 12 - $(grep -c '^ [a-z0-9]* *| applied' "$OUT/cancel.out") )) cancelled 1"
cd "$ROOT"

# ---- new: each folder style ---------------------------------------------------
W=$OUT/new; mkdir -p "$W"; cd "$W"
newnames() { (cd "$1" && ls | tr '\n' ' '); }
run new_empty "$T" new "add users" --dir empty
check_eq "new: empty folder: Flyway V1__add_users.sql" "$RC $(newnames empty)" "0 V1__add_users.sql "
mkdir fw && touch fw/V1__a.sql fw/U1__a.sql fw/V2__b.sql
run new_fw "$T" new add_orders --dir fw
check_eq "new: Flyway folder: next V number" "$RC $(cat "$OUT/new_fw.out")" "0 created fw/V3__add_orders.sql"
mkdir gm && touch gm/000001_init.up.sql gm/000001_init.down.sql gm/000002_more.up.sql gm/000002_more.down.sql
run new_gm "$T" new add_orders --dir gm
check_eq "new: golang-migrate -seq folder: 000003 up and down" "$RC $(newnames gm)" \
	"0 000001_init.down.sql 000001_init.up.sql 000002_more.down.sql 000002_more.up.sql 000003_add_orders.down.sql 000003_add_orders.up.sql "
mkdir gmt && touch gmt/20240101120000_init.up.sql gmt/20240101120000_init.down.sql
TENANCY_NOW=20250102030405 run new_gmt "$T" new add_orders --dir gmt --json
golden common/new_golang_timestamp.json "$OUT/new_gmt.out"
mkdir dbm && printf -- '-- migrate:up\ncreate table a (x int);\n\n-- migrate:down\ndrop table a;\n' >dbm/20240101120000_init.sql
TENANCY_NOW=20250102030405 run new_dbm "$T" new add_orders --dir dbm
check_eq "new: dbmate folder: UTC timestamp name" "$RC $(cat "$OUT/new_dbm.out")" "0 created dbm/20250102030405_add_orders.sql"
golden common/new_dbmate_body.sql dbm/20250102030405_add_orders.sql
TENANCY_NOW=20200101000000 run new_old "$T" new later --dir dbm
check_eq "new: a clock behind the newest version still gives a newer one" "$(cat "$OUT/new_old.out")" "created dbm/20250102030406_later.sql"
run new_fmt "$T" new first --dir fresh --format dbmate
check_eq "new: --format dbmate on a new folder: a timestamp" "$RC $(ls fresh | grep -cE '^[0-9]{14}_first\.sql$')" "0 1"
run new_badfmt "$T" new x --format liquibase
check_eq "new: unknown --format: exit 2" "$RC" "2"
# what new wrote is what the loader reads (after the user fills the bodies)
for f in fw/V3__add_orders.sql gm/000003_add_orders.up.sql; do echo "CREATE TABLE t_$RANDOM (x int);" >"$f"; done
for f in fw/V1__a.sql fw/V2__b.sql gm/000001_init.up.sql gm/000002_more.up.sql; do echo "CREATE TABLE t_$RANDOM (x int);" >"$f"; done
echo "DROP TABLE a;" >fw/U1__a.sql
check_eq "new: the Flyway and golang-migrate folders load (3 versions each)" \
	"$(sqlite3 fw.db ".load $ROOT/sqlite_ext/tenancy" "SELECT tenant_migrations_load('fw')") $(sqlite3 gm.db ".load $ROOT/sqlite_ext/tenancy" "SELECT tenant_migrations_load('gm')")" "3 3"
check_eq "new: the dbmate folder loads (3 versions)" \
	"$(sed -i 's/^$/select 1;/' dbm/20250102030405_add_orders.sql dbm/20250102030406_later.sql; sqlite3 dbm.db ".load $ROOT/sqlite_ext/tenancy" "SELECT tenant_migrations_load('dbm')")" "3"
cd "$ROOT"
unset DATABASE_URL

# ---- load_files rules on SQLite (JSON arrays) ----------------------------------
W=$OUT/files; mkdir -p "$W"; cd "$W"
lf() { sqlite3 f.db ".load $ROOT/sqlite_ext/tenancy" "$1" 2>&1 | head -1 | sed -E 's/^(Error: [a-z ]*, |Runtime error near line [0-9]+: )//'; }
check_eq "load_files: sqlite/ and pg/ subfolders: only this engine's and untagged files" \
	"$(lf "SELECT tenant_migrations_load_files(json_array('sqlite/1_a.sql', 'pg/1_a.sql', '2_b.sql', 'README.md'), json_array('CREATE TABLE a (x);', 'CREATE TABLE a (x int4);', 'CREATE TABLE b (x);', 'notes'))")" "2"
check_eq "load_files: a name with another folder is refused (TN005)" \
	"$(lf "SELECT tenant_migrations_load_files(json_array('other/3_c.sql'), json_array('SELECT 1;'))")" \
	'invalid migration file name "other/3_c.sql"'
check_eq "load_files: .. is refused" \
	"$(lf "SELECT tenant_migrations_load_files(json_array('sqlite/../3_c.sql'), json_array('SELECT 1;'))")" \
	'invalid migration file name "sqlite/../3_c.sql"'
check_eq "load_files: arrays of different lengths (22023)" \
	"$(lf "SELECT tenant_migrations_load_files(json_array('3_c.sql'), json_array())")" \
	'names and bodies have different lengths (1 and 0)'
check_eq "load_files: not a JSON array" \
	"$(lf "SELECT tenant_migrations_load_files('3_c.sql', '[]')")" \
	'argument "names" must be a JSON array of strings'
check_eq "load_files: a duplicate version names both files, as for a folder" \
	"$(lf "SELECT tenant_migrations_load_files(json_array('V3__c.sql', '3_c.up.sql'), json_array('SELECT 1;', 'SELECT 2;'))")" \
	'duplicate up migration version "3" in "3_c.up.sql" and "V3__c.sql"'
check_eq "load_files: a dbmate file is split into up and down" \
	"$(lf "SELECT tenant_migrations_load_files(json_array('20240101000000_d.sql'), json_array('-- migrate:up
CREATE TABLE d (x);
-- migrate:down
DROP TABLE d;'))") $(sqlite3 f.db "SELECT down_sql FROM tenancy_catalog WHERE version = '20240101000000'")" "1 DROP TABLE d;"
cd "$ROOT"

# ---- PostgreSQL -------------------------------------------------------------
. tests/lib/pg_cluster.sh
if make -C pg_ext >"$OUT/pg_build.log" 2>&1 && make -C pg_ext install >>"$OUT/pg_build.log" 2>&1; then
	:
else
	tail -20 "$OUT/pg_build.log"; bad "pg: build and install pg_ext"; finish
fi
pg_cluster_start "${TN_CLI_PORT:-55470}" >"$OUT/pg_start.log" 2>&1 || { cat "$OUT/pg_start.log"; bad "pg: start a cluster"; finish; }
PGURL="host=$PGC_SOCK port=$PGC_PORT"
pg_psql -c "CREATE DATABASE app" -c "CREATE DATABASE ctl" -c "CREATE ROLE deployer LOGIN" >/dev/null
pg_psql -d app -c "CREATE EXTENSION tenancy" \
	-c "GRANT USAGE ON SCHEMA tenancy TO deployer" \
	-c "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tenancy TO deployer" \
	-c "GRANT USAGE ON ALL SEQUENCES IN SCHEMA tenancy TO deployer" \
	-c "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO deployer" \
	-c "GRANT CREATE ON SCHEMA public TO deployer" >/dev/null
check_eq "pg: deployer is no superuser and cannot read server files" \
	"$(pg_psql -At -d app -c "SELECT rolsuper, pg_has_role('deployer', 'pg_read_server_files', 'USAGE') FROM pg_roles WHERE rolname = 'deployer'")" "f|f"
W=$OUT/pg; mkdir -p "$W"; cp -r "$OUT/sqlite/migrations" "$OUT/sqlite/tm" "$W/"; rm -f "$W/tm/4_slow.sql"; cd "$W"
export DATABASE_URL="postgresql:///app?host=$PGC_SOCK&port=$PGC_PORT&user=deployer"
run pg_server_load "$T" load migrations
check_eq "pg: load DIR as deployer (no pg_read_server_files): 3 migrations" "$RC $(cat "$OUT/pg_server_load.out")" "0 3 migrations added or changed"
check_eq "pg: ... while tenant_migrations_load(path) is refused to deployer (42501)" \
	"$(pg_psql -d app -U deployer -v VERBOSITY=sqlstate -c "SELECT tenant_migrations_load('$W/migrations')" 2>&1 | sed -n 's/^ERROR: *//p')" "42501"
run pg_load_again "$T" load migrations --json
check_eq "pg: load again: nothing changed" "$RC $(cat "$OUT/pg_load_again.out")" '0 {"tenant_migrations_load_files": 0}'
pg_psql -c "CREATE DATABASE sq" >/dev/null && pg_psql -d sq -c "CREATE EXTENSION tenancy" >/dev/null
run pg_load_sqitch_top "$T" -d "postgresql:///sq?host=$PGC_SOCK&port=$PGC_PORT&user=postgres" load "$ROOT/tests/fixtures/sqitch_top_dir"
check_eq "pg: load a Sqitch project whose sqitch.conf says top_dir = db" "$RC $(cat "$OUT/pg_load_sqitch_top.out")" "0 2 migrations added or changed"
run pg_migrate_sqitch_top "$T" -d "postgresql:///sq?host=$PGC_SOCK&port=$PGC_PORT&user=postgres" migrate
check_eq "pg: the top_dir Sqitch project migrates" "$RC $(cat "$OUT/pg_migrate_sqitch_top.out")" "0 2 migrations applied"
engine_suite pg
differ=""
for g in status_pending.txt plan.txt plan_2.json dry_run.json status_applied.txt status_applied.json repair_unknown.err repair_unknown.json; do
	cmp -s "$OUT/sqlite/$g.got" "$OUT/pg/$g.got" || differ="$differ $g"
done
check_eq "pg and sqlite print the same plan, status, dry run and errors" "$differ" ""
run pg_nodb "$T" -d "postgresql:///nosuchdb?host=$PGC_SOCK&port=$PGC_PORT" status
check_eq "pg: a database that does not exist: exit 3" "$RC" "3"
run pg_noext "$T" -d "postgresql:///postgres?host=$PGC_SOCK&port=$PGC_PORT&user=postgres" status
check_eq "pg: no extension in the database: exit 4, 42883 with a hint" \
	"$RC $(grep -c 'SQLSTATE:  42883' "$OUT/pg_noext.err") $(grep -c 'CREATE EXTENSION tenancy' "$OUT/pg_noext.err")" "4 1 1"

# registry and fan-out on PostgreSQL (as the superuser: tenant_create makes databases)
export DATABASE_URL="postgresql:///ctl?host=$PGC_SOCK&port=$PGC_PORT&user=postgres"
pg_psql -d ctl -c "CREATE EXTENSION tenancy" >/dev/null
mkdir -p tm1 && cp tm/1_notes.sql tm/2_at.sql tm1/
run pg_load_tenants "$T" load tm1 --tenants
check_eq "pg: load DIR --tenants fills the tenant set" "$RC $(cat "$OUT/pg_load_tenants.out") $(pg_psql -At -d ctl -c "SELECT count(*) FROM tenancy.set_catalog")" "0 2 migrations added or changed 2"
for t in acme beta gamma; do "$T" create "$t" >>"$OUT/pg_create.out" 2>&1; done
check_eq "pg: create NAME x3" "$(cat "$OUT/pg_create.out" | tr '\n' ' ')" "tenant acme created tenant beta created tenant gamma created "
run pg_tenants "$T" tenants
golden pg/tenants.txt "$OUT/pg_tenants.out"
run pg_load_more "$T" load tm --tenants
pg_psql -d gamma -c "CREATE INDEX notes_at ON notes (body)" >/dev/null
run pg_migall "$T" migrate-all --concurrency 1
golden pg/migrate_all.txt "$OUT/pg_migall.out" squeeze
check_eq "pg: migrate-all with one failed tenant: exit 1" "$RC" "1"
golden pg/migrate_all.progress "$OUT/pg_migall.err"
pg_psql -d gamma -c "DROP INDEX notes_at" >/dev/null
run pg_migall2 "$T" migrate-all --json --max-failures 1
check_eq "pg: after the fix: exit 0, gamma applied" "$RC $(grep -c '"tenant": "gamma", "status": "applied"' "$OUT/pg_migall2.out")" "0 1"
run pg_verifyall "$T" verify-all
check_eq "pg: verify-all clean: exit 0, 3 ok" "$RC $(grep -c '| ok ' "$OUT/pg_verifyall.out")" "0 3"
run pg_queryall "$T" query-all "SELECT count(*) AS n FROM tenancy.applied" --json --concurrency 1
golden pg/query_all.json "$OUT/pg_queryall.out"
run pg_runs "$T" runs
golden pg/runs.txt "$OUT/pg_runs.out" squeeze
run pg_drop "$T" drop beta --mode delete
check_eq "pg: drop --mode delete drops the database" "$RC $(pg_psql -At -c "SELECT count(*) FROM pg_database WHERE datname = 'beta'")" "0 0"

# Ctrl-C on PostgreSQL: a cancel request; finished tenants stay recorded
for t in s1 s2 s3 s4; do "$T" create "$t" >/dev/null 2>&1; done
printf 'SELECT pg_sleep(0.7);\nCREATE TABLE slow (x int);\n' >tm/4_slow.sql
"$T" load tm --tenants >/dev/null 2>&1
"$T" migrate-all --concurrency 1 >"$OUT/pg_cancel.out" 2>"$OUT/pg_cancel.err" &
pid=$!
for _ in $(seq 1 300); do grep -q '^\[1/' "$OUT/pg_cancel.err" 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"; wait "$pid"; RC=$?
check_eq "pg: Ctrl-C during migrate-all: exit 130, the server reports 57014" "$RC $(grep -c 'SQLSTATE:  57014' "$OUT/pg_cancel.err")" "130 1"
check_eq "pg: ... the tenant that finished stays at the new version" \
	"$(pg_psql -At -d ctl -c "SELECT count(*) >= 1 AND count(*) < 6 FROM tenancy.tenants WHERE version = '4'")" "t"
cd "$ROOT"
unset DATABASE_URL
pg_cluster_stop

finish
