#!/usr/bin/env bash
# run.sh -- the conformance suite: every scenario in scenarios/ runs once through
# psql (CREATE EXTENSION tenancy in a fresh database) and once through sqlite3
# (.load the extension into a fresh file); each output, with only the printing
# differences normalized, must equal the scenario's reviewed expected file
# (expected/NAME.out): two checks per scenario, one per engine, so a core bug
# that gives the same wrong answer on both engines fails. Then the two
# engines' function lists (name, arity range, result columns) must be
# identical too. Scenarios in pending/ (engines known to differ, see
# pending/README.md) are not run.
#
# UPDATE_EXPECTED=1 writes expected/NAME.out from the PostgreSQL output when
# both engines agree (not counted; review the diff by eye).
# Needs a running cluster (PGHOST/PGPORT set, see tests/lib/pg_cluster.sh) with
# the extension installed. Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${CONFORMANCE_OUT:-$top/tests/out/conformance}
rm -rf "$out"; mkdir -p "$out"
# the server reads migration folders itself: give it a copy it can read
share=$(mktemp -d /tmp/tenancy_conf.XXXXXX); chmod 755 "$share"
cp -r "$top/tests/fixtures" "$share/fixtures"; cp -r "$here/folder" "$share/folder"
chmod -R a+rX "$share"
trap 'rm -rf "$share"' EXIT
PSQL=${PSQL:-psql}
. "$top/tests/lib/suite_count.sh"

# A line "--@pg <sql>" runs only on PostgreSQL, "--@sqlite <sql>" only on SQLite
# (setup that has no common spelling, e.g. making a file or a database to
# register); such lines must print nothing, so the outputs stay comparable.
expand() { # engine file
  local table_prefix other
  # @LIST(a,b)@: a list of tenant names, text[] on PostgreSQL, 'a,b' on SQLite
  local list_rule
  if [ "$1" = pg ]; then table_prefix='tenancy.'; other=sqlite; list_rule="s#@LIST(\([^)]*\))@#string_to_array('\1', ',')#g"
  else table_prefix='tenancy_'; other=pg; list_rule="s#@LIST(\([^)]*\))@#'\1'#g"; fi
  sed -e "s#^--@$1 ##" -e "/^--@$other /d" \
      -e "s#@TABLE(\([a-z_]*\))@#${table_prefix}\1#g" \
      -e "s#@FIXTURES@#$share/fixtures#g" -e "s#@CONFORMANCE@#$share#g" \
      -e "$list_rule" "$2"
}

# Only printing differs: error prefixes, psql's boolean letters, the engine's own
# wording of an error a tenant's own SQL raised (inside a failed statement's
# detail, and the "error" of a tenant_query_all error row whose SQLSTATE is of
# a class the statement raises: 2x, 4x, 0A, P0; the SQLSTATE itself is kept
# and compared, as are the core's own messages: 08006, TNxxx), generated
# timestamps, and the spaces jsonb prints in a tenant_query_all row
# ({"a": 1, "b": 2} vs {"a":1,"b":2}).
normalize() {
  sed -E \
    -e 's/^psql:[^:]*:[0-9]+: //' \
    -e 's/^(Runtime error|Parse error|Error)( near line [0-9]+)?: /ERROR:  /' \
    -e 's/^ERROR:  +/ERROR:  /' \
    -e 's/^(t|f)$/\1_bool/' -e 's/\|t(\||$)/|1\1/g; s/\|f(\||$)/|0\1/g' -e 's/\|t(\||$)/|1\1/g; s/\|f(\||$)/|0\1/g' \
    -e 's/^t\|/1|/; s/^f\|/0|/' \
    -e '/^[a-z_0-9]+\|\{/{s/": /":/g; s/, "/,"/g}' \
    -e 's/^t_bool$/1/; s/^f_bool$/0/' \
    -e 's/(failed( with SQLSTATE [0-9A-Z]{5})?): .*(\. The batch)/\1: <engine error>\3/' \
    -e 's/(failed( with SQLSTATE [0-9A-Z]{5})?): .*(\. The rollback)/\1: <engine error>\3/' \
    -e 's/^([a-z_0-9]+\|\{"error":)"([^"\\]|\\.)*"(,"sqlstate":"(2[0-9A-Z]|4[0-9A-Z]|0A|P0)[0-9A-Z]{3}"\}$)/\1"<engine error>"\3/' \
    -e 's/[0-9]{8}T[0-9]{6}\.[0-9]{6}Z/<timestamp>/g' \
    -e "s#$share#<share>#g"
}

run_pg() { # scenario -> file
  local db="conf_$$_$RANDOM"
  $PSQL -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null
  {
    $PSQL -X -q -A -t -F'|' -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION tenancy;" >/dev/null
    expand pg "$1" | $PSQL -X -q -A -t -F'|' -d "$db" -v ON_ERROR_STOP=0 -f - 2>&1
  } | normalize >"$2"
  $PSQL -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
}

run_sqlite() {
  local dir; dir=$(mktemp -d)
  { echo ".load $top/sqlite_ext/tenancy"; expand sqlite "$1"; } |
    (cd "$dir" && sqlite3 -batch -list -separator '|' t.db 2>&1) | normalize >"$2"
  rm -rf "$dir"
}

for scenario in "$here"/scenarios/*.sql; do
  name=$(basename "$scenario" .sql)
  if [ -n "${TN_CONFORMANCE_ONLY:-}" ] && ! grep -qw "$name" <<<"${TN_CONFORMANCE_ONLY//,/ }"; then continue; fi
  exp=$here/expected/$name.out
  run_pg "$scenario" "$out/$name.pg.out"
  run_sqlite "$scenario" "$out/$name.sqlite.out"
  if [ "${UPDATE_EXPECTED:-0}" = 1 ]; then
    if diff -u "$out/$name.pg.out" "$out/$name.sqlite.out" >"$out/$name.diff"; then
      cp "$out/$name.pg.out" "$exp"; echo "rewritten $exp (review it; not counted)"
    else
      bad "$name: engines differ, expected file not written (- postgres, + sqlite)"; cat "$out/$name.diff"
    fi
    continue
  fi
  for engine in pg sqlite; do
    if [ ! -f "$exp" ]; then
      bad "$name $engine (no expected/$name.out)"
    elif diff -u "$exp" "$out/$name.$engine.out" >"$out/$name.$engine.diff"; then
      ok "$name $engine"
    else
      bad "$name $engine: differs from expected/$name.out (- expected, + $engine)"
      cat "$out/$name.$engine.diff"
    fi
  done
done

# Pending scenarios (engines known to differ): shown on request, never counted.
if [ "${TN_CONFORMANCE_PENDING:-0}" = 1 ]; then
  for scenario in "$here"/pending/*.sql; do
    name=$(basename "$scenario" .sql)
    run_pg "$scenario" "$out/$name.pg.out"
    run_sqlite "$scenario" "$out/$name.sqlite.out"
    echo "pending $name (- postgres, + sqlite; not counted):"
    diff -u "$out/$name.pg.out" "$out/$name.sqlite.out" && echo "  (no difference any more: move it to scenarios/)"
  done
fi

# The interface: name, arity range, result columns, on both engines.
$PSQL -X -q -A -t -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS conf_iface" -c "CREATE DATABASE conf_iface" >/dev/null
# Scalar functions: name(min..max) over all overloads.  Table functions:
# name(..max) -> columns (SQLite cannot say which hidden arguments are required).
# Only what is installed for callers counts: helpers in schema "tenancy" are internal.
$PSQL -X -q -A -t -F'|' -d conf_iface -c "SET client_min_messages = warning" -c "CREATE EXTENSION tenancy" -c "
  WITH f AS (
    SELECT p.proname, p.pronargs - p.pronargdefaults AS lo, p.pronargs AS hi,
           (SELECT string_agg(n, ',' ORDER BY o)
              FROM unnest(p.proargnames, p.proargmodes) WITH ORDINALITY AS a(n, m, o)
             WHERE m = 't') AS cols
    FROM pg_proc p
    JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tenancy'
    WHERE p.pronamespace <> 'tenancy'::regnamespace
      -- schema tenants on Citus exist on PostgreSQL only (SQLite has no Citus)
      AND p.proname NOT IN ('tenant_distribute', 'tenant_move', 'tenant_placements')
      AND NOT (p.proname = 'tenant_create' AND p.pronargs = 4))
  SELECT CASE WHEN max(cols) IS NULL
              THEN proname || '(' || min(lo) || '..' || max(hi) || ')'
              ELSE proname || '(..' || max(hi) || ') -> ' || max(cols) END
  FROM f GROUP BY proname ORDER BY 1" >"$out/interface.pg.out" 2>&1
$PSQL -X -q -d postgres -c "DROP DATABASE conf_iface" >/dev/null
# the SQLite fallback's functions (tenant_fallback_*, tenant_backup, tenant_backups) work on SQLite
# only; PostgreSQL has them with the same arguments and columns, and refuses (0A000)
(cd "$(mktemp -d)" && sqlite3 -batch -list -separator '|' ":memory:" ".load $top/sqlite_ext/tenancy" "
  WITH f AS (SELECT name, min(narg) AS lo, max(narg) AS hi FROM pragma_function_list
             WHERE name LIKE 'tenant%'
             GROUP BY name),
  m AS (SELECT p.name, (SELECT count(*) FROM pragma_table_xinfo(p.name) WHERE hidden = 1) AS args,
               (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_xinfo(p.name)
                                                    WHERE hidden = 0 ORDER BY cid)) AS cols
        FROM pragma_module_list p WHERE p.name LIKE 'tenant%')
  SELECT name || '(' || lo || '..' || hi || ')' FROM f
  UNION ALL
  SELECT name || '(..' || args || ') -> ' || cols FROM m
  ORDER BY 1" >"$out/interface.sqlite.out" 2>&1)
if diff -u "$out/interface.pg.out" "$out/interface.sqlite.out" >"$out/interface.diff"; then
  ok "interface"
else
  bad "interface: functions differ (- postgres, + sqlite)"; cat "$out/interface.diff"
fi
finish
