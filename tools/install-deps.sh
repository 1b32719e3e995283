#!/usr/bin/env bash
# install-deps.sh -- make sure the Debian 12 packages tenancy builds and tests with are present.
# As root it installs what is missing (and only that); otherwise it names what to install and
# fails.  Quiet, and no package manager call, when everything is there.  Called by make demo,
# make test, make bench, make fuzz and .ci/run; never by make, make install or the PGXS targets.
set -euo pipefail
need=(gcc make libsqlite3-dev sqlite3 libssl-dev libpq-dev postgresql-15 postgresql-server-dev-15
      postgresql-client-15 libipc-run-perl clang libclang-rt-14-dev clang-format valgrind python3 procps
      python3-alembic python3-psycopg2)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
