-- functions.sql -- exactly which functions and modules the extension registers.
.bail off
.headers on
.echo on
SELECT count(*) AS before_load FROM pragma_function_list WHERE name LIKE 'tenan%';
.load ./tenancy
SELECT name, narg FROM pragma_function_list WHERE name LIKE 'tenan%' ORDER BY 1, 2;
SELECT name FROM pragma_module_list WHERE name LIKE 'tenan%' ORDER BY 1;
-- SQL-running functions are direct-only: not from a view or trigger
CREATE VIEW v AS SELECT tenant_migrate() AS n;
SELECT * FROM v;
CREATE TABLE trig (a);
CREATE TRIGGER trg AFTER INSERT ON trig BEGIN SELECT tenant_checkpoint('from_trigger'); END;
INSERT INTO trig VALUES (1);
SELECT count(*) AS tracking_tables FROM sqlite_master WHERE name LIKE 'tenancy%';
-- table-valued functions are direct-only too (tenant_dry_run runs SQL)
CREATE VIEW vv AS SELECT count(*) AS n FROM tenant_status();
SELECT * FROM vv;
-- loading twice is harmless
.load ./tenancy
SELECT count(*) AS functions FROM pragma_function_list WHERE name LIKE 'tenan%';
SELECT tenant_migration_add('1', 'a', 'CREATE TABLE a1 (x);');
SELECT tenant_migrate();
-- the tracking tables the extension creates
SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'tenancy%' ORDER BY 1;
