#!/usr/bin/env bash
# 35_conformance.sh -- one set of scenarios, both engines, identical results
# (tests/conformance/run.sh). Installs the PG extension, starts a throwaway
# cluster on a private port. Ends with "N passed, N failed".
#
# Env: TN_CONFORMANCE_PORT (default 55480): two runs on one machine need two ports.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/pg_cluster.sh
. tests/lib/suite_count.sh

PORT=${TN_CONFORMANCE_PORT:-55480}
mkdir -p tests/out	# a fresh checkout has none (the install log goes there)
# set-up: a failure is one failed check, a success is not counted
make -s sqlite >/dev/null || { bad "build sqlite_ext/tenancy.so (set-up)"; finish; }
if ! make -s -C pg_ext install >tests/out/conformance_install.log 2>&1; then
  cat tests/out/conformance_install.log; bad "build and install pg_ext (set-up)"; finish
fi
pg_cluster_start "$PORT" || { bad "start a cluster on port $PORT (set-up)"; finish; }
echo "     cluster on port $PORT"
PSQL="$PG_BIN/psql -h $PGC_SOCK -p $PGC_PORT -U postgres" tests/conformance/run.sh
