#!/usr/bin/env bash
# build-citus.sh -- build Citus from the vendored sources beside the checkout
# (../shared/vendor/citus-13.0.5.tar.gz) and install it into pg_config's tree,
# once: nothing happens when Citus 13.0 is already installed there.  Used by
# .ci/run before `make test` so tests/suites/80_citus.sh and bench/citus.sh run.
#
#   tools/build-citus.sh            build and install (as root), or say why not
#
# Exit 0: installed (now or before); 2: impossible here (no sources, not root),
# with one line saying why; 1: the build or the install failed.
# Env: CITUS_TARBALL (default ../shared/vendor/citus-13.0.5.tar.gz relative to
#      the checkout), CITUS_BUILD_DIR (default a fresh temp dir, removed after).
# Must not: touch the checkout, or build twice (about 4 minutes on 2 cores).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARBALL=${CITUS_TARBALL:-$ROOT/../shared/vendor/citus-13.0.5.tar.gz}
PG_CONFIG=${PG_CONFIG:-pg_config}
LIBDIR=$($PG_CONFIG --pkglibdir)
SHAREDIR=$($PG_CONFIG --sharedir)

if [ -f "$LIBDIR/citus.so" ] && grep -q "^default_version = '13\.0" "$SHAREDIR/extension/citus.control" 2>/dev/null; then
	echo "citus: already installed ($LIBDIR/citus.so)"
	exit 0
fi
if [ ! -f "$TARBALL" ]; then
	echo "citus: no sources at $TARBALL"
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "citus: not installed, and installing it needs root (run tools/build-citus.sh as root)"
	exit 2
fi

# the libraries Citus links (the rest comes with postgresql-server-dev-15)
need=(libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "citus: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || exit 1
fi

dir=${CITUS_BUILD_DIR:-$(mktemp -d /tmp/tenancy-citus.XXXXXX)}
mkdir -p "$dir"
log=$dir/build.log
echo "citus: building in $dir (log: $log)"
start=$(date +%s)
# the archive has no top folder
tar -xzf "$TARBALL" -C "$dir" &&
	(cd "$dir" && ./configure PG_CONFIG="$PG_CONFIG" && make -j"$(nproc)") >"$log" 2>&1 ||
	{ tail -20 "$log"; echo "citus: build failed"; exit 1; }
# the PostgreSQL tree is shared with other test runs on this machine: install under their lock
(cd "$dir" && flock /tmp/tenancy_pg.lock make install) >>"$log" 2>&1 ||
	{ tail -20 "$log"; echo "citus: install failed"; exit 1; }
echo "citus: installed in $(($(date +%s) - start)) s"
[ -n "${CITUS_BUILD_DIR:-}" ] || rm -rf "$dir"
exit 0
