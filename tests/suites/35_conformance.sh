#!/usr/bin/env bash
# 35_conformance.sh -- one set of scenarios, both engines, identical results
# (tests/conformance/run.sh). Installs the PG extension, starts a throwaway
# cluster on a private port. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/lib/pg_cluster.sh
mkdir -p tests/out	# a fresh checkout has none (the install log goes there)
make -s sqlite >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
if ! make -s -C pg_ext install >tests/out/conformance_install.log 2>&1; then
  cat tests/out/conformance_install.log; echo "0 passed, 1 failed"; exit 1
fi
pg_cluster_start 55480 || { echo "0 passed, 1 failed"; exit 1; }
PSQL="$PG_BIN/psql -h $PGC_SOCK -p $PGC_PORT -U postgres" tests/conformance/run.sh
