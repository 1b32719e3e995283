-- fleet_rollback_all.sql -- issue 9, recipe (b): a set version that failed in
-- one tenant is reverted across the fleet with tenant_rollback_all (downs in
-- every tenant back to before it), then taken out of the set with
-- tenant_migration_remove(version, 'tenants'), refused while any tenant still
-- has it applied.  Subsets: a canary first, then the rest; unknown names refused.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migration_add('1', 'notes', 'CREATE TABLE notes (id integer PRIMARY KEY, body text);', 'DROP TABLE notes;', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
SELECT tenant_create('canary');
.shell sqlite3 reg/beta.db "INSERT INTO notes (body) VALUES ('x');"
SELECT tenant_migration_add('2', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT NULL FROM notes;', 'DROP TABLE plans;', 'tenants');
-- a wave: the canary alone first, in the order given
SELECT tenant, status, from_version, to_version FROM tenant_migrate_all(NULL, NULL, NULL, 'canary');
SELECT name, version, state, last_checked IS NOT NULL AS checked FROM tenants() ORDER BY name;
-- then the rest: beta fails (a row without a plan), alpha applies
SELECT tenant, status, from_version, to_version, sqlstate FROM tenant_migrate_all(NULL, 1, NULL, 'beta,alpha');
-- a subset must name registered tenants, each once
SELECT tenant FROM tenant_migrate_all(NULL, NULL, NULL, 'alpha,nobody');
SELECT tenant FROM tenant_migrate_all(NULL, NULL, NULL, 'alpha, alpha');
SELECT tenant FROM tenant_migrate_all(NULL, NULL, NULL, 'alpha,,beta');
-- removing the broken version while tenants have it applied is refused, naming them
SELECT tenant_migration_remove('2', 'tenants');
-- revert: every tenant back to before version 2 (beta never had it: unchanged)
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_rollback_all('2') ORDER BY tenant;
SELECT name, version, pending, state FROM tenants() ORDER BY name;
SELECT target, status, tenants, failed FROM tenant_runs() ORDER BY run_id DESC LIMIT 1;
.shell sqlite3 reg/alpha.db "SELECT count(*) AS plans_tables FROM sqlite_master WHERE name = 'plans'; SELECT action, version, detail FROM tenancy_history WHERE action = 'rollback';"
-- a second revert has nothing to undo
SELECT tenant, status, applied FROM tenant_rollback_all('2', 2) ORDER BY tenant;
-- now the version can leave the set; the template forgets it too
SELECT tenant_migration_remove('2', 'tenants');
.shell sqlite3 reg/registry.db.template "SELECT version FROM tenancy_catalog ORDER BY version; SELECT version FROM tenancy_applied ORDER BY version;"
SELECT name, version, pending, state FROM tenants() ORDER BY name;
-- the next run finds nothing to do: the tenants' catalogs forget it as well
SELECT tenant, status, applied FROM tenant_migrate_all() ORDER BY tenant;
.shell sqlite3 reg/alpha.db "SELECT version FROM tenancy_catalog ORDER BY version; SELECT action, version FROM tenancy_history WHERE action = 'remove';"
-- a fixed version 2 can be added again and reaches everyone
SELECT tenant_migration_add('2', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT ''free'' FROM notes;', 'DROP TABLE plans;', 'tenants');
SELECT tenant, status, to_version FROM tenant_migrate_all() ORDER BY tenant;
-- errors: unknown version, a version written like one the set lacks, NULL, bad list, unknown version to remove
SELECT tenant FROM tenant_rollback_all('7');
SELECT tenant FROM tenant_rollback_all(NULL);
SELECT tenant FROM tenant_rollback_all('2', NULL, 'ghost');
SELECT tenant FROM tenant_rollback_all('2', 0);
SELECT tenant_migration_remove('7', 'tenants');
SELECT tenant_migration_remove(NULL, 'tenants');
-- a missing down refuses the tenant before any change; the others go on
SELECT tenant_migration_add('3', 'no_down', 'CREATE TABLE t3 (a);', NULL, 'tenants');
SELECT tenant, status FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status, to_version, sqlstate, error FROM tenant_rollback_all('3', NULL, 'alpha');
-- a checkpoint name: each tenant back to its own checkpoint; a tenant without it fails
.shell sqlite3 reg/alpha.db ".load ./tenancy" "SELECT tenant_checkpoint('before_four');"
SELECT tenant_migration_add('4', 'four', 'CREATE TABLE t4 (a);', 'DROP TABLE t4;', 'tenants');
SELECT tenant, status FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status, from_version, to_version, applied, sqlstate FROM tenant_rollback_all('before_four') ORDER BY tenant;
-- the database's own catalog: a pending version can go, an applied one cannot
SELECT tenant_migration_add('50', 'own', 'CREATE TABLE own50 (a);');
SELECT tenant_migration_remove('50');
SELECT tenant_migration_add('51', 'own', 'CREATE TABLE own51 (a);');
SELECT tenant_migrate();
SELECT tenant_migration_remove('51');
