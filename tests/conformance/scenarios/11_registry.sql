-- the registry: tenant set, tenant_create, tenant_register, tenant_drop, tenants()
--@pg SET client_min_messages = warning;
SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id integer PRIMARY KEY, email text);', 'DROP TABLE users;', 'tenants');
SELECT tenant_migration_add('2', 'seed', 'INSERT INTO users VALUES (1, ''admin@example.com'');', 'DELETE FROM users;', 'tenants');
SELECT count(*) AS own_catalog FROM tenant_status();
SELECT tenant_create('conf_acme');
SELECT tenant_create('conf_globex');
SELECT name, state, version, pending, last_error FROM tenants() ORDER BY name;
SELECT tenant_create('conf_acme');
SELECT tenant_create('Bad Name');
SELECT tenant_create('select');
SELECT tenant_create('tenancy_x');
-- adopt an existing database / file, then see it behind the set
--@pg CREATE DATABASE conf_initech;
--@sqlite ATTACH 'conf_initech.db' AS adopt; CREATE TABLE adopt.legacy (a integer); DETACH adopt;
--@pg SELECT tenant_register('conf_initech', 'dbname=conf_initech') IS NOT NULL AS registered;
--@sqlite SELECT tenant_register('conf_initech', 'conf_initech.db') IS NOT NULL AS registered;
SELECT name, state, version, pending FROM tenants() ORDER BY name;
SELECT tenant_drop('conf_nobody');
SELECT tenant_drop('conf_initech', 'keep') IS NOT NULL AS dropped;
SELECT name FROM tenants() ORDER BY name;
SELECT tenant_drop('conf_globex', 'delete') IS NOT NULL AS dropped;
SELECT tenant_drop('conf_acme', 'delete') IS NOT NULL AS dropped;
SELECT count(*) AS tenants_left FROM tenants();
--@pg DROP DATABASE conf_initech;
