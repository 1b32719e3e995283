#!/usr/bin/env bash
# 20_sqlite.sh -- the SQLite extension through the sqlite3 shell: every
# tests/sqlite/*.sql runs in a fresh temp folder (fixtures copied to ./fx,
# the extension linked as ./tenancy.so so scripts say ".load ./tenancy"),
# its output is normalized (timestamps, generated names, temp paths, line
# numbers) and diffed against tests/sqlite/expected/NAME.out.  Then the
# Python check (tests/sqlite/python_load.py).  Ends with "N passed, N failed".
#
# UPDATE_EXPECTED=1 rewrites the expected files (not counted as passes): review them by eye.
# Env: TN_SQLITE_ONLY=name[,name] runs only those scripts.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
EXT=$ROOT/sqlite_ext/tenancy.so
. tests/lib/suite_count.sh

if ! make -s sqlite >/dev/null 2>"$ROOT/tests/out.sqlite_build.log"; then
  mkdir -p tests/out; mv -f "$ROOT/tests/out.sqlite_build.log" tests/out/sqlite_build.log
  cat tests/out/sqlite_build.log; bad "build sqlite_ext/tenancy.so"; finish
fi
rm -f "$ROOT/tests/out.sqlite_build.log"
# a private copy: another build may rewrite sqlite_ext/tenancy.so while the scripts run
EXTDIR=$(mktemp -d); trap 'rm -rf "$EXTDIR"' EXIT
cp "$EXT" "$EXTDIR/tenancy.so"; EXT=$EXTDIR/tenancy.so
command -v sqlite3 >/dev/null || { bad "sqlite3 shell not installed"; finish; }

# Make a run comparable: temp folder, clock values, generated names, line numbers.
normalize() { # tmpdir
  sed -E \
    -e "s#$1#<tmp>#g" \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(\+00(:00)?|Z)?/<ts>/g' \
    -e 's/[0-9]{8}T[0-9]{6}(\.[0-9]+)?Z/<stamp>/g' \
    -e 's/^(Runtime|Parse) error near line [0-9]+:/\1 error:/' \
    -e 's/^Error: near line [0-9]+:/Error:/'
}

run_script() { # path to .sql -> normalized output on stdout
  local sql=$1 tmp
  tmp=$(cd "$(mktemp -d)" && pwd -P)
  cp -r "$ROOT/tests/fixtures" "$tmp/fx"
  ln -s "$EXT" "$tmp/tenancy.so"
  ( cd "$tmp" && TN_ROOT=$ROOT stdbuf -oL sqlite3 -batch test.db <"$sql" 2>&1 ) | normalize "$tmp"
  chmod -R u+rwx "$tmp" 2>/dev/null
  rm -rf "$tmp"
}

for sql in tests/sqlite/*.sql; do
  name=$(basename "$sql" .sql)
  if [ -n "${TN_SQLITE_ONLY:-}" ] && ! grep -qw "$name" <<<"${TN_SQLITE_ONLY//,/ }"; then continue; fi
  exp=tests/sqlite/expected/$name.out
  actual=$(mktemp)
  run_script "$ROOT/$sql" >"$actual"
  if [ "${UPDATE_EXPECTED:-0}" = 1 ]; then
    # a rewrite is not a check: it cannot fail, so it is reported but not counted
    cp "$actual" "$exp"; echo "rewritten $exp (review it; not counted)"
  elif [ ! -f "$exp" ]; then
    bad "$name (no $exp)"
  elif diff -u "$exp" "$actual" >"$actual.diff"; then
    ok "$name"
  else
    bad "$name"; cat "$actual.diff"
  fi
  rm -f "$actual" "$actual.diff"
done

# The extension works from Python's stdlib sqlite3 module too.
if [ -z "${TN_SQLITE_ONLY:-}" ] || grep -qw python <<<"${TN_SQLITE_ONLY//,/ }"; then
  # a pyenv python may be built without extension loading: take the first that has it
  py=
  for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null &&
       "$cand" -c 'import sqlite3, sys; sys.exit(not hasattr(sqlite3.Connection, "enable_load_extension"))' 2>/dev/null; then
      py=$cand; break
    fi
  done
  if [ -z "$py" ]; then
    bad "python_load (no python3 with sqlite3 extension loading)"
  else
    tmp=$(mktemp -d)
    if out=$(cd "$tmp" && "$py" "$ROOT/tests/sqlite/python_load.py" "${EXT%.so}" 2>&1); then
      ok "python_load ($py)"
    else
      bad "python_load ($py)"; echo "$out"
    fi
    rm -rf "$tmp"
  fi
fi

finish
