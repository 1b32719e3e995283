# 003_fleet.pl -- issue 9 on PostgreSQL, the same scenarios as SQLite's
# tests/sqlite/fleet_one_decision.sql: a failed tenant's fan-out row (TN002,
# from = to, the body's SQLSTATE in the detail, the "fail" history row kept as
# on SQLite), tenant_migrate() raising TN002, tenant_query_all's error rows
# that an aggregate counts, and registry truth (a tenant_rollback() run inside
# a tenant is migrated again by the next tenant_migrate_all(), whatever the
# registry's cache says).
# Must not: run as root (PostgreSQL refuses), or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use TenancyTest;

my $A = tn_node('fleet');

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub A { my $db = shift; return tn_out($A, $db, [@_]); }
sub row_of
{
	my ($text, $tenant) = @_;
	my ($line) = grep { /^\Q$tenant\E\|/ } split /\n/, $text;
	return [ split /\|/, $line // '', -1 ];
}

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;

ctl("SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;', 'tenants')");
ctl("SELECT tenant_create('t1')", "SELECT tenant_create('t2')");
ctl("SELECT tenant_migration_add('2', 'notes', 'CREATE TABLE notes (id int);', 'DROP TABLE notes;', 'tenants')");
my ($run1) = tn_psql($A, 'ctl', ['SELECT tenant, status, from_version, to_version FROM tenant_migrate_all()'], quiet => 1);
is(join(' ', sort split /\n/, $run1), 't1|applied|1|2 t2|applied|1|2', 'set-up: both tenants migrated to 2');

# ---- registry truth --------------------------------------------------------------
is(A('t1', 'SELECT tenant_rollback()'), '1', 'truth: tenant_rollback() inside t1 undoes 2');
is(ctl("SELECT version || '|' || state FROM tenants() WHERE name = 't1'"), '2|up_to_date',
	"truth: the registry's cache has not seen it");
my ($run2) = tn_psql($A, 'ctl', ['SELECT tenant, status, from_version, to_version FROM tenant_migrate_all()'], quiet => 1);
is(join(' ', sort split /\n/, $run2), 't1|applied|1|2 t2|up_to_date|2|2',
	'truth: the next tenant_migrate_all() migrates t1 again (every tenant is asked)');
is(A('t1', "SELECT to_regclass('notes') IS NOT NULL"), 't', 'truth: t1 has notes again');
is(ctl("SELECT count(*) FROM tenants() WHERE last_run IS NOT NULL AND last_run > now() - interval '1 hour'"), '2',
	'truth: last_run says when each tenant was last checked (the up-to-date one too)');
is(ctl("SELECT count(*) FROM tenants() WHERE last_checked >= last_run"), '2', 'truth: last_checked too');
# an atomic run does not trust the cache either (issue 9)
is(A('t2', 'SELECT tenant_rollback()'), '1', 'truth (atomic): tenant_rollback() inside t2 undoes 2');
my ($run2a) = tn_psql($A, 'ctl', ['SELECT tenant, status, from_version, to_version FROM tenant_migrate_all_atomic()'], quiet => 1);
is(join(' ', sort split /\n/, $run2a), 't1|up_to_date|2|2 t2|applied|1|2',
	'truth: tenant_migrate_all_atomic() asks every tenant, so t2 is migrated again');

# ---- a failed tenant: the same row as on SQLite -----------------------------------
A('t2', 'INSERT INTO marks VALUES (1)');
ctl("SELECT tenant_migration_add('3', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT NULL FROM marks;', NULL, 'tenants')");
my ($run3) = tn_psql($A, 'ctl', ['SELECT tenant, status, from_version, to_version, applied, sqlstate, error FROM tenant_migrate_all()'], quiet => 1);
my $t2 = row_of($run3, 't2');
is(join('|', map { $_ // '' } @$t2[ 1 .. 5 ]), 'failed|2|2|0|TN002', 'failed row: failed, from = to = 2, TN002');
like($run3, qr/^t2\|.*\|migration "3" failed\nDETAIL:  The statement( at line \d+)? of "3" \(plan\) failed with SQLSTATE 23502: /m,
	"failed row: the core's error, the body's SQLSTATE in the detail");
like($run3, qr/\nHINT:  Fix the migration and run the migration again\./, "failed row: the core's hint");
is(join('|', @{ row_of($run3, 't1') }[ 1 .. 3 ]), 'applied|2|3', 'failed row: the other tenant applied');
is(ctl("SELECT state FROM tenants() WHERE name = 't2'"), 'failed', 'failed row: tenants() says failed (as on SQLite)');
is(A('t2', "SELECT count(*) FROM tenancy.history WHERE action = 'fail' AND version = '3'") . '|'
	  . A('t2', "SELECT to_regclass('plans') IS NULL"),
	'1|t', 'failed row: the batch rolled back, its "fail" history row kept (as on SQLite)');
is(tn_state_of($A, 't2', 'SELECT tenant_migrate()'), 'TN002', 'tenant_migrate() in the tenant raises TN002');

# ---- fix-forward: correct the failed version's body in the set and rerun ------------
ctl("SELECT tenant_migration_add('3', 'plan', 'CREATE TABLE plans (plan text NOT NULL); INSERT INTO plans SELECT ''free'' FROM marks;', NULL, 'tenants')");
my ($fix) = tn_psql($A, 'ctl', ['SELECT tenant, status, from_version, to_version FROM tenant_migrate_all()'], quiet => 1);
is(join(' ', sort split /\n/, $fix), 't1|up_to_date|3|3 t2|applied|2|3',
	'fix-forward: the corrected body is accepted; t2 applies it, t1 (old body) stays');
is(A('t1', "SELECT count(*) FROM tenancy.history WHERE action = 'repair' AND version = '3' AND detail LIKE 'sha256:% -> sha256:%'")
	  . '|' . A('t2', 'SELECT plan FROM plans'),
	'1|free', 'fix-forward: t1 recorded as repaired (old -> new), t2 has the new body');
is(ctl("SELECT string_agg(tenant || '=' || status, ',' ORDER BY tenant) FROM tenant_verify_all()"), 't1=ok,t2=ok',
	'fix-forward: verify_all says ok everywhere');

# ---- tenant_query_all: error rows an aggregate can count ---------------------------
A('t1', 'CREATE TABLE only_in_t1 (id int)');
is(ctl(q{SELECT count(*) || '|' || count(*) FILTER (WHERE "row" ? 'error') || '|' || string_agg("row"->>'sqlstate', ',') FROM tenant_query_all('SELECT count(*) AS n FROM only_in_t1')}),
	'2|1|42P01', 'query_all: a tenant that cannot answer gives one error row with its SQLSTATE');
my (undef, $qerr) = tn_psql($A, 'ctl', ["SELECT * FROM tenant_query_all('SELECT count(*) AS n FROM only_in_t1')"], quiet => 1);
is(tn_count($qerr, qr/NOTICE/), 0, 'query_all: no NOTICE in its place');

# ---- transient errors: retried with backoff, their own hint -------------------------
A('t2', 'DELETE FROM marks');
ctl("SELECT tenant_migration_add('4', 'col', 'ALTER TABLE marks ADD COLUMN c int;', NULL, 'tenants')");
my $holder = tn_start_psql($A, 't1', [ 'BEGIN', 'LOCK TABLE marks', 'SELECT pg_sleep(1)', 'COMMIT' ]);
usleep(300_000);
my ($run4) = tn_psql($A, 'ctl', [ "SET tenancy.lock_timeout = '200ms'",
	'SELECT tenant, status, from_version, to_version FROM tenant_migrate_all()' ], quiet => 1);
tn_finish_psql($holder);
is(join(' ', sort split /\n/, $run4), 't1|applied|3|4 t2|applied|3|4',
	'transient: a lock timeout in t1 is retried until the lock is free');
cmp_ok(A('t1', "SELECT count(*) FROM tenancy.history WHERE action = 'fail' AND version = '4'"), '>=', 1,
	"transient: each failed try is in the tenant's history");
ctl("SELECT tenant_migration_add('5', 'col2', 'ALTER TABLE marks ADD COLUMN d int;', NULL, 'tenants')");
$holder = tn_start_psql($A, 't1', [ 'BEGIN', 'LOCK TABLE marks', 'SELECT pg_sleep(5)', 'COMMIT' ]);
usleep(300_000);
my ($run5) = tn_psql($A, 'ctl', [ "SET tenancy.lock_timeout = '200ms'",
	'SELECT tenant, status, sqlstate, error FROM tenant_migrate_all()' ], quiet => 1);
tn_finish_psql($holder);
is(join('|', @{ row_of($run5, 't1') }[ 1, 2 ]), 'failed|TN002', 'transient: still locked after every try: failed');
like($run5, qr/SQLSTATE 55P03: .*It was tried 4 times/s, 'transient: the detail says how often it was tried');
like($run5, qr/HINT:  The error is transient/, 'transient: its own hint (not "Fix the migration")');
my ($run6) = tn_psql($A, 'ctl', ['SELECT tenant, status FROM tenant_migrate_all()'], quiet => 1);
is(join(' ', sort split /\n/, $run6), 't1|applied t2|up_to_date', 'transient: a plain rerun fixes it');

# ---- the default scope in a registry with tenants: a WARNING ------------------------
my (undef, $w1) = tn_psql($A, 'ctl', ["SELECT tenant_migration_add('50', 'own', 'SELECT 1;')"], quiet => 1);
like($w1, qr/WARNING:  tenant_migration_add\(\) without a scope changes this database's own migrations, not its tenants'\nDETAIL:  This database is a registry with 2 tenants/,
	'default scope in a registry with tenants: WARNING');
my (undef, $w2) = tn_psql($A, 'ctl', ["SELECT tenant_migration_add('51', 'own', 'SELECT 1;', NULL, 'database')"], quiet => 1);
is(tn_count($w2, qr/WARNING/), 0, "an explicit 'database' scope does not warn");
my (undef, $w3) = tn_psql($A, 't1', ["SELECT tenant_migration_add('52', 'own', 'SELECT 1;')"], quiet => 1);
is(tn_count($w3, qr/WARNING/), 0, 'a database without tenants does not warn');

$A->stop;
done_testing();
