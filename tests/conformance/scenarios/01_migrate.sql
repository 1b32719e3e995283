-- add, plan, migrate, no-op rerun, status, history
SELECT tenant_migration_add('1', 'create items', 'CREATE TABLE items (id integer PRIMARY KEY, label text NOT NULL);', 'DROP TABLE items;');
SELECT tenant_migration_add('1', 'create items', 'CREATE TABLE items (id integer PRIMARY KEY, label text NOT NULL);', 'DROP TABLE items;');
SELECT tenant_migration_add('2', 'seed items', 'INSERT INTO items (id, label) VALUES (1, ''one''), (2, ''two'');', 'DELETE FROM items;');
SELECT tenant_migration_add('1.10', 'add price', 'ALTER TABLE items ADD COLUMN price integer;', 'ALTER TABLE items DROP COLUMN price;');
SELECT tenant_migration_add('1.2', 'add note', 'ALTER TABLE items ADD COLUMN note text;', 'ALTER TABLE items DROP COLUMN note;');
SELECT * FROM tenant_plan();
SELECT * FROM tenant_plan('1.10');
SELECT tenant_migrate('1.2');
SELECT tenant_migrate();
SELECT tenant_migrate();
SELECT version, name, state, checksum, duration_ms >= 0, batch FROM tenant_status();
SELECT count(*) FROM items;
SELECT action, version, batch FROM tenant_history() ORDER BY id;
SELECT batch, version, kind, mode FROM tenant_checkpoints() ORDER BY batch;
