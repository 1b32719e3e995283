-- migrate_in_batches.sql -- a long batch in chunks (issue 14): each chunk of batch_size
-- migrations is its own batch and commit; argument and transaction-block errors change nothing.
.bail off
.echo on
.load ./tenancy
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 25) SELECT count(tenant_migration_add(i, 't'||i, 'CREATE TABLE t'||i||'(x);')) FROM c;
SELECT tenant_migrate_in_batches(0);
SELECT tenant_migrate_in_batches(NULL);
BEGIN;
SELECT tenant_migrate_in_batches(10);
ROLLBACK;
SELECT tenant_migrate_in_batches(10, '22');
SELECT count(DISTINCT batch), count(*) FROM tenancy_applied;
SELECT tenant_migrate_in_batches(10);
SELECT count(DISTINCT batch), count(*) FROM tenancy_applied;
SELECT tenant_migrate_in_batches(10);
