-- Liquibase formatted SQL: each changeset a migration named author:id, in file order, files in name order;
-- --rollback lines (and a /* liquibase rollback */ block) as the down; dbms chooses the engine's changesets
-- (alice:1 is PostgreSQL's, alice:1-sqlite SQLite's: counted, not listed, so the outputs compare)
SELECT tenant_migrations_load('@FIXTURES@/liquibase');
SELECT version, name, state FROM tenant_status() WHERE name NOT LIKE 'alice:1%';
SELECT count(*) AS this_engines_index FROM tenant_status() WHERE name LIKE 'alice:1%';
SELECT tenant_migrate();
SELECT code, name FROM tb_state ORDER BY code;
SELECT count(*) AS notes FROM tb_product WHERE note IS NULL;
SELECT tenant_rollback();
SELECT version, name, state FROM tenant_status() WHERE name NOT LIKE 'alice:1%';
SELECT tenant_migrate();
SELECT code, name FROM tb_state ORDER BY code;
