-- folders written for other tools, read unchanged
SELECT tenant_migrations_load('@CONFORMANCE@/folder');
SELECT tenant_migrations_load('@CONFORMANCE@/folder');
SELECT version, name, state, checksum FROM tenant_status();
SELECT tenant_migrate();
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();
