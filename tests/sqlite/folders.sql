-- folders.sql -- folders written for other tools load unchanged (issue 8): goose, sql-migrate,
-- golang-migrate with V names, empty files, pop dialect tags and dialect folders.  Each is loaded,
-- migrated, compared with a plain ordered apply of its up bodies (plain.db), and rolled back.
.bail off
.headers on
.echo on
.load ./tenancy
-- goose: the issue's 1_t.sql; the Down section must not run with the up
SELECT tenant_migrations_load('fx/goose_t');
SELECT tenant_migrate();
SELECT name FROM sqlite_master WHERE name = 't';
SELECT tenant_rollback();
SELECT count(*) AS t_after_rollback FROM sqlite_master WHERE name = 't';
-- goose folder: StatementBegin/End, an empty version, NO TRANSACTION
.open goose.db
.load ./tenancy
SELECT tenant_migrations_load('fx/goose');
SELECT version, name, flags, down_sql IS NOT NULL AS has_down FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%' ORDER BY name;
SELECT id, email FROM users;
SELECT id, body FROM posts;
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- sql-migrate
.open sqlmigrate.db
.load ./tenancy
SELECT tenant_migrations_load('fx/sql_migrate');
SELECT version, name, flags FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%' ORDER BY name;
SELECT id, name FROM people;
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- golang-migrate with V names; compared with a plain apply of the up files
.open plain_v.db
.read fx/golang_v/V0001.Initial_Schema.up.sql
.read fx/golang_v/V0002.Add_Balance.up.sql
.open golang_v.db
.load ./tenancy
SELECT tenant_migrations_load('fx/golang_v');
SELECT tenant_migrate();
ATTACH 'plain_v.db' AS plain;
SELECT count(*) AS differences FROM (
  SELECT type, name, sql FROM main.sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM plain.sqlite_master
  UNION ALL
  SELECT type, name, sql FROM plain.sqlite_master
  EXCEPT SELECT type, name, sql FROM main.sqlite_master);
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- empty and comment-only files: no-op versions; an empty down file is a no-op down
.open plain_empty.db
.read fx/empty/1_init.up.sql
.read fx/empty/2_mysql_only.up.sql
.read fx/empty/3_noop.up.sql
.read fx/empty/4_label.up.sql
.open empty.db
.load ./tenancy
SELECT tenant_migrations_load('fx/empty');
SELECT version, name, length(up_sql) AS up_len, down_sql IS NOT NULL AS has_down, length(down_sql) AS down_len FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate('3');
SELECT tenant_migrate();
SELECT version, state, batch FROM tenant_status();
ATTACH 'plain_empty.db' AS plain;
SELECT count(*) AS differences FROM (
  SELECT type, name, sql FROM main.sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM plain.sqlite_master
  UNION ALL
  SELECT type, name, sql FROM plain.sqlite_master
  EXCEPT SELECT type, name, sql FROM main.sqlite_master);
-- the last batch is 4, whose down file is empty: rollback runs nothing for it (the column stays)
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();
SELECT count(*) AS label_column FROM pragma_table_info('things') WHERE name = 'label';
-- (applying 4 again would fail: its empty down left the column, as golang-migrate's would)
-- 3 has no down file at all: rolling back to before 1 is refused
SELECT tenant_rollback((SELECT name FROM tenant_checkpoints() ORDER BY created_at, name LIMIT 1));
-- pop: .sqlite3 files and the generic ones, .mysql/.cockroach skipped, .autocommit no transaction
.open plain_pop.db
.read fx/pop/20190100000001000000_identities.sqlite3.up.sql
.read fx/pop/20190100000002000000_traits_index.sqlite3.up.sql
.read fx/pop/20190100000003000000_mysql_charset.up.sql
.read fx/pop/20190100000004000000_id_index.sqlite3.autocommit.up.sql
.open pop.db
.load ./tenancy
SELECT tenant_migrations_load('fx/pop');
SELECT version, name, flags, replace(source, 'fx/pop/', '') AS source FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
ATTACH 'plain_pop.db' AS plain;
SELECT count(*) AS differences FROM (
  SELECT type, name, sql FROM main.sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM plain.sqlite_master
  UNION ALL
  SELECT type, name, sql FROM plain.sqlite_master
  EXCEPT SELECT type, name, sql FROM main.sqlite_master);
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- pop dialect folders: sqlite3/ read, mysql/ and postgres/ skipped
.open pop_folders.db
.load ./tenancy
SELECT tenant_migrations_load('fx/pop_folders');
SELECT version, name, source FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
SELECT body FROM notes;
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- a folder for a tool tenancy does not read is refused, never run
.open tern.db
.load ./tenancy
SELECT tenant_migrations_load('fx/bad_tern');
SELECT count(*) AS loaded FROM tenancy_catalog;
-- a folder per migration: Prisma (migration.sql, no down) and Diesel (up.sql + down.sql)
.open plain_prisma.db
.read fx/prisma/20230101000000_init/migration.sql
.read fx/prisma/20230102000000_add_name/migration.sql
.open prisma.db
.load ./tenancy
SELECT tenant_migrations_load('fx/prisma');
SELECT version, name, source, down_sql IS NOT NULL AS has_down FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
ATTACH 'plain_prisma.db' AS plain;
SELECT count(*) AS differences FROM (
  SELECT type, name, sql FROM main.sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM plain.sqlite_master
  UNION ALL
  SELECT type, name, sql FROM plain.sqlite_master
  EXCEPT SELECT type, name, sql FROM main.sqlite_master);
.open plain_diesel.db
.read fx/diesel/2023-01-01-000000_create_posts/up.sql
.read fx/diesel/2023-01-02-000000_add_published/up.sql
.open diesel.db
.load ./tenancy
SELECT tenant_migrations_load('fx/diesel');
SELECT version, name, source, down_sql IS NOT NULL AS has_down FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
ATTACH 'plain_diesel.db' AS plain;
SELECT count(*) AS differences FROM (
  SELECT type, name, sql FROM main.sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM plain.sqlite_master
  UNION ALL
  SELECT type, name, sql FROM plain.sqlite_master
  EXCEPT SELECT type, name, sql FROM main.sqlite_master);
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- a folder in which nothing is a migration: an error that says what is there, never a silent 0
SELECT tenant_migrations_load('fx/bad_nothing');
-- files sharing a number (maragudk/migrate orders them by full name): refused, never applied in another order
SELECT tenant_migrations_load('fx/bad_name_order');
-- bodies in their own BEGIN ... COMMIT (Prisma enum changes, Sqitch's template): the pairs are taken out
-- and the statements run in tenancy's transaction; a body ending in ROLLBACK is refused with a hint
.open own.db
.load ./tenancy
SELECT tenant_migrations_load('fx/own_transaction');
SELECT tenant_migrate();
SELECT sql FROM sqlite_master WHERE name IN ('x', 'x_kind') ORDER BY name;
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
SELECT tenant_migrations_load('fx/bad_own_transaction');
-- Sqitch: the plan's order, verify after deploy, revert as down; compared with a plain apply of the deploys
.open plain_sqitch.db
.read fx/sqitch_sqlite/deploy/users.sql
.read fx/sqitch_sqlite/deploy/flips.sql
.open sqitch.db
.load ./tenancy
SELECT tenant_migrations_load('fx/sqitch_sqlite');
SELECT version, name, down_sql IS NOT NULL AS has_down, source FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
ATTACH 'plain_sqitch.db' AS plain;
SELECT count(*) AS differences FROM (
  SELECT type, name, sql FROM main.sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM plain.sqlite_master
  UNION ALL
  SELECT type, name, sql FROM plain.sqlite_master WHERE name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM main.sqlite_master);
DETACH plain;
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- a verify that fails fails the migration (and the batch)
.shell mkdir -p sq/deploy sq/verify && printf 'a 2020-01-01T00:00:00Z Me <m@x>\n' > sq/sqitch.plan && printf 'CREATE TABLE a (x);\n' > sq/deploy/a.sql && printf 'BEGIN;\nSELECT no_such_column FROM a;\nROLLBACK;\n' > sq/verify/a.sql
SELECT tenant_migrations_load('sq');
SELECT tenant_migrate();
SELECT count(*) AS a_exists FROM sqlite_master WHERE name = 'a';
-- Liquibase formatted SQL: changesets in file order, this engine's dbms only, --rollback lines as downs
.open plain_liquibase.db
CREATE TABLE tb_product (
    id BIGINT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    price DECIMAL(10,2) NOT NULL
);
CREATE TABLE tb_state (
    code VARCHAR(2) PRIMARY KEY,
    name VARCHAR(64) NOT NULL
);
CREATE INDEX tb_product_name ON tb_product (name);
ALTER TABLE tb_product ADD COLUMN note TEXT;
.open liquibase.db
.load ./tenancy
SELECT tenant_migrations_load('fx/liquibase');
SELECT version, name, flags, down_sql IS NOT NULL AS has_down, source FROM tenancy_catalog ORDER BY version;
SELECT tenant_migrate();
SELECT code, name FROM tb_state ORDER BY code;
ATTACH 'plain_liquibase.db' AS plain;
SELECT count(*) AS differences FROM (
  SELECT type, name, sql FROM main.sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM plain.sqlite_master
  UNION ALL
  SELECT type, name, sql FROM plain.sqlite_master WHERE name NOT LIKE 'sqlite%'
  EXCEPT SELECT type, name, sql FROM main.sqlite_master);
DETACH plain;
SELECT tenant_rollback();
SELECT count(*) AS objects_after_rollback FROM sqlite_master WHERE name NOT LIKE 'tenancy%' AND name NOT LIKE 'sqlite%';
-- what tenancy cannot honour (runOnChange) is refused naming the line, nothing loaded
SELECT tenant_migrations_load('fx/bad_liquibase');
SELECT count(*) AS catalog_rows FROM tenancy_catalog WHERE source LIKE '%bad_liquibase%';
-- Flyway repeatables (R__): applied after the versioned ones, by description; applied again when they change
-- (not drift), only that one; status and history show them; a rollback passes over them
.shell mkdir -p fr && cp fx/flyway_repeatable/*.sql fr/
.open repeatable.db
.load ./tenancy
SELECT tenant_migrations_load('fr');
SELECT version, name, down_sql IS NOT NULL AS has_down FROM tenancy_catalog ORDER BY version;
SELECT * FROM tenant_plan();
SELECT tenant_migrate();
SELECT NAME FROM PEOPLE;
.shell printf "drop view if exists PEOPLE;\ncreate view PEOPLE as\n    select P.NAME from PERSON P\n    where P.NAME like 'M%%';\n" > fr/R__People_view.sql
SELECT tenant_migrations_load('fr');
SELECT version, state FROM tenant_status();
SELECT count(*) AS problems FROM tenant_verify();
SELECT * FROM tenant_plan();
SELECT tenant_migrate();
SELECT NAME FROM PEOPLE;
SELECT version, state, batch FROM tenant_status();
SELECT action, version, batch FROM tenant_history() WHERE action IN ('apply', 'checkpoint');
SELECT tenant_migrate();
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();
-- a versioned migration added after a repeatable ran is not out of order: it runs, then nothing else
.shell printf 'alter table PERSON add column AGE int;\n' > fr/V3__Add_age.sql
SELECT tenant_migrations_load('fr');
SELECT tenant_migrate();
SELECT version, state, batch FROM tenant_status();
-- the same in a fan-out: a changed repeatable in the tenant set is applied again in every tenant (not repaired)
.shell mkdir -p frreg frset && cp fx/flyway_repeatable/*.sql frset/
.open frreg/registry.db
.load ./tenancy
SELECT tenant_migrations_load('frset', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
SELECT name, version, pending, state FROM tenants();
.shell printf "drop view if exists PEOPLE;\ncreate view PEOPLE as\n    select P.NAME from PERSON P\n    where P.NAME like 'M%%';\n" > frset/R__People_view.sql
SELECT tenant_migrations_load('frset', 'tenants');
-- the registry counts a changed repeatable as pending until a run to the newest version applies it (issue 9)
SELECT name, version, pending, state FROM tenants();
SELECT tenant, status, from_version, to_version, applied, error FROM tenant_migrate_all();
SELECT name, version, pending, state FROM tenants();
.shell sqlite3 frreg/alpha.db "SELECT NAME FROM PEOPLE; SELECT version, batch FROM tenancy_applied ORDER BY version; SELECT count(*) AS repairs FROM tenancy_history WHERE action = 'repair';"
SELECT tenant, status, applied FROM tenant_migrate_all();
SELECT tenant, status, problems FROM tenant_verify_all();
-- dbmate: an error in the down section names its line in the file (7), not in the section
.open dbmate_lines.db
.load ./tenancy
.shell mkdir -p dbm && printf -- '-- migrate:up\nCREATE TABLE d (a);\n\n-- migrate:down\n\nDROP TABLE d;\nDROP TABLE no_such_table;\n' > dbm/20240101120000_d.sql
SELECT tenant_migrations_load('dbm');
SELECT tenant_migrate();
SELECT tenant_rollback();
