-- issue 9: one named tenant read from the registry: tenant_status(tenant),
-- tenant_history(tenant), tenant_checkpoints(tenant) and tenant_verify(tenant) read
-- the tenant's own tracking tables (not the registry's cache); an unknown name is
-- refused (42704); without a tenant they read this database, as before
--@pg SET client_min_messages = warning;
--@pg \set SHOW_CONTEXT never
SELECT tenant_migration_add('1', 'notes', 'CREATE TABLE notes (id integer PRIMARY KEY);', 'DROP TABLE notes;', 'tenants');
SELECT tenant_create('conf_oa');
SELECT tenant_create('conf_ob');
SELECT tenant_migration_add('2', 'tags', 'CREATE TABLE tags (tag text);', 'DROP TABLE tags;', 'tenants');
SELECT tenant, status FROM tenant_migrate_all(NULL, NULL, NULL, @LIST(conf_oa)@);
SELECT version, name, state, checksum IS NOT NULL AS has_checksum, applied_at IS NOT NULL AS has_time FROM tenant_status('conf_oa') ORDER BY version;
SELECT version, name, state FROM tenant_status('conf_ob') ORDER BY version;
SELECT action, version FROM tenant_history('conf_oa') WHERE action <> 'checkpoint' ORDER BY id;
SELECT count(*) AS checkpoints, min(kind) AS kind FROM tenant_checkpoints('conf_oa');
SELECT count(*) AS problems FROM tenant_verify('conf_oa');
-- a rollback inside the tenant is seen at once (the registry's cache still says up to date)
SELECT tenant, status FROM tenant_rollback_all('2', NULL, @LIST(conf_oa)@);
SELECT version, state FROM tenant_status('conf_oa') ORDER BY version;
SELECT action, version FROM tenant_history('conf_oa') WHERE action = 'rollback' ORDER BY id;
-- this database's own tables, as before (NULL too)
SELECT count(*) FROM tenant_status();
SELECT count(*) FROM tenant_status(NULL);
SELECT count(*) FROM tenant_history(NULL) WHERE action = 'add';
-- errors: an unknown name
SELECT * FROM tenant_status('conf_zz');
SELECT * FROM tenant_history('conf_zz');
SELECT * FROM tenant_checkpoints('conf_zz');
SELECT * FROM tenant_verify('conf_zz');
SELECT tenant_drop('conf_oa', 'delete') IS NOT NULL, tenant_drop('conf_ob', 'delete') IS NOT NULL;
