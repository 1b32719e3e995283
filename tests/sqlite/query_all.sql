-- query_all.sql -- tenant_query_all(sql [, concurrency]): one read-only
-- statement in every tenant (opened read-only), each row as a JSON object
-- keyed by column name; a tenant that cannot answer gives one row
-- {"error": "..."}; a statement that writes or is not exactly one
-- statement is refused for the whole call.
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT * FROM tenant_query_all('SELECT 1');
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
SELECT tenant_create('gamma');
ATTACH 'reg/beta.db' AS b;
INSERT INTO b.notes (body) VALUES ('quote " backslash \ tab ' || char(9) || ' newline' || char(10) || 'end'), ('émoji 😀'), (NULL), (char(1) || char(31)), (CAST(x'41ff42' AS TEXT));
DETACH b;
SELECT * FROM tenant_query_all('SELECT id, body FROM notes ORDER BY id');
SELECT * FROM tenant_query_all('SELECT 42 AS i, -7 AS neg, 1.5 AS r, 1.0 AS one, 0.1 AS tenth, 1e300 AS big, 9e999 AS inf, NULL AS n, x''00ff10'' AS b, '''' AS empty, ''a"b'' AS "we""ird"', 1);
SELECT tenant, json_extract("row", '$.n') AS n FROM tenant_query_all('SELECT count(*) AS n FROM notes');
SELECT tenant, json_valid("row") AS valid FROM tenant_query_all('SELECT * FROM notes');
-- a query that finds nothing gives no rows for that tenant
SELECT * FROM tenant_query_all('SELECT * FROM notes WHERE id > 1');
-- trailing semicolons, blanks and comments are fine
SELECT count(*) FROM tenant_query_all('SELECT 1;  -- done
;');
-- refused: writes, several statements, empty, NULL, ATTACH, bad concurrency
SELECT * FROM tenant_query_all('DELETE FROM notes');
SELECT * FROM tenant_query_all('INSERT INTO notes (body) VALUES (1)');
SELECT * FROM tenant_query_all('CREATE TABLE x (a)');
SELECT * FROM tenant_query_all('SELECT 1; SELECT 2');
SELECT * FROM tenant_query_all('SELECT 1; DELETE FROM notes');
SELECT * FROM tenant_query_all('');
SELECT * FROM tenant_query_all('  -- nothing');
SELECT * FROM tenant_query_all(NULL);
SELECT * FROM tenant_query_all('ATTACH ''reg/other.db'' AS o');
SELECT * FROM tenant_query_all('PRAGMA user_version = 5');
SELECT * FROM tenant_query_all('SELECT 1', 0);
SELECT * FROM tenant_query_all('SELECT 1', 'many');
SELECT * FROM tenant_query_all();
-- nothing was written
.shell sqlite3 reg/alpha.db "SELECT count(*) FROM notes; PRAGMA user_version;"
.shell ls reg | grep -c other || true
-- a statement that fails in a tenant (here: everywhere) is that tenant's error row
SELECT * FROM tenant_query_all('SELECT * FROM no_such_table');
-- the SQLSTATE PostgreSQL gives for the same error (sqlite_sqlstate.c); the text stays SQLite's
SELECT DISTINCT json_extract("row", '$.sqlstate') AS state, json_extract("row", '$.error') AS error FROM tenant_query_all('SELECT no_such_column FROM notes');
SELECT DISTINCT json_extract("row", '$.sqlstate') AS state, json_extract("row", '$.error') AS error FROM tenant_query_all('SELECT no_such_function(1)');
SELECT DISTINCT json_extract("row", '$.sqlstate') AS state, json_extract("row", '$.error') AS error FROM tenant_query_all('SELECT 1 FRM notes');
SELECT DISTINCT json_extract("row", '$.sqlstate') AS state, json_extract("row", '$.error') AS error FROM tenant_query_all('SELECT id FROM notes, notes AS n2 WHERE id = 1');
SELECT DISTINCT json_extract("row", '$.sqlstate') AS state, json_extract("row", '$.error') AS error FROM tenant_query_all('SELECT abs(1, 2)');
-- a missing tenant and a garbage tenant: one error row each, the others answer
.shell rm reg/gamma.db
.shell printf 'garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage' | dd of=reg/beta.db bs=1 seek=0 conv=notrunc status=none
SELECT * FROM tenant_query_all('SELECT count(*) AS n FROM notes');
SELECT count(*) AS runs FROM tenant_runs();
