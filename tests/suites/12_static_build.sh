#!/usr/bin/env bash
# 12_static_build.sh -- the SQLite extension compiled with -DSQLITE_CORE into a
# program (static use, no .load) must build warning-free and work.
# TN_TEST_CFLAGS (set by `make test`: -DTN_ASSERT_CHECKING) turns the core's assertions on.
set -u
cd "$(dirname "$0")/../.."
mkdir -p tests/out
if ! ${CC:-cc} -std=c99 -Wall -Wextra -Werror -O1 ${TN_TEST_CFLAGS:-} -DSQLITE_CORE -Ishared -Isqlite_ext -I"$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)" \
    -o tests/out/static_main tests/static/static_main.c sqlite_ext/*.c shared/*.c \
    -lsqlite3 -lpq -lcrypto -lpthread 2>tests/out/static_build.log; then
  cat tests/out/static_build.log; echo "0 passed, 1 failed"; exit 1
fi
tests/out/static_main
