#!/usr/bin/env bash
# 15_faults.sh -- fault injection for the core's engine (tests/faults/test_faults.c):
# every adapter call and every allocation fails in turn; each operation must
# return an error value and leave the database as it was; and a body failing at
# each position of a batch must leave nothing of the batch. Runs under ASan/UBSan.
# TN_FAULTS_ONLY=batch runs only the mid-batch failures (quick, for mutant runs).
set -u
cd "$(dirname "$0")/../.."
OUT=tests/out/faults
mkdir -p "$OUT"
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
if ! ${CC:-cc} -std=c99 -Wall -Wextra -g -O1 $SAN -DSQLITE_CORE -Ishared -Isqlite_ext \
    -o "$OUT/test_faults.$$" tests/faults/test_faults.c shared/*.c sqlite_ext/sqlite_adapter.c sqlite_ext/sqlite_sqlstate.c \
    -lsqlite3 -lcrypto -lpthread -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup \
    2>"$OUT/build.$$.log"; then
  cat "$OUT/build.$$.log"; echo "0 passed, 1 failed"; exit 1
fi
mv -f "$OUT/test_faults.$$" "$OUT/test_faults"
# a private scratch folder: two runs at once must not share database files
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
bin=$scratch/test_faults
cp "$OUT/test_faults" "$bin"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$bin" "$scratch"
