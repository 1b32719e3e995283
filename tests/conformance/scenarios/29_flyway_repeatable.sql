-- Flyway repeatables (R__): applied after the versioned ones, by description, again whenever their checksum
-- changes (not drift, not repaired); the same through the tenant set and a fan-out
--@pg SET client_min_messages = warning;
SELECT tenant_migrations_load('@FIXTURES@/flyway_repeatable');
SELECT version, name, state FROM tenant_status();
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT count(*) AS people FROM PEOPLE;
SELECT tenant_migration_add('R__People_view', 'People_view', 'drop view if exists PEOPLE; create view PEOPLE as select NAME from PERSON where NAME like ''M%'';');
SELECT version, state FROM tenant_status();
SELECT tenant_migrate();
SELECT count(*) AS people FROM PEOPLE;
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT tenant_migrations_load('@FIXTURES@/flyway_repeatable', 'tenants');
SELECT tenant_create('conf_rp');
SELECT tenant, "row" FROM tenant_query_all('SELECT count(*) AS n FROM PEOPLE') ORDER BY tenant;
SELECT name, pending, state FROM tenants() ORDER BY name;
SELECT tenant_migration_add('R__People_view', 'People_view', 'drop view if exists PEOPLE; create view PEOPLE as select NAME from PERSON where NAME like ''M%'';', NULL, 'tenants');
SELECT name, pending, state FROM tenants() ORDER BY name;
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all() ORDER BY tenant;
SELECT name, pending, state FROM tenants() ORDER BY name;
SELECT tenant, "row" FROM tenant_query_all('SELECT count(*) AS n FROM PEOPLE') ORDER BY tenant;
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all() ORDER BY tenant;
SELECT tenant_drop('conf_rp', 'delete') IS NOT NULL;
