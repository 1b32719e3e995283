#!/usr/bin/env bash
# 10_core.sh -- the core's own tests, no database: unit tests under ASan/UBSan,
# then a replay of the fuzz corpora through the fuzz harnesses (built without
# libFuzzer, -DREPLAY). Ends with "N passed, N failed" (sum of all parts);
# exits non-zero if anything failed or did not build.
set -u
cd "$(dirname "$0")/../.."

CC=${CC:-cc}
OUT=tests/out
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# no -Werror here: core-check and the .so build enforce it; a warning in a
# file under way elsewhere must not hide these results
CFLAGS="-std=c99 -Wall -Wextra -g -O1 -Ishared $SAN"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$OUT"

pass=0; fail=0
# add the counts of the last "N passed, N failed" line in $1; a missing line
# or a non-zero exit with no failure counted is one failure
tally() {
  local log=$1 rc=$2 line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "FAIL - $3 printed no count (exit $rc)"; fail=$((fail + 1)); return
  fi
  p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
  pass=$((pass + p)); fail=$((fail + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL - $3 exited $rc"; fail=$((fail + 1))
  fi
}

build() { # name, sources...
  local name=$1; shift
  if ! $CC $CFLAGS -o "$OUT/$name" "$@" shared/*.c -lcrypto -lpthread 2>"$OUT/$name.build.log"; then
    cat "$OUT/$name.build.log"; echo "FAIL - build $name"; fail=$((fail + 1)); return 1
  fi
}

if build test_core tests/core/test_core.c tests/core/test_core_*.c; then
  log=$OUT/test_core.log
  "$OUT/test_core" tests/fixtures "$OUT/core_scratch" >"$log" 2>&1; rc=$?
  grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$log"
  tally "$log" "$rc" test_core
fi

# the Citus decisions (shared/tn_citus.c)
if build test_citus tests/core/test_citus.c; then
  log=$OUT/test_citus.log
  "$OUT/test_citus" >"$log" 2>&1; rc=$?
  grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$log"
  tally "$log" "$rc" test_citus
fi

# TN_CORE_QUICK=1: unit tests only (mutant runs); the corpus replay is skipped
[ "${TN_CORE_QUICK:-0}" = 1 ] && { echo "${pass} passed, ${fail} failed"; [ "$fail" -eq 0 ]; exit $?; }
for target in fuzz_filename fuzz_body fuzz_annotations fuzz_projects; do
  if build "${target}_replay" -DREPLAY -Itests/fuzz "tests/fuzz/$target.c"; then
    log=$OUT/${target}_replay.log
    "$OUT/${target}_replay" "tests/fuzz/corpus/$target" >"$log" 2>&1; rc=$?
    grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$log"
    tally "$log" "$rc" "${target}_replay"
  fi
done

echo "${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ]
