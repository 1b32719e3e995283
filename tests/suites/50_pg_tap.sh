#!/usr/bin/env bash
# 50_pg_tap.sh -- the PostgreSQL TAP tests (pg_ext/t/*.pl, PostgreSQL::Test::Cluster),
# run the PGXS way: make -C pg_ext install, then make -C pg_ext prove_installcheck,
# one test file at a time.  Each TAP assertion counts once ("ok N" passed, "not ok N"
# failed); a test file that exits non-zero without a failed assertion (it died, bailed
# out, or missed its plan) counts as one more failure.  Building and installing the
# extension is set-up, not a check.  Ends with "N passed, N failed".
#
# PostgreSQL refuses to run as root, and Cluster.pm writes its clusters into
# pg_ext/tmp_check: as root the tests run as the postgres OS user in a private copy of
# the checkout (nothing of the clone itself needs to be writable by postgres).
# As root it also mounts an 8 MB tmpfs for 009_scale's disk-full case (TN_SMALL_DISK).
# Env: TN_TAP_TESTS="001_fanout 002_schema" runs only those files.
# Must not: start a server of its own (the TAP tests start theirs).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/tests/out/pg_tap
rm -rf "$OUT"; mkdir -p "$OUT"
. tests/lib/suite_count.sh

if ! { make -C pg_ext && make -C pg_ext install; } >"$OUT/build.log" 2>&1; then
	tail -30 "$OUT/build.log"; bad "build and install pg_ext (set-up)"; finish
fi

if [ "$(id -u)" -eq 0 ]; then
	WORK=$(mktemp -d /tmp/tenancy_tap.XXXXXX)
	# a small disk for 009_scale's real disk-full case (TN_SMALL_DISK; skipped without it)
	SMALL=$WORK.small
	mkdir -p "$SMALL"
	if mount -t tmpfs -o size=8m,mode=0700 tmpfs "$SMALL" 2>/dev/null; then
		chown postgres: "$SMALL"
		export TN_SMALL_DISK=$SMALL
	fi
	trap 'umount "$SMALL" 2>/dev/null; rmdir "$SMALL" 2>/dev/null; rm -rf "$WORK"' EXIT
	tar -C "$ROOT" --exclude=./.git --exclude=./tests/out --exclude=./build \
		--exclude='*.o' --exclude='*.so' --exclude=./pg_ext/tmp_check -cf - . | tar -C "$WORK" -xf -
	chown -R postgres: "$WORK"
	chmod 755 "$WORK"
	as_tester() { runuser -u postgres -- "$@"; }
else
	WORK=$ROOT
	as_tester() { "$@"; }
fi

tests=${TN_TAP_TESTS:-$(cd pg_ext/t && ls *.pl | sed 's/\.pl$//')}
for t in $tests; do
	log=$OUT/$t.log
	as_tester make -C "$WORK/pg_ext" prove_installcheck PROVE_TESTS="t/$t.pl" PROVE_FLAGS=--verbose >"$log" 2>&1
	rc=$?
	# the TAP lines, failures with their diagnostics, and prove's verdict
	grep -E '^(not )?ok [0-9]+|^#|^t/|^Result|^Files=|Failed|Dubious|Bail' "$log"
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $t: exited $rc without a failed assertion (died or bailed out; see $log)"
		[ -d "$WORK/pg_ext/tmp_check/log" ] && tail -20 "$WORK/pg_ext/tmp_check/log/regress_log_$t" 2>/dev/null
		f=1
	fi
	# keep the server logs for a failed file
	[ "$f" -gt 0 ] && cp -r "$WORK/pg_ext/tmp_check/log" "$OUT/$t.server_logs" 2>/dev/null
	echo "     $t: $p passed, $f failed"
	pass=$((pass + p)); fail=$((fail + f))
done
finish
