#!/usr/bin/env bash
# 13_exports.sh -- what the two shared libraries export (nm -D --defined-only).
# The SQLite extension must export exactly sqlite3_tenancy_init; the PostgreSQL
# module exactly Pg_magic_func (and _PG_init if there is one) plus each
# PG_FUNCTION_INFO_V1 entry point and its pg_finfo_ record.  A core symbol
# (tn_*) or a glue helper leaking out fails here.  Builds both libraries
# (no install).  Ends with "N passed, N failed".
# Must not: install anything or start a server.
set -u
cd "$(dirname "$0")/../.."
OUT=tests/out/exports
mkdir -p "$OUT"
. tests/lib/suite_count.sh
exports() { nm -D --defined-only "$1" | awk '{ print $3 }' | sort; }

if ! make -s sqlite >"$OUT/sqlite_build.log" 2>&1; then cat "$OUT/sqlite_build.log"; bad "build sqlite_ext/tenancy.so"; finish; fi
got=$(exports sqlite_ext/tenancy.so | tr '\n' ' ')
if [ "$got" = "sqlite3_tenancy_init " ]; then
	ok "SQLite extension exports only sqlite3_tenancy_init"
else
	bad "SQLite extension exports only sqlite3_tenancy_init"; echo "     exports: $got"
fi

if ! make -C pg_ext >"$OUT/pg_build.log" 2>&1; then tail -30 "$OUT/pg_build.log"; bad "build pg_ext/tenancy.so"; finish; fi
# what may leave the module: the magic block, _PG_init, each V1 entry point and its info record
sed -n 's/^PG_FUNCTION_INFO_V1(\([A-Za-z0-9_]*\)).*/\1\npg_finfo_\1/p' pg_ext/*.c | sort -u >"$OUT/entry_points.txt"
{ cat "$OUT/entry_points.txt"; echo Pg_magic_func; echo _PG_init; } | sort -u >"$OUT/allowed.txt"
exports pg_ext/tenancy.so >"$OUT/pg_exports.txt"
extra=$(comm -23 "$OUT/pg_exports.txt" "$OUT/allowed.txt" | tr '\n' ' ')
if [ -z "$extra" ]; then
	ok "PostgreSQL module exports no symbol beyond its entry points ($(wc -l <"$OUT/pg_exports.txt") symbols)"
else
	bad "PostgreSQL module exports no symbol beyond its entry points"; echo "     also exported: $extra"
fi
missing=$(comm -13 "$OUT/pg_exports.txt" <({ cat "$OUT/entry_points.txt"; echo Pg_magic_func; } | sort -u) | tr '\n' ' ')
if [ -z "$missing" ] && [ -s "$OUT/entry_points.txt" ]; then
	ok "PostgreSQL module exports Pg_magic_func and all $(( $(wc -l <"$OUT/entry_points.txt") / 2 )) entry points"
else
	bad "PostgreSQL module exports Pg_magic_func and every entry point"; echo "     missing: $missing"
fi
finish
