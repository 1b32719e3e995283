-- errors_files.sql -- tenant_migrations_load on bad folders and files; each
-- error leaves the catalog unchanged (the load is one unit of work).
.bail off
.headers on
.echo on
.load ./tenancy
SELECT tenant_migration_add('1', 'keep_me', 'CREATE TABLE keep (a);');
SELECT tenant_migrations_load('');
SELECT tenant_migrations_load('no/such/folder');
SELECT tenant_migrations_load('fx/sqlite_shop/1_create_items.up.sql');
-- an entry that cannot be read (a dangling symlink; permissions do not stop root)
.shell mkdir -p unreadable && cp fx/sqlite_shop/*.sql unreadable/ && ln -s nowhere unreadable/11_gone.up.sql
SELECT tenant_migrations_load('unreadable');
.shell mkdir -p subdir/5_folder.up.sql
SELECT tenant_migrations_load('subdir');
-- the same version in V1__a.sql and 1_a.up.sql
SELECT tenant_migrations_load('fx/bad_duplicate');
SELECT tenant_migrations_load('fx/bad_utf8');
SELECT tenant_migrations_load('fx/bad_noname');
SELECT tenant_migrations_load('fx/bad_down_only');
SELECT tenant_migrations_load('fx/bad_dbmate');
-- a file with invalid bytes made here, in an otherwise good folder
.shell mkdir -p badbytes && cp fx/sqlite_shop/*.sql badbytes/ && printf 'SELECT 1; -- \377\376\n' > badbytes/11_bad.up.sql
SELECT tenant_migrations_load('badbytes');
-- an empty up file (a no-op version, as golang-migrate runs it) and an empty folder
.shell mkdir -p emptyfile && : > emptyfile/1_nothing.up.sql
SELECT tenant_migrations_load('emptyfile');
.shell mkdir -p emptydir
SELECT tenant_migrations_load('emptydir');
-- a generated file over 16 MiB
.shell mkdir -p big && (printf 'SELECT 1;\n'; head -c 17000000 /dev/zero | tr '\0' '-') > big/1_big.up.sql
SELECT tenant_migrations_load('big');
-- a folder given through '..'
.shell mkdir -p viadots && cp fx/sqlite_shop/1_create_items.up.sql viadots/
SELECT tenant_migrations_load('viadots/../viadots');
-- nothing of the failed loads reached the catalog
SELECT version, name FROM tenancy_catalog ORDER BY version;
SELECT action, version FROM tenancy_history ORDER BY id;
-- a good folder after all that
SELECT tenant_migrations_load('fx/golang');
SELECT tenant_migrations_load('fx/tags');
SELECT version, name, down_sql IS NOT NULL AS has_down FROM tenancy_catalog ORDER BY CAST(version AS INTEGER), version;
