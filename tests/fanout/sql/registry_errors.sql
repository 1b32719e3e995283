-- registry_errors.sql -- every error path of the registry's entry points,
-- pg_regress style (psql -a output diffed with tests/fanout/expected/).
-- Runs in the control database of pg_ext/t/001_fanout.pl (tenant a1 exists).
\set VERBOSITY default
-- bad names
SELECT tenant_create('Bad Name');
SELECT tenant_create('x"; DROP TABLE y; --');
SELECT tenant_create('tenancy_x');
SELECT tenant_create('select');
SELECT tenant_create(repeat('a', 64));
SELECT tenant_create(NULL);
SELECT tenant_register('Bad', 'dbname=x');
-- bad kinds
SELECT tenant_create('k1', NULL, 'file');
SELECT tenant_register('k2', 'dbname=k2', 'table');
SELECT tenant_register('k3', NULL, 'schema');
-- passwords in locations (never echoed)
SELECT tenant_create('p1', 'host=/tmp password=Sup3rS3cretPw');
SELECT tenant_register('p2', 'postgresql://u:Sup3rS3cretPw@localhost/db');
SELECT tenant_register('p3', 'host=/nonexistent_tenancy port=1 dbname=p3');
SELECT tenant_register('p4', 'not a conninfo');
SELECT tenant_register('p5', NULL);
-- not found / already there
SELECT tenant_create('a1');
SELECT tenant_drop('nobody');
SELECT tenant_drop('a1', 'shred');
SELECT * FROM tenant_migrate_all('999');
SELECT * FROM tenant_migrate_all_atomic('999');
SELECT * FROM tenant_migrate_all(NULL, 0);
SELECT * FROM tenant_verify_all(300);
SELECT tenant_migration_add('12', 'x', 'SELECT 1', NULL, 'everyone');
-- permissions: a role without grants
CREATE ROLE tn_regress_plain;
SET ROLE tn_regress_plain;
SELECT tenant_create('perm1');
SELECT tenant_register('perm2', 'dbname=perm2');
SELECT tenant_drop('a1');
SELECT * FROM tenants();
SELECT * FROM tenant_verify_all();
SELECT * FROM tenant_migrate_all_atomic();
SELECT * FROM tenancy.tenants;
RESET ROLE;
DROP ROLE tn_regress_plain;
SELECT count(*) AS registered_by_this_file FROM tenancy.tenants WHERE name ~ '^(k|p|perm)[0-9]';
