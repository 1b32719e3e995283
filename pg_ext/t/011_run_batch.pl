# 011_run_batch.pl -- issue 14: the run record of tenants a fan-out only checked is
# written a slice at a time (registry_run_batch.c), and stays truthful.
#   - a no-op run over more tenants than one slice (50) has every tenant's row, once,
#     written set-based (tenancy.run_record_tenants, 1.5) or, without it, row by row;
#   - a run mixing checked, applied and failed tenants records each as it happened;
#   - kill -9 of the caller in the middle of a run: after crash recovery every row of
#     that run tells the truth about its tenant (applied / up_to_date rows have the
#     version there; the tenant killed mid-migration has no applied row), no tenant
#     has two rows, and the next fan-out closes the run as aborted.
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

my $A = tn_node('runbatch');

sub ctl { return tn_out($A, 'ctl', [@_]); }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;

my $N = 55;	# more than one slice of 50 rows
my @names = map { sprintf('t%02d', $_) } 0 .. $N - 1;
ctl("SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', NULL, 'tenants')");
ctl(map { "SELECT tenant_create('$_')" } @names);
sub run_all { return ctl("SET client_min_messages = warning", @_); }
sub last_run { return ctl('SELECT max(run_id) FROM tenancy.runs'); }

# (tenant_create brought each tenant to the set: nothing to do, every tenant asked)
run_all('SELECT count(*) FROM tenant_migrate_all()');
is(ctl('SELECT count(DISTINCT tenant) FROM tenancy.run_tenants WHERE run_id = ' . last_run()),
	$N, 'first run: a row for every tenant');

# ---- a no-op run: every checked tenant's row is there, once -------------------------
ctl('UPDATE tenancy.tenants SET last_checked = NULL');
my $noop = run_all("SELECT status || ':' || count(*) FROM tenant_migrate_all() GROUP BY status");
is($noop, "up_to_date:$N", 'no-op run: every tenant up_to_date');
my $run = last_run();
is(ctl("SELECT count(*) || ' ' || count(DISTINCT tenant) FROM tenancy.run_tenants WHERE run_id = $run AND status = 'up_to_date'"),
	"$N $N", 'no-op run: one up_to_date row per tenant, none lost past the first slice');
is(ctl("SELECT count(*) FROM tenancy.run_tenants WHERE run_id = $run AND (from_version <> '1' OR to_version <> '1')"),
	'0', '... each with where the tenant is (from = to = 1)');
is(ctl("SELECT status || ' ' || applied || ' ' || failed FROM tenancy.runs WHERE run_id = $run"), 'done 0 0',
	'... the run is done, nothing applied, nothing failed');
is(ctl('SELECT count(*) FROM tenancy.tenants WHERE last_checked IS NULL'), '0',
	'... and every tenant\'s last_checked was set by its row');
is(ctl("SELECT count(*) FROM tenancy.audit WHERE detail LIKE 'run $run:%'"), '0',
	'... a mere check writes no audit row');

# ---- the same run written row by row (a control database without run_record_tenants) ----
my $SIG = 'tenancy.run_record_tenants(bigint, text[], text[], text[], text[], bigint[], bigint[], text[], text[], text[], text[])';
ctl("ALTER FUNCTION $SIG RENAME TO run_record_tenants_away",
	'UPDATE tenancy.tenants SET last_checked = NULL');
is(run_all("SELECT status || ':' || count(*) FROM tenant_migrate_all() GROUP BY status"), "up_to_date:$N",
	'row by row: no-op run, every tenant up_to_date');
$run = last_run();
is(ctl("SELECT count(*) || ' ' || count(DISTINCT tenant) FROM tenancy.run_tenants WHERE run_id = $run AND status = 'up_to_date'")
	  . ' ' . ctl("SELECT status || ' ' || applied || ' ' || failed FROM tenancy.runs WHERE run_id = $run")
	  . ' ' . ctl('SELECT count(*) FROM tenancy.tenants WHERE last_checked IS NULL'),
	"$N $N done 0 0 0", '... the same record: one row per tenant, the run done, every last_checked set');
ctl("ALTER FUNCTION ${\ ($SIG =~ s/run_record_tenants/run_record_tenants_away/r)} RENAME TO run_record_tenants");

# ---- checked, applied and failed in one run ------------------------------------------
ctl(q{SELECT tenant_migration_add('2', 'two', $b$DO $$ BEGIN IF pg_catalog.current_database() = 't07' THEN
	RAISE EXCEPTION 'no two here'; END IF; END $$; CREATE TABLE two (id int);$b$, NULL, 'tenants')});
# half the tenants get version 2 first, so the next run has all three kinds
my $half = join(',', map { "'$_'" } grep { $_ ne 't07' } @names[0 .. 29]);
run_all("SELECT count(*) FROM tenant_migrate_all(NULL, 4, NULL, ARRAY[$half])");
my $mixed = run_all("SELECT status || ':' || count(*) FROM tenant_migrate_all(NULL, 4) GROUP BY status ORDER BY status");
is($mixed, join("\n", 'applied:' . ($N - 30), 'failed:1', 'up_to_date:29'), 'mixed run: applied, failed and up_to_date tenants');
$run = last_run();
is(ctl("SELECT string_agg(status || ':' || n, ',' ORDER BY status) FROM (SELECT status, count(*) n FROM tenancy.run_tenants WHERE run_id = $run GROUP BY status) s"),
	'applied:' . ($N - 30) . ',failed:1,up_to_date:29', '... its record has the same rows');
like(ctl("SELECT error FROM tenancy.run_tenants WHERE run_id = $run AND tenant = 't07'"), qr/no two here/,
	'... the failed tenant\'s row has its error');
is(ctl("SELECT status || ' ' || applied || ' ' || failed FROM tenancy.runs WHERE run_id = $run"),
	'failed ' . ($N - 30) . ' 1', '... the run counts what was applied and what failed');
is(ctl("SELECT count(*) FROM tenancy.audit WHERE detail LIKE 'run $run:%'"), $N - 30 + 1,
	'... and audits the applied and the failed tenants, not the checked ones');

# ---- kill -9 of the caller in the middle of a run -------------------------------------
# version 3 sleeps in t00 only; t00..t02 are behind, the others up to date (t07 fails
# again), so the killed run has one slice of checked rows written, the next waiting,
# and applied and failed rows written at once
ctl(q{SELECT tenant_migration_add('3', 'three', $b$SELECT pg_catalog.pg_sleep(CASE WHEN pg_catalog.current_database() = 't00'
	THEN 30 ELSE 0 END); CREATE TABLE three (id int);$b$, NULL, 'tenants')});
my $upto = join(',', map { "'$_'" } @names[3 .. $N - 1]);
run_all("SELECT count(*) FROM tenant_migrate_all(NULL, 4, NULL, ARRAY[$upto])");
my $before = last_run();
my $bg = tn_start_psql($A, 'ctl', ['SET client_min_messages = warning', 'SELECT count(*) FROM tenant_migrate_all(NULL, 2)']);
my ($killed, $pid) = ('', '');
for (1 .. 10000)
{
	# one slice of 50 checked rows has been written, while t00 still sleeps
	my $row = ctl("SELECT r.run_id || ' ' || r.caller_pid FROM tenancy.runs r WHERE r.run_id > $before AND r.status = 'running'"
		  . " AND (SELECT count(*) FROM tenancy.run_tenants t WHERE t.run_id = r.run_id AND t.status = 'up_to_date') >= 50");
	if ($row =~ /^(\d+) (\d+)$/) { ($killed, $pid) = ($1, $2); last; }
	usleep(2_000);
}
ok($killed ne '', 'kill: one slice of checked rows was written while t00 sleeps');
# progress rows commit without waiting for their WAL flush (registry_runs.c), so a
# crash may lose the last of them; a synchronous commit that wrote WAL flushes it up
# to now (txid_current() alone writes none, so it would not), so what was visible
# must survive, and the test can tell which rows those were
ctl('CREATE TABLE flush_wal (id int)');
kill 'KILL', $pid if $pid;
tn_finish_psql($bg);
ok(tn_wait_ready($A, 'ctl'), 'kill: the server is back after the crash');

# every row of the killed run against the tenant it names
my @rows = split /\n/, ctl("SELECT tenant || ' ' || status FROM tenancy.run_tenants WHERE run_id = $killed ORDER BY tenant");
my ($lies, $seen, $checked) = (0, 0, 0);
for my $r (@rows)
{
	my ($t, $status) = split / /, $r;
	$seen++;
	$checked++ if $status eq 'up_to_date';
	my $has3 = tn_out($A, $t, ["SELECT count(*) FROM tenancy.applied WHERE version = '3'"]);
	my $true = $status eq 'failed' ? $has3 eq '0' : $has3 eq '1';
	if (!$true)
	{
		diag("run $killed says $t $status, but the tenant has $has3 version 3");
		$lies++;
	}
}
is($lies, 0, "kill: every row of run $killed tells the truth about its tenant ($seen rows)");
is(ctl("SELECT string_agg(tenant, ',' ORDER BY tenant) FROM tenancy.run_tenants WHERE run_id = $killed AND status <> 'up_to_date'"),
	't01,t02,t07', 'kill: the applied and the failed tenants were recorded at once');
ok($checked == 50, "kill: the checked tenants' rows of the written slice are there ($checked), the waiting ones are not");
is(ctl("SELECT count(*) FROM tenancy.run_tenants WHERE run_id = $killed AND tenant = 't00'"), '0',
	'kill: the tenant killed mid-migration has no row');
is(tn_out($A, 't00', ["SELECT count(*) FROM tenancy.applied WHERE version = '3'"]), '0',
	'... and its migration did not stay applied');
is(ctl("SELECT count(*) - count(DISTINCT tenant) FROM tenancy.run_tenants WHERE run_id = $killed"), '0',
	'kill: no tenant has two rows');
my $next = run_all("SELECT status || ':' || count(*) FROM tenant_migrate_all(NULL, 4, NULL, ARRAY['t01']) GROUP BY status");
is($next, 'up_to_date:1', 'the next run works');
is(ctl("SELECT status FROM tenancy.runs WHERE run_id = $killed"), 'aborted',
	'... and closed the killed run as aborted');

# ---- run_record_tenants refuses a malformed slice (22023) and writes none of it ----
# The caller is made the run's writer by hand (what run_open does for the fan-out's control
# session), in the same implicit transaction as the call, which the error rolls back.
my $open = last_run();
my $writer = "INSERT INTO tenancy.run_writers (run_id, writer_pid, writer_start)"
  . " VALUES ($open, pg_backend_pid(), tenancy.session_start())"
  . " ON CONFLICT (run_id) DO UPDATE SET writer_pid = excluded.writer_pid, writer_start = excluded.writer_start;";
my $rows_before = ctl("SELECT count(*) FROM tenancy.run_tenants WHERE run_id = $open");
my $nulls = "ARRAY[NULL]::text[], ARRAY[NULL]::text[]";
is(tn_state_of($A, 'ctl', $writer . " SELECT tenancy.run_record_tenants($open, ARRAY['t01','t02'],"
	. " ARRAY['up_to_date'], ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY[0]::bigint[], ARRAY[0]::bigint[],"
	. " $nulls, $nulls)"), '22023', 'run_record_tenants: arrays of different lengths are refused (22023)');
is(tn_state_of($A, 'ctl', $writer . " SELECT tenancy.run_record_tenants($open, ARRAY['t01'],"
	. " ARRAY['sideways'], ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY[0]::bigint[], ARRAY[0]::bigint[],"
	. " $nulls, $nulls)"), '22023', 'run_record_tenants: a status that is no fan-out status is refused (22023)');
is(tn_state_of($A, 'ctl', $writer . " SELECT tenancy.run_record_tenants($open, ARRAY['t01'],"
	. " ARRAY['up_to_date'], ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY[-1]::bigint[], ARRAY[0]::bigint[],"
	. " $nulls, $nulls)"), '22023', 'run_record_tenants: a negative count is refused (22023)');
is(ctl("SELECT count(*) FROM tenancy.run_tenants WHERE run_id = $open"), $rows_before,
	'... and none of those slices wrote a row');
is(tn_state_of($A, 'ctl', "SELECT tenancy.run_record_tenants($open, ARRAY['t01'], ARRAY['up_to_date'],"
	. " ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY[0]::bigint[], ARRAY[0]::bigint[], $nulls, $nulls)"),
	'42501', 'run_record_tenants: a session that is not the run\'s writer is refused (42501)');
# ---- a tenant rolled back before its first version is at no version ------------------
# (a real project's rollback_all to before 000001, 2026-12-03: the registry kept the
# version the tenant no longer had, and tenants() said up_to_date when it was the newest);
# a control database of its own, whose versions have downs
tn_psql($A, 'postgres', ['CREATE DATABASE ctlz']);
sub cz { return tn_out($A, 'ctlz', ['SET client_min_messages = warning', @_]); }
cz('CREATE EXTENSION tenancy',
	q{SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', 'DROP TABLE one;', 'tenants')},
	q{SELECT tenant_migration_add('2', 'two', 'CREATE TABLE two (id int);', 'DROP TABLE two;', 'tenants')},
	q{SELECT tenant_create('z1')}, q{SELECT tenant_create('z2')});
sub z_state { return cz(q{SELECT string_agg(name || ':' || coalesce(version, '-') || ':' || state, ',' ORDER BY name)
	FROM tenants()}); }
is(z_state(), 'z1:2:up_to_date,z2:2:up_to_date', 'two tenants at version 2');
is(cz(q{SELECT string_agg(tenant || ':' || status || ':' || coalesce(to_version, '-'), ',' ORDER BY tenant)
	FROM tenant_rollback_all('1', 2)}), 'z1:rolled_back:-,z2:rolled_back:-',
	'rollback_all to before the first version: both rolled back to no version');
is(z_state(), 'z1:-:behind,z2:-:behind', '... the registry says no version, behind (rows written one at a time)');
is(cz(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_rollback_all('1', 2)}),
	'z1:unchanged,z2:unchanged', 'again: nothing to undo');
is(z_state(), 'z1:-:behind,z2:-:behind', '... still no version (rows written a slice at a time)');
is(cz(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_migrate_all(NULL, 2)})
	  . '|' . z_state(), 'z1:applied,z2:applied|z1:2:up_to_date,z2:2:up_to_date',
	'... and a migrate_all brings them back to the newest version');
# a control database still at 1.5 is never sent '' (its functions would store it as a
# version): the tenant keeps the cached version there, until ALTER EXTENSION UPDATE
tn_psql($A, 'postgres', ['CREATE DATABASE ctly']);
sub cy { return tn_out($A, 'ctly', ['SET client_min_messages = warning', @_]); }
cy(q{CREATE EXTENSION tenancy VERSION '1.5'},
	q{SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', 'DROP TABLE one;', 'tenants')},
	q{SELECT tenant_create('y1')});
is(cy(q{SELECT status FROM tenant_rollback_all('1')}) . '|'
	  . cy(q{SELECT coalesce(version, '-') FROM tenancy.tenants WHERE name = 'y1'}),
	'rolled_back|1', 'a 1.5 control database: rolled back, its registry keeps the cached version (never an empty one)');
cy('ALTER EXTENSION tenancy UPDATE');
is(cy(q{SELECT status FROM tenant_rollback_all('1')}) . '|'
	  . cy(q{SELECT coalesce(version, '-') FROM tenancy.tenants WHERE name = 'y1'}),
	'unchanged|-', '... after ALTER EXTENSION UPDATE the next run records it at no version');
done_testing();
