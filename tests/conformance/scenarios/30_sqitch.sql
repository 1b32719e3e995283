-- a Sqitch project as sqitch writes it (sqitch.conf: top_dir = db): order from the plan, each change's verify
-- run after its deploy in the same transaction, the deploy's own BEGIN/COMMIT taken out, revert as the down
SELECT tenant_migrations_load('@FIXTURES@/sqitch_top_dir');
SELECT version, name, state FROM tenant_status();
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
INSERT INTO accounts VALUES (1, 'acme');
INSERT INTO users VALUES (1, 1, 'ada@example.com');
SELECT count(*) AS users FROM users;
SELECT tenant_rollback();
SELECT version, state FROM tenant_status();
-- the tables are gone: migrating again creates them
SELECT tenant_migrate();
SELECT version, state FROM tenant_status();
