-- dbmate: a failing statement is reported at its line in the file ("-- migrate:up" on line 5, the failing
-- INSERT on line 9); the section bodies and their checksums are as before
SELECT tenant_migrations_load('@FIXTURES@/dbmate_lines');
SELECT version, name, checksum FROM tenant_status() ORDER BY version;
SELECT tenant_migrate();
SELECT version, state FROM tenant_status() ORDER BY version;
