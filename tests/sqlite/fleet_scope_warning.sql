-- fleet_scope_warning.sql -- issue 9 on SQLite: tenant_migration_add and
-- tenant_migrations_load with the default scope in a registry that has tenants
-- warn as PostgreSQL does (the core's text), through SQLite's warning channel,
-- sqlite3_log(SQLITE_WARNING) (the shell prints it after ".log stdout"); no
-- warning without tenants, with 'tenants' or with an explicit 'database'.
.bail off
.headers on
.echo on
.shell mkdir -p reg mig
.shell printf 'CREATE TABLE sys_a (id int);\n' > mig/V5__sys_a.sql
.open reg/registry.db
.load ./tenancy
.log stdout
-- a plain database (no registry yet): no warning
SELECT tenant_migration_add('1', 'local', 'CREATE TABLE local1 (id int);');
.log off
SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;', 'tenants');
.log stdout
-- a registry without tenants: no warning
SELECT tenant_migration_add('2', 'local', 'CREATE TABLE local2 (id int);');
.log off
SELECT tenant_create('t1');
.log stdout
-- a registry with a tenant: the default scope warns, and still does what it says
SELECT tenant_migration_add('3', 'local', 'CREATE TABLE local3 (id int);');
SELECT tenant_migrations_load('mig');
-- an explicit scope does not warn
SELECT tenant_migration_add('4', 'local', 'CREATE TABLE local4 (id int);', NULL, 'database');
SELECT tenant_migrations_load('mig', 'database');
.log off
SELECT tenant_migration_add('2', 'notes', 'CREATE TABLE notes (id int);', 'DROP TABLE notes;', 'tenants');
-- a bad scope is an error, not a warning
SELECT tenant_migration_add('6', 'local', 'CREATE TABLE local6 (id int);', NULL, 'everything');
SELECT version FROM tenant_status() ORDER BY version;
