-- migrate_all_atomic.sql -- tenant_migrate_all_atomic([target [, concurrency]]):
-- every tenant or none.  Each tenant is held in its transaction with its
-- batch applied and a copy of it taken; all commit only when all succeeded.
-- A failure anywhere rolls every tenant back (files byte for byte as before).
-- A kill -9 between the first and the last tenant commit leaves the run
-- 'committing'; the next tenant_migrate_all*() settles it: tenants that
-- committed are put back from their copies (all old), or, if all had
-- committed, the run is 'done' (all new).
.bail off
.headers on
.echo on
.shell mkdir -p reg
.open reg/registry.db
.load ./tenancy
SELECT * FROM tenant_migrate_all_atomic();
SELECT tenant_migrations_load('fx/sqlite_tenant_set', 'tenants');
SELECT tenant_create('alpha');
SELECT tenant_create('beta');
SELECT tenant_create('gamma');
SELECT tenant_migration_add('3', 'three', 'CREATE TABLE three (a); INSERT INTO notes (body) VALUES (''three'');', 'DROP TABLE three;', 'tenants');
-- argument errors
SELECT * FROM tenant_migrate_all_atomic('99');
SELECT * FROM tenant_migrate_all_atomic('abc');
SELECT * FROM tenant_migrate_all_atomic(NULL, 0);
SELECT * FROM tenant_migrate_all_atomic(NULL, 1, 1);
BEGIN;
SELECT * FROM tenant_migrate_all_atomic();
ROLLBACK;
-- one tenant fails: nobody is migrated, every file is as it was
.shell sqlite3 reg/gamma.db "CREATE TABLE three (x);"
.shell mkdir -p before && cp reg/alpha.db reg/beta.db reg/gamma.db before/
SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all_atomic();
.shell for f in alpha beta gamma; do cmp before/$f.db reg/$f.db && echo "$f unchanged"; done
SELECT run_id, target, status, tenants, applied, failed FROM tenant_runs();
SELECT run_id, tenant, status, applied FROM tenancy_run_tenants ORDER BY run_id, tenant;
SELECT name, version, state, last_error IS NOT NULL AS has_error FROM tenants();
.shell ls reg | grep -c 'atomic-[0-9]' || true
-- an unreachable tenant stops everyone too
.shell sqlite3 reg/gamma.db "DROP TABLE three;"
.shell mv reg/beta.db reg/beta.away
SELECT tenant, status, applied, error FROM tenant_migrate_all_atomic(NULL, 3);
.shell mv reg/beta.away reg/beta.db
.shell sqlite3 reg/alpha.db "SELECT group_concat(version) FROM tenancy_applied;"
-- all succeed: all applied, copies removed
SELECT tenant, status, from_version, to_version, applied, error FROM tenant_migrate_all_atomic(NULL, 2);
SELECT run_id, status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id DESC LIMIT 1;
SELECT name, version, state FROM tenants();
.shell for f in alpha beta gamma; do sqlite3 reg/$f.db "SELECT '$f', group_concat(version), (SELECT count(*) FROM notes) FROM tenancy_applied;"; done
.shell ls reg | grep -c 'atomic-[0-9]' || true
-- nothing to do: up to date everywhere
SELECT tenant, status, applied FROM tenant_migrate_all_atomic();
-- another atomic run holds the registry: refused at once
.shell (flock reg/registry.db.atomic-lock sh -c 'touch reg/held.flag; sleep 1') &
.shell fx/sqlite_helpers/wait_for.sh reg/held.flag
SELECT * FROM tenant_migrate_all_atomic();
.shell sleep 1.2
-- kill -9 after the first tenant committed: alpha is new, beta and gamma old
SELECT tenant_migration_add('4', 'four', 'CREATE TABLE four (a); INSERT INTO notes (body) VALUES (''four'');', 'DROP TABLE four;', 'tenants');
.shell for f in alpha beta gamma; do sqlite3 reg/$f.db "SELECT version, checksum, batch FROM tenancy_applied ORDER BY 1; SELECT * FROM notes; SELECT type, name FROM sqlite_master ORDER BY 2; SELECT count(*) FROM tenancy_checkpoints;" > before/$f.txt; done
.shell TENANCY_TEST_KILL_AFTER_COMMITS=1 sqlite3 reg/registry.db ".load ./tenancy" "SELECT * FROM tenant_migrate_all_atomic(NULL, 1);" >/dev/null 2>&1; echo "exit $?"
SELECT status, finished_at IS NULL AS unfinished FROM tenant_runs() ORDER BY run_id DESC LIMIT 1;
SELECT folder LIKE '%registry.db.atomic-' || run_id AS folder_named FROM tenancy_atomic_runs;
.shell ls reg/registry.db.atomic-[0-9]*
.shell for f in alpha beta gamma; do sqlite3 reg/$f.db "SELECT '$f', max(CAST(version AS INTEGER)) FROM tenancy_applied;"; done
-- the next run settles it first: alpha is put back, every tenant is old again
-- (compared without tenancy_history: the next run's sync adds its "add" row)
SELECT tenant, status, applied FROM tenant_migrate_all('3');
SELECT status FROM tenant_runs() ORDER BY run_id DESC LIMIT 2;
SELECT count(*) AS unsettled FROM tenancy_atomic_runs;
.shell for f in alpha beta gamma; do sqlite3 reg/$f.db "SELECT version, checksum, batch FROM tenancy_applied ORDER BY 1; SELECT * FROM notes; SELECT type, name FROM sqlite_master ORDER BY 2; SELECT count(*) FROM tenancy_checkpoints;" | cmp - before/$f.txt && echo "$f as before"; done
.shell ls reg | grep -c 'atomic-[0-9]' || true
SELECT action, detail FROM tenancy_audit WHERE action = 'atomic_recover';
SELECT tenant, status, applied, error FROM tenancy_run_tenants WHERE run_id = (SELECT max(run_id) - 1 FROM tenancy_runs) ORDER BY tenant;
-- kill -9 after every tenant committed: the settling finds all new, the run is done
.shell TENANCY_TEST_KILL_AFTER_COMMITS=3 sqlite3 reg/registry.db ".load ./tenancy" "SELECT * FROM tenant_migrate_all_atomic();" >/dev/null 2>&1; echo "exit $?"
SELECT status, finished_at IS NULL AS unfinished FROM tenant_runs() ORDER BY run_id DESC LIMIT 1;
SELECT tenant, status, from_version, to_version, applied FROM tenant_migrate_all_atomic();
SELECT status FROM tenant_runs() ORDER BY run_id DESC LIMIT 2;
SELECT action, detail LIKE '%done after an interruption' AS done FROM tenancy_audit WHERE action = 'atomic_recover';
SELECT name, version, state FROM tenants();
.shell for f in alpha beta gamma; do sqlite3 reg/$f.db "PRAGMA integrity_check; SELECT '$f', group_concat(version), (SELECT group_concat(body) FROM notes) FROM tenancy_applied;"; done
.shell ls reg | grep -c 'atomic-[0-9]' || true
