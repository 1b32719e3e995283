-- registry.sql -- tenant_create / tenant_register / tenant_drop / tenants():
-- names, paths, symlinks, non-database files, the tenant set (scope 'tenants').
.bail off
.headers on
.echo on
.shell mkdir -p reg/sub outside
.open reg/registry.db
.load ./tenancy
-- the tenant set lives in the template, never applied to the registry itself
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
.shell test -f reg/registry.db.template && echo template exists
SELECT count(*) AS own_catalog FROM tenancy_catalog;
SELECT count(*) AS notes_in_registry FROM sqlite_master WHERE name = 'notes';
SELECT tenant_create('alpha');
SELECT tenant_create('beta', 'sub/beta.sqlite');
SELECT name, kind, location, state, version, pending, last_error FROM tenants();
.shell test -f reg/alpha.db && test -f reg/sub/beta.sqlite && echo tenant files exist
.shell sqlite3 reg/alpha.db "SELECT body FROM notes; SELECT group_concat(version) FROM tenancy_applied;"
-- names: NULL, empty, quotes, semicolons, injection, reserved words, too long, case, digits first
SELECT tenant_create(NULL);
SELECT tenant_create('');
SELECT tenant_create('x"; DROP TABLE y; --');
SELECT tenant_create('o''brien');
SELECT tenant_create('a;b');
SELECT tenant_create('select');
SELECT tenant_create('table');
SELECT tenant_create('Alpha');
SELECT tenant_create('1abc');
SELECT tenant_create('_abc');
SELECT tenant_create('tenancy_x');
SELECT tenant_create('a-b');
SELECT tenant_create('a b');
SELECT tenant_create(printf('a%.63c', 'b'));
SELECT tenant_create(printf('a%.62c', 'b')) = printf('a%.62c', 'b') AS created_63_chars;
SELECT tenant_drop(printf('a%.62c', 'b'), 'delete') IS NOT NULL AS dropped;
SELECT tenant_create('alpha');
-- paths: empty, '..', absolute, symlinks out of the folder, existing file, same file twice
SELECT tenant_create('gamma', '');
SELECT tenant_create('gamma', '../outside/gamma.db');
SELECT tenant_create('gamma', 'sub/../../outside/gamma.db');
SELECT tenant_create('gamma', '/tmp/gamma.db');
.shell ln -s ../outside reg/escape
SELECT tenant_create('gamma', 'escape/gamma.db');
.shell touch outside/victim.db && ln -s ../outside/victim.db reg/link.db
SELECT tenant_register('gamma', 'link.db');
SELECT tenant_create('gamma', 'link.db');
-- a dangling symlink to a file outside: refused, and nothing appears outside
.shell ln -s ../outside/dangling.db reg/dangle.db
SELECT tenant_create('gamma', 'dangle.db');
SELECT tenant_register('gamma', 'dangle.db');
SELECT tenant_create('gamma', 'alpha.db');
SELECT tenant_create('gamma', 'nosuchdir/gamma.db');
SELECT tenant_register('gamma', 'alpha.db');
.shell ls outside
SELECT name FROM tenants();
-- register: must exist, must be a SQLite database
SELECT tenant_register(NULL, 'x.db');
SELECT tenant_register('gamma', NULL);
SELECT tenant_register('gamma', 'missing.db');
.shell printf 'this is not a database\n' > reg/text.db
SELECT tenant_register('gamma', 'text.db');
.shell mkdir reg/adir
SELECT tenant_register('gamma', 'adir');
.shell sqlite3 reg/plain.db "CREATE TABLE legacy (a); INSERT INTO legacy VALUES (1);"
SELECT tenant_register('gamma', 'plain.db');
SELECT name, location, state, version, pending FROM tenants();
-- drop: keep (default) and delete, errors
SELECT tenant_drop(NULL);
SELECT tenant_drop('nobody');
SELECT tenant_drop('gamma', 'bogus');
SELECT tenant_drop('gamma', '');
SELECT tenant_drop('gamma');
.shell test -f reg/plain.db && echo plain.db kept
SELECT tenant_drop('beta', 'delete');
.shell test -f reg/sub/beta.sqlite || echo beta file deleted
SELECT name FROM tenants();
SELECT action, tenant FROM tenancy_audit ORDER BY id;
-- a dropped tenant's name and file can be used again
SELECT tenant_register('gamma', 'plain.db');
SELECT tenant_create('beta', 'sub/beta.sqlite');
SELECT name, location, version FROM tenants();
-- the tenant set: scope errors; a changed applied body is a fix-forward (accepted, recorded as repaired)
SELECT tenant_migration_add('2', 'hello', 'INSERT INTO notes (body) VALUES (''changed'');', NULL, 'tenants');
SELECT tenant_migration_add('3', 'bye', 'INSERT INTO notes (body) VALUES (''bye'');', 'DELETE FROM notes WHERE body = ''bye'';', 'tenants');
SELECT tenant_migration_add('4', 'broken', 'INSERT INTO no_table VALUES (1);', NULL, 'tenants');
SELECT name, version, pending, state FROM tenants();
-- in memory: no registry
.open :memory:
.load ./tenancy
SELECT tenant_create('alpha');
SELECT tenant_register('alpha', 'alpha.db');
SELECT tenant_drop('alpha');
SELECT * FROM tenants();
SELECT * FROM tenant_migrate_all();
SELECT * FROM tenant_runs();
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT count(*) AS own_catalog FROM tenancy_catalog;
