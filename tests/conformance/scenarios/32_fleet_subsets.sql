-- issue 9: subsets for tenant_dry_run_all, tenant_verify_all and tenant_query_all (the
-- tenants argument as tenant_migrate_all's: in the order given, each a registered tenant,
-- none twice, else nothing runs), and max_failures for tenant_rollback_all (nothing new
-- starts after that many failed tenants; the rest are 'skipped')
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'notes', 'CREATE TABLE notes (id integer PRIMARY KEY);', 'DROP TABLE notes;', 'tenants');
SELECT tenant_create('conf_sa');
SELECT tenant_create('conf_sb');
SELECT tenant_create('conf_sc');
SELECT tenant_migration_add('2', 'tags', 'CREATE TABLE tags (tag text);', 'DROP TABLE tags;', 'tenants');
-- a dry run of two tenants, in the order given; nothing changes
SELECT tenant, status, from_version, to_version, applied FROM tenant_dry_run_all(NULL, 1, @LIST(conf_sc,conf_sa)@);
SELECT tenant, status, from_version, to_version, applied FROM tenant_dry_run_all('2', 1, @LIST(conf_sb)@);
-- verify of one tenant refreshes only its cached state
SELECT tenant, status, version, pending, problems FROM tenant_verify_all(NULL, @LIST(conf_sb)@);
SELECT name, state, version, pending, last_checked IS NOT NULL AS checked FROM tenants() ORDER BY name;
-- a query over two tenants (rows come as tenants finish)
SELECT tenant, "row" FROM tenant_query_all('SELECT count(*) AS n FROM notes', NULL, @LIST(conf_sb,conf_sa)@) ORDER BY tenant;
SELECT count(*) FROM tenant_query_all('SELECT 1 AS one', 2, @LIST(conf_sc)@);
-- refused for the whole call: an unknown name, a name twice
SELECT tenant FROM tenant_dry_run_all(NULL, NULL, @LIST(conf_sa,conf_zz)@);
SELECT tenant FROM tenant_verify_all(NULL, @LIST(conf_sa,conf_sa)@);
SELECT tenant FROM tenant_query_all('SELECT 1 AS one', NULL, @LIST(conf_zz)@);
SELECT name, state FROM tenants() ORDER BY name;
-- max_failures for tenant_rollback_all: version 3 has no down, so each tenant fails (TN004)
SELECT tenant_migration_add('3', 'no_down', 'CREATE TABLE t3 (a integer);', NULL, 'tenants');
SELECT tenant, status FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant, status, from_version, to_version, applied, sqlstate FROM tenant_rollback_all('3', 1, @LIST(conf_sb,conf_sa,conf_sc)@, 1);
SELECT target, status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id DESC LIMIT 1;
SELECT tenant, status, sqlstate FROM tenant_rollback_all('3', 1, NULL, 2);
SELECT tenant, status, sqlstate FROM tenant_rollback_all('3', 1, NULL, 0) ORDER BY tenant;
SELECT tenant FROM tenant_rollback_all('3', 1, NULL, -1);
-- the verify of every tenant still works without a list
SELECT tenant, status, version, pending FROM tenant_verify_all() ORDER BY tenant;
SELECT tenant_drop('conf_sa', 'delete') IS NOT NULL, tenant_drop('conf_sb', 'delete') IS NOT NULL, tenant_drop('conf_sc', 'delete') IS NOT NULL;
