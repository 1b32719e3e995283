-- status_verify_drift_repair.sql -- drift made by editing the catalog directly
-- stops migrate; verify lists it; repair accepts it; re-adding a changed body
-- of an applied version is refused as drift; missing rows are reported.
.bail off
.headers on
.echo on
.load ./tenancy
SELECT * FROM tenant_verify();
SELECT tenant_migrations_load('fx/sqlite_shop');
SELECT tenant_migrate('3');
SELECT version, name, state, checksum IS NOT NULL AS has_checksum, batch FROM tenant_status();
SELECT * FROM tenant_verify();
-- the only way to edit an applied body through the API is refused
SELECT tenant_migration_add('2', 'add_price', 'ALTER TABLE items ADD COLUMN price REAL;');
SELECT up_sql FROM tenancy_catalog WHERE version = '2';
-- make drift by hand
-- (the checksum of the new body is taken from a scratch catalog row)
SELECT tenant_migration_add('999', 'scratch', 'ALTER TABLE items ADD COLUMN price REAL;');
UPDATE tenancy_catalog SET up_sql = 'ALTER TABLE items ADD COLUMN price REAL;', checksum = (SELECT checksum FROM tenancy_catalog WHERE version = '999') WHERE version = '2';
DELETE FROM tenancy_catalog WHERE version = '999';
SELECT version, state FROM tenant_status();
SELECT version, name, state FROM tenant_verify();
SELECT count(*) AS detail_names_both FROM tenant_verify() WHERE detail LIKE '%sha256:caf36be4%' AND detail LIKE '%sha256:ad47a8ed%';
-- drift stops everything, nothing applied
SELECT tenant_migrate();
SELECT * FROM tenant_plan();
SELECT version, state FROM tenant_status();
SELECT count(*) AS idx FROM sqlite_master WHERE name = 'items_name';
-- repair: errors first
SELECT tenant_repair(NULL);
SELECT tenant_repair('');
SELECT tenant_repair('99');
SELECT tenant_repair('10');
SELECT tenant_repair('2');
SELECT version, state FROM tenant_status();
SELECT * FROM tenant_verify();
SELECT a.checksum = c.checksum AS accepted FROM tenancy_applied a JOIN tenancy_catalog c USING (version) WHERE version = '2';
SELECT action, version FROM tenancy_history WHERE action = 'repair';
SELECT tenant_migrate();
-- an applied version whose catalog row is gone
DELETE FROM tenancy_catalog WHERE version = '3';
SELECT version, state FROM tenant_status();
SELECT version, state FROM tenant_verify();
SELECT tenant_migrate();
