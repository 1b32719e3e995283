-- fleet_fix_forward.sql -- issue 9, recipe (a): a set version fails in one
-- tenant (a NOT NULL column filled from a row only beta has); correct its body
-- in the set and rerun: alpha, which applied the old body, keeps it and is
-- recorded as repaired (old -> new checksum in its history, tenant_verify_all
-- ok), beta gets the new body, the template follows.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migration_add('1', 'notes', 'CREATE TABLE notes (id integer PRIMARY KEY, body text);', NULL, 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
.shell sqlite3 reg/beta.db "INSERT INTO notes (body) VALUES ('x');"
SELECT tenant_migration_add('2', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT NULL FROM notes;', NULL, 'tenants');
SELECT tenant, status, from_version, to_version, sqlstate FROM tenant_migrate_all() ORDER BY tenant;
-- the fix: the same version, a corrected body, accepted into the set (not drift)
SELECT tenant_migration_add('2', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT ''free'' FROM notes;', NULL, 'tenants');
SELECT tenant, status, from_version, to_version, sqlstate FROM tenant_migrate_all() ORDER BY tenant;
SELECT name, version, state FROM tenants() ORDER BY name;
.shell sqlite3 reg/alpha.db "SELECT action, version, substr(detail, 1, 13) || '...' AS detail FROM tenancy_history WHERE action = 'repair';"
.shell sqlite3 reg/beta.db "SELECT plan FROM plans; SELECT count(*) AS repairs FROM tenancy_history WHERE action = 'repair';"
.shell sqlite3 reg/registry.db.template "SELECT count(*) AS template_repairs FROM tenancy_history WHERE action = 'repair';"
SELECT tenant, status, problems FROM tenant_verify_all() ORDER BY tenant;
-- the registry's own catalog still refuses to edit an applied migration
SELECT tenant_migration_add('9', 'own', 'CREATE TABLE own9 (a);');
SELECT tenant_migrate();
SELECT tenant_migration_add('9', 'own', 'CREATE TABLE own9 (b);');
