-- a failed tenant_migrate() as each engine displays it: the core's message, a detail naming the line, the
-- body's SQLSTATE (SQLite's error mapped to PostgreSQL's: no such table -> 42P01) and the engine's own text
-- (normalised to <engine error>), and the hint.  The SQLSTATE raised (TN002) is checked where it can be
-- read: pg_ext/t/003_fleet.pl (PostgreSQL) and tests/cli (the command's SQLSTATE: line, both engines).
SELECT tenant_migration_add('1', 'broken', 'INSERT INTO no_such_table VALUES (1);');
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
