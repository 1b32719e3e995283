-- verify_all.sql -- tenant_verify_all([concurrency]): every tenant opened
-- read-only, nothing synced or written to it; per tenant ok / problems /
-- unreachable with version, pending (against the tenant set) and problems;
-- the registry's cached version / pending / last_error are refreshed.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT * FROM tenant_verify_all();
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
SELECT tenant_create('gamma');
SELECT tenant_create('delta');
SELECT tenant_create('eps');
SELECT * FROM tenant_verify_all();
SELECT tenant_migration_add('3', 'three', 'CREATE TABLE three (a);', NULL, 'tenants');
-- beta drifted in its own catalog; gamma's applied 1 differs from the set;
-- delta is garbage; eps is missing
.shell sqlite3 reg/beta.db "UPDATE tenancy_applied SET checksum = 'sha256:0000000000000000000000000000000000000000000000000000000000000000' WHERE version = '1';"
.shell sqlite3 reg/gamma.db "UPDATE tenancy_applied SET checksum = 'sha256:1111111111111111111111111111111111111111111111111111111111111111' WHERE version = '2'; UPDATE tenancy_catalog SET checksum = 'sha256:1111111111111111111111111111111111111111111111111111111111111111' WHERE version = '2';"
.shell printf 'garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage' | dd of=reg/delta.db bs=1 seek=0 conv=notrunc status=none
.shell rm reg/eps.db
.shell mkdir -p before && cp reg/alpha.db reg/beta.db reg/gamma.db reg/delta.db before/
SELECT * FROM tenant_verify_all(NULL, NULL, 1);
SELECT * FROM tenant_verify_all('x');
SELECT * FROM tenant_verify_all(0);
SELECT * FROM tenant_verify_all(65);
SELECT * FROM tenant_verify_all(2);
-- nothing was written to any tenant
.shell for f in alpha beta gamma delta; do cmp before/$f.db reg/$f.db && echo "$f unchanged"; done
-- the registry's cache now says what verify found
SELECT name, state, version, pending, last_error FROM tenants();
SELECT name, version, pending FROM tenancy_tenants ORDER BY name;
-- alpha migrated behind our back: verify refreshes the cached version
.shell sqlite3 reg/alpha.db "INSERT INTO tenancy_applied (version, name, checksum, batch) SELECT '3', 'three', 'sha256:' || 'x', 9;"
SELECT tenant, status, version, pending, problems FROM tenant_verify_all() WHERE tenant = 'alpha';
SELECT name, version, state FROM tenants() WHERE name = 'alpha';
-- more than five problems: five named, the rest counted
.shell sqlite3 reg/alpha.db "INSERT INTO tenancy_applied (version, name, checksum, batch) VALUES ('10','x','sha256:x',9),('11','x','sha256:x',9),('12','x','sha256:x',9),('13','x','sha256:x',9),('14','x','sha256:x',9),('15','x','sha256:x',9);"
SELECT tenant, status, problems, detail FROM tenant_verify_all() WHERE tenant = 'alpha';
