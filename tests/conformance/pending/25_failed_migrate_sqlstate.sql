-- the SQLSTATE a failed tenant_migrate() raises (README: TN002); psql shows it with VERBOSITY sqlstate,
-- SQLite has no SQLSTATE in its error text, so the PostgreSQL side is the one to check here
--@pg \set VERBOSITY sqlstate
SELECT tenant_migration_add('1', 'broken', 'INSERT INTO no_such_table VALUES (1);');
SELECT tenant_migrate();
