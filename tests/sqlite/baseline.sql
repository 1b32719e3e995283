-- baseline.sql -- mark versions applied without running them (an existing
-- database), then migrate the rest.
.bail off
.headers on
.echo on
.load ./tenancy
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL DEFAULT 0);
SELECT tenant_migrations_load('fx/sqlite_shop');
SELECT tenant_baseline(NULL);
SELECT tenant_baseline('');
SELECT tenant_baseline('x.y');
SELECT tenant_baseline('99');
SELECT version, state FROM tenant_status();
SELECT tenant_baseline('2');
SELECT version, state, batch FROM tenant_status();
SELECT count(*) AS items_rows FROM items;
SELECT action, version FROM tenancy_history WHERE action = 'baseline' ORDER BY id;
-- again: nothing new
SELECT tenant_baseline('2');
-- below what is applied
SELECT tenant_baseline('1');
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT name, price FROM items ORDER BY id;
