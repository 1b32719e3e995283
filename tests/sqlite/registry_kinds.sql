-- registry_kinds.sql -- tenant_create(name [, location [, kind]]) and
-- tenant_register(name, location [, kind]): on SQLite the location is a
-- file path and the kind is 'file' (NULL means 'file'); any other kind is
-- refused, naming the kinds.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta', NULL);
SELECT tenant_create('gamma', 'g.db', 'file');
SELECT tenant_create('delta', NULL, NULL);
SELECT tenant_create('eps', 'e.db', NULL);
-- PostgreSQL's kinds and unknown ones: refused, nothing created
SELECT tenant_create('zeta', 'z.db', 'database');
SELECT tenant_create('zeta', NULL, 'schema');
SELECT tenant_create('zeta', NULL, 'FILE');
SELECT tenant_create('zeta', NULL, '');
.shell ls reg | grep -c '^z' || true
-- register an existing file
.shell cp reg/g.db reg/outside_made.db
SELECT tenant_register('theta', 'outside_made.db');
.shell cp reg/g.db reg/outside2.db
SELECT tenant_register('iota', 'outside2.db', 'file');
SELECT tenant_register('kappa', 'outside2.db', 'database');
SELECT tenant_register('kappa', 'outside2.db', 'schema');
SELECT tenant_register('kappa', NULL, 'file');
SELECT tenant_register('kappa');
SELECT tenant_create();
SELECT tenant_create('a', 'b', 'c', 'd');
SELECT name, kind, location, state, version FROM tenants();
SELECT action, tenant, detail FROM tenancy_audit ORDER BY id;
