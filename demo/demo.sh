#!/usr/bin/env bash
# demo.sh -- tenancy on the embedded SQLite default, end to end:
# a registry with three tenants, a migration folder, fan-out, a migration that
# fails on one tenant (rolled back there, applied elsewhere), the fix-forward of its
# body (repaired where the old body ran, the new body where it failed), the rerun
# with the tenancy command, tenant_status, a rollback inside one tenant that the
# next fan-out sees, and the revert of the migration across the fleet
# (tenant_rollback_all, canary first) before it leaves the set
# (tenant_migration_remove).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ext="$here/../sqlite_ext/tenancy"
tenancy="$here/../cli/tenancy"
work=$(mktemp -d /tmp/tenancy-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$here/migrations" "$here/broken" "$work/"
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
sql() {
  # one sqlite3 session per step, on the registry database
  sqlite3 -bail -header -column registry.db ".load $ext" "$@"
}

step "1. Load the tenant migration set (3 migrations) into a new registry"
sql "SELECT tenant_migrations_load('migrations', 'tenants') AS loaded;"

step "2. Create three tenants (each a copy of the template, already at the newest version)"
sql "SELECT tenant_create('acme') AS created;" \
    "SELECT tenant_create('globex') AS created;" \
    "SELECT tenant_create('initech') AS created;" \
    "SELECT name, location, state, version, pending FROM tenants();"
echo "default data came with the copy:"
sqlite3 -header -column acme.db "SELECT * FROM roles;"

step "3. initech has two users with the same email (the next migration will fail there)"
sqlite3 initech.db "INSERT INTO accounts VALUES (1, 'Initech');
  INSERT INTO users (account_id, email) VALUES (1, 'peter@initech.test'), (1, 'peter@initech.test');"

step "4. Add migration 4 (unique emails) to the set and fan it out"
sql "SELECT tenant_migrations_load('broken', 'tenants') AS loaded;" \
    "SELECT tenant, status, from_version, to_version, applied, sqlstate FROM tenant_migrate_all();"
echo "initech was rolled back to its checkpoint; its error:"
sqlite3 registry.db ".load $ext" "SELECT last_error FROM tenants() WHERE name = 'initech';"
sql "SELECT name, state, version, pending FROM tenants();"

step "5. Fix forward: correct migration 4's body (same version) and rerun"
echo "acme and globex applied the old body: they keep it and are recorded as repaired; initech gets the new one"
sql "SELECT tenant_migration_add('4', 'unique_emails',
       'DELETE FROM users WHERE id NOT IN (SELECT min(id) FROM users GROUP BY email);
        CREATE UNIQUE INDEX users_email ON users (email);',
       'DROP INDEX users_email;', 'tenants') AS fixed;"
echo "\$ tenancy -d registry.db migrate-all      # = SELECT * FROM tenant_migrate_all()"
"$tenancy" -d registry.db migrate-all
echo "\$ tenancy -d registry.db runs             # = SELECT * FROM tenant_runs()"
"$tenancy" -d registry.db runs
sqlite3 -header -column acme.db "SELECT action, version, substr(detail, 1, 30) || '...' AS detail FROM tenancy_history WHERE action = 'repair';"
sql "SELECT tenant, status, problems FROM tenant_verify_all() ORDER BY tenant;"

step "6. tenant_status() inside one tenant"
sqlite3 -header -column initech.db ".load $ext" \
  "SELECT version, name, state, batch, substr(checksum, 1, 20) || '...' AS checksum FROM tenant_status();"

step "7. Roll globex back inside the tenant: the next fan-out asks every tenant, so the registry is not fooled"
sqlite3 -header -column globex.db ".load $ext" \
  "SELECT name, batch, version, kind FROM tenant_checkpoints();" \
  "SELECT tenant_rollback() AS rolled_back;" \
  "SELECT version, state FROM tenant_status();"
echo "the registry's cache still says 4 for globex (last_checked: when a fan-out last asked):"
sql "SELECT name, state, version, last_checked FROM tenants();"
sql "SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all();"

step "8. Revert migration 4 across the fleet (tenant_rollback_all), canary first, then take it out of the set"
echo "removing it while tenants have it applied is refused:"
sql "SELECT tenant_migration_remove('4', 'tenants');" || true
sql "SELECT tenant, status, from_version, to_version, applied FROM tenant_rollback_all('4', NULL, 'acme');" \
    "SELECT tenant, status, from_version, to_version, applied FROM tenant_rollback_all('4');" \
    "SELECT run_id, target, status, tenants, applied, failed FROM tenant_runs();"
sql "SELECT tenant_migration_remove('4', 'tenants') AS removed;" \
    "SELECT name, state, version, pending FROM tenants();" \
    "SELECT tenant, status, to_version FROM tenant_migrate_all();"
sqlite3 -header -column initech.db "SELECT count(*) AS unique_email_index FROM sqlite_master WHERE name = 'users_email';"

step "9. The registry's audit trail"
sql "SELECT action, tenant, detail FROM tenancy_audit ORDER BY id;"
echo
echo "demo finished: registry and tenants were in $work (removed on exit)"
