# 001_fanout.pl -- the tenant registry and fan-out (tenancy 1.2) on two clusters:
# create/register/drop (bad names, passwords, half-way failures), fan-out with one
# tenant failing, a no-transaction migration, a cluster stopped mid-run, cancel
# mid-run, kill -9 of the caller mid-run, two concurrent runs, dry run, query_all,
# max_failures, verify_all, atomic runs (and kill -9 with every tenant prepared),
# non-superusers refused, passwords never visible, the registry's error paths
# (../tests/fanout/sql + expected), an isolation spec (../tests/fanout/isolation)
# and the upgrade from 1.0.  Formerly tests/suites/50_pg_fanout.sh: one assertion here
# for each check there.
# Must not: run as root (PostgreSQL refuses), or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use File::Copy qw(copy);
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use TenancyTest;

my $root = "$FindBin::RealBin/../..";
my $A = tn_node('a');
my $B = tn_node('b');
my $LOCB = 'host=' . $B->host . ' port=' . $B->port;

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub A { my $db = shift; return tn_out($A, $db, [@_]); }
sub B { my $db = shift; return tn_out($B, $db, [@_]); }
sub state_of { return tn_state_of($A, 'ctl', $_[0]); }
sub error_of { return tn_error_of($A, 'ctl', $_[0]); }
# the rows of a run, split on '|'
sub row_of
{
	my ($text, $tenant) = @_;
	my ($line) = grep { /^\Q$tenant\E\|/ } split /\n/, $text;
	return [ split /\|/, $line // '', -1 ];
}

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ["CREATE EXTENSION tenancy VERSION '1.2'"]);
BAIL_OUT('control database') if $rc1 || $rc2;

ctl("SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;', 'tenants')");
is(ctl('SELECT count(*) FROM tenancy.set_catalog', 'SELECT count(*) FROM tenancy.catalog') =~ tr/\n/ /r, '1 0',
	'set: migration added to the tenant set, not to the control db');
is(A('tenancy_template_ctl', "SELECT string_agg(version, ',') FROM tenancy.applied"), '1',
	'set: template database exists at the newest version');

# ---- create / register / drop -------------------------------------------
for my $t (qw(a1 a2 a3 a4))
{
	my (undef, undef, $rc) = tn_psql($A, 'ctl', ["SELECT tenant_create('$t')"]);
	fail("create $t") if $rc;
}
for my $t (qw(b1 b2 b3))
{
	my (undef, undef, $rc) = tn_psql($A, 'ctl', ["SELECT tenant_create('$t', '$LOCB')"]);
	fail("create $t") if $rc;
}
is(ctl("SELECT count(*), min(version), max(version), count(*) FILTER (WHERE state = 'up_to_date') FROM tenants()"),
	'7|1|1|7', 'create: 7 tenants on two servers, at version 1');
is(B('b2', "SELECT to_regclass('users') IS NOT NULL"), 't', 'create: the clone has the set\'s objects');
is(state_of("SELECT tenant_create('Bad Name')"), '42602', 'create: bad name refused (42602)');
is(state_of(q{SELECT tenant_create('x"; DROP TABLE y; --')}), '42602', 'create: injection-shaped name refused');
is(state_of("SELECT tenant_create('tenancy_x')"), '42602', 'create: reserved name refused');
is(state_of("SELECT tenant_create('a1')"), '42710', 'create: duplicate refused (42710)');
is(state_of("SELECT tenant_create('k1', NULL, 'file')"), '22023', 'create: unknown kind refused');
A('postgres', 'CREATE DATABASE taken');
is(state_of("SELECT tenant_create('taken')"), '42P04', 'create: half-way failure (database exists) raises 42P04');
is(ctl("SELECT count(*) FROM tenancy.tenants WHERE name = 'taken'"), '0', 'create: ... and nothing is registered');
tn_psql($A, 'ctl', [ 'BEGIN', "SELECT tenant_create('rolled')", 'ROLLBACK' ], quiet => 1);
sleep 1;
is(A('postgres', "SELECT count(*) FROM pg_database WHERE datname = 'rolled'")
	  . ctl("SELECT count(*) FROM tenancy.tenants WHERE name = 'rolled'"),
	'00', 'create: rolled back transaction leaves no database');
my $SECRET = 'Sup3rS3cretPw';
is(state_of("SELECT tenant_create('pw1', 'host=/tmp password=$SECRET')"), '22023',
	'create: location with a password refused (22023)');
is(state_of("SELECT tenant_register('pw2', 'postgresql://u:$SECRET\@localhost/db')"), '22023',
	'register: location with a password refused (22023)');
unlike(error_of("SELECT tenant_register('pw2', 'dbname=x password=$SECRET')"), qr/\Q$SECRET\E/,
	'password never echoed in errors');
B('postgres', 'CREATE DATABASE adopted');
ctl("SELECT tenant_register('adopted', '$LOCB dbname=adopted')");
is(ctl("SELECT state, pending FROM tenants() WHERE name = 'adopted'")
	  . B('adopted', "SELECT count(*) FROM pg_extension WHERE extname = 'tenancy'"),
	'behind|11', 'register: adopted database is tracked (behind, extension installed)');
ctl("SELECT tenant_drop('adopted')");
is(ctl("SELECT count(*) FROM tenancy.tenants WHERE name = 'adopted'")
	  . B('postgres', "SELECT count(*) FROM pg_database WHERE datname = 'adopted'"),
	'01', 'drop keep: unregistered, database kept');
ctl("SELECT tenant_create('gone', '$LOCB')", "SELECT tenant_drop('gone', 'delete')");
is(B('postgres', "SELECT count(*) FROM pg_database WHERE datname = 'gone'"), '0', 'drop delete: database dropped');
is(state_of("SELECT tenant_drop('nobody')"), '42704', 'drop: unknown tenant (42704)');
is(ctl("SELECT count(*) FILTER (WHERE action = 'create'), count(*) FILTER (WHERE action = 'register'), count(*) FILTER (WHERE action LIKE 'drop%'), bool_and(actor = 'postgres') FROM tenancy.audit"),
	'8|1|2|t', 'audit: who did what to which tenant');

# ---- fan-out: one tenant fails, the others apply --------------------------
A('a2', 'INSERT INTO users VALUES (1)');
ctl("SELECT tenant_migration_add('2', 'orders and seed', 'CREATE TABLE orders (id int); INSERT INTO users VALUES (1);', NULL, 'tenants')");
my ($run1, $notices1) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
my $a2 = row_of($run1, 'a2');
is(tn_count($run1, qr/\|applied\|/) . '|' . tn_count($run1, qr/\|failed\|/) . '|' . join('|', map { $_ // '' } @$a2[ 1, 2, 3, 6 ]),
	'6|1|failed|1|1|TN002', 'fan-out: 6 applied, a2 failed with TN002, from = to = 1 (as on SQLite)');
like($run1, qr/failed with SQLSTATE 23505/, "fan-out: the body's SQLSTATE is in the error's detail");
is(A('a2', "SELECT to_regclass('orders') IS NULL, (SELECT string_agg(version, ',') FROM tenancy.applied)"), 't|1',
	'fan-out: the failing tenant rolled back (no orders table, still at 1)');
is(tn_count($notices1, qr/NOTICE:  \[[0-9]\/7\] [a-z0-9]*: /), 7, 'fan-out: progress NOTICE lines');
is(ctl('SELECT status, tenants, applied, failed FROM tenant_runs() ORDER BY run_id DESC LIMIT 1'), 'failed|7|6|1',
	'fan-out: run recorded (status failed, 6 applied, 1 failed)');
A('a2', 'DELETE FROM users');
my ($run2) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
is(join(' ', sort map { join('|', (split /\|/)[ 0, 1 ]) } split /\n/, $run2),
	'a1|up_to_date a2|applied a3|up_to_date a4|up_to_date b1|up_to_date b2|up_to_date b3|up_to_date',
	'rerun: asks every tenant (no cache decides), the failed one now applies');
is(ctl("SELECT count(*) FROM tenants() WHERE state <> 'up_to_date'"), '0', 'rerun: nothing left behind');

# ---- a no-transaction migration over the same connection ------------------
ctl("SELECT tenant_migration_add('3', 'index', 'CREATE INDEX CONCURRENTLY users_id_idx ON users (id);', NULL, 'tenants')");
my ($run3) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
is(tn_count($run3, qr/\|applied\|2\|3\|1\|/)
	  . B('b1', "SELECT to_regclass('users_id_idx') IS NOT NULL, (SELECT max(version) FROM tenancy.applied)"),
	'7t|3', 'no-transaction migration: applied in all 7, recorded');

# ---- dry run and query_all -----------------------------------------------
A('a3', 'CREATE TABLE blocker (id int)');
tn_psql($A, 'ctl', ["SELECT tenant_migration_add('4', 'blocker', 'CREATE TABLE blocker (id int);', NULL, 'tenants')"], quiet => 1);
my ($dry) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_dry_run_all()'], quiet => 1);
is((row_of($dry, 'a3')->[1] // '') . '|' . tn_count($dry, qr/\|applied\|/) . '|' . A('a1', "SELECT to_regclass('blocker') IS NULL"),
	'failed|6|t', 'dry run: a3 would fail, others would apply, nothing applied');
A('a3', 'DROP TABLE blocker');
is(ctl(q{SELECT count(*), min("row"->>'n') FROM tenant_query_all('SELECT count(*) AS n FROM users;')}), '7|1',
	'query_all: one row per tenant as jsonb');
my ($qw, $qwerr) = tn_psql($A, 'ctl', ["SELECT * FROM tenant_query_all('SELECT pg_catalog.nextval(''tenancy.history_id_seq'')')"], quiet => 1);
is(tn_count($qw, qr/^/) . '|' . tn_count($qw, qr/"error": ".*read-only.*", "sqlstate": "25006"/) . '|' . tn_count($qwerr, qr/NOTICE/), '7|7|0',
	'query_all: read-only (a write fails in every tenant: one error row each, no NOTICE)');

# ---- a cluster stopped mid-run --------------------------------------------
ctl("SELECT tenant_migration_add('5', 'slow', 'SELECT pg_sleep(2); CREATE TABLE slow5 (id int);', NULL, 'tenants')");
my $bg = tn_start_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all(NULL, 8)']);
sleep 1;
$B->stop('fast');
my ($stop) = tn_finish_psql($bg);
is(tn_count($stop, qr/^b[0-9]\|unreachable\|/) . '|' . tn_count($stop, qr/^a[0-9]\|applied\|/), '3|4',
	'server stopped: its 3 tenants unreachable, the 4 others applied');
$B->start;
my ($stop2) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
is(join(' ', sort map { join('|', (split /\|/)[ 0, 1 ]) } split /\n/, $stop2)
	  . ' ' . ctl("SELECT count(*) FROM tenants() WHERE version = '5'"),
	'a1|up_to_date a2|up_to_date a3|up_to_date a4|up_to_date b1|applied b2|applied b3|applied 7',
	'server back: the rerun finishes them (and asks the others)');

# ---- cancel mid-run --------------------------------------------------------
ctl("SELECT tenant_migration_add('6', 'slow again', 'CREATE TABLE t6 (id int); SELECT pg_sleep(5);', NULL, 'tenants')");
$bg = tn_start_psql($A, 'ctl', [ "SET application_name = 'fo_cancel'", 'SELECT * FROM tenant_migrate_all(NULL, 8)' ]);
usleep(1_500_000);
my $t0 = time;
A('postgres', "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'fo_cancel'");
tn_finish_psql($bg);
my $ms = int((time - $t0) * 1000);
cmp_ok($ms, '<', 1000, "cancel: caller stopped in $ms ms");
# the caller closes its connections at once; each tenant session notices
# within client_connection_check_interval (1 s) and ends (SECURITY.md)
my $left_sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenancy'";
my $left;
my $left_t0 = time;
while (1)
{
	$left = A('postgres', $left_sql) . B('postgres', $left_sql);
	last if $left eq '00' || time - $left_t0 > 1.5;
	usleep(100_000);
}
is($left, '00', 'cancel: no tenancy connection left on either server (within 1.5 s)');
my $clean = 0;
my $t6sql = "SELECT (to_regclass('t6') IS NOT NULL) = EXISTS (SELECT 1 FROM tenancy.applied WHERE version = '6')";
$clean += (A($_, $t6sql) eq 't') for qw(a1 a2 a3 a4);
$clean += (B($_, $t6sql) eq 't') for qw(b1 b2 b3);
is($clean, 7, 'cancel: every tenant at a clean version');
is(ctl('SELECT status FROM tenant_runs() ORDER BY run_id DESC LIMIT 1'), 'cancelled', 'cancel: the run is recorded as cancelled');

# ---- kill -9 of the calling backend mid-run --------------------------------
$bg = tn_start_psql($A, 'ctl', [ "SET application_name = 'fo_kill'", 'SELECT * FROM tenant_migrate_all(NULL, 2)' ]);
usleep(1_500_000);
my $pid = A('postgres', "SELECT pid FROM pg_stat_activity WHERE application_name = 'fo_kill'");
kill 'KILL', $pid if $pid ne '';
tn_finish_psql($bg);
tn_wait_ready($A, 'ctl');
tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all(NULL, 8)'], quiet => 1);
is(ctl("SELECT count(*) FROM tenants() WHERE version = '6' AND state = 'up_to_date'"), '7', 'kill -9: rerun converges (all 7 at 6)');
is(ctl("SELECT count(*) FROM tenant_runs() WHERE status = 'aborted'"), '1', 'kill -9: the killed run shows as aborted');

# ---- two concurrent runs ---------------------------------------------------
ctl("SELECT tenant_migration_add('7', 'concurrent', 'CREATE TABLE t7 (id int); SELECT pg_sleep(0.3);', NULL, 'tenants')");
my $p1 = tn_start_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all(NULL, 4)']);
my $p2 = tn_start_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all(NULL, 4)']);
my ($c1) = tn_finish_psql($p1);
my ($c2) = tn_finish_psql($p2);
my $twice = 0;
my $t7sql = "SELECT count(*) FROM tenancy.history WHERE action = 'apply' AND version = '7'";
$twice += (A($_, $t7sql) ne '1') for qw(a1 a2 a3 a4);
$twice += (B($_, $t7sql) ne '1') for qw(b1 b2 b3);
is("$twice|" . tn_count("$c1\n$c2", qr/\|applied\|/), '0|7', 'concurrent runs: no tenant migrated twice, all migrated');

# ---- max_failures ------------------------------------------------------------
A($_, 'CREATE TABLE t8 (id int)') for qw(a1 a2 a3 a4);
tn_psql($A, 'ctl', ["SELECT tenant_migration_add('8', 'canary', 'CREATE TABLE t8 (id int);', NULL, 'tenants')"], quiet => 1);
my ($canary) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all(NULL, 1, 2)'], quiet => 1);
is(tn_count($canary, qr/\|failed\|/) . '|' . tn_count($canary, qr/\|skipped\|/) . '|'
	  . ctl('SELECT status FROM tenant_runs() ORDER BY run_id DESC LIMIT 1'),
	'2|5|stopped', 'max_failures: stops starting tenants after 2 failures');
A($_, 'DROP TABLE t8') for qw(a1 a2 a3 a4);
tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);

# ---- tenant_verify_all ----------------------------------------------------------
is(ctl("SELECT count(*) FILTER (WHERE status = 'ok' AND version = '8' AND pending = 0 AND problems = 0) FROM tenant_verify_all()"),
	'7', 'verify_all: every tenant ok at 8, nothing pending');
ctl("SELECT tenant_migration_add('9', 'nine', 'CREATE TABLE t9 (id int);', 'DROP TABLE t9;', 'tenants')");
A('a1', "UPDATE tenancy.applied SET checksum = 'sha256:' || repeat('0', 64) WHERE version = '1'");
my ($vout, $verr) = tn_psql($A, 'ctl', ['SELECT tenant, status, version, pending, problems, detail FROM tenant_verify_all(3)'], quiet => 1);
my $verify = "$vout\n$verr";
my $va1 = row_of($verify, 'a1');
is(join('|', map { $_ // '' } @{$va1}[ 1 .. 4 ]) . '|' . tn_count($verify, qr/\|ok\|8\|1\|0\|/), 'problems|8|1|1|6',
	'verify_all: a1 drifted (1 problem), the others ok with 1 pending');
is(tn_count($verify, qr/^a1\|.*1 drifted/), 1, 'verify_all: the detail names the version');
is(A('a2', "SELECT count(*) FROM tenancy.catalog WHERE version = '9'"), '0', 'verify_all: reads only (the tenant catalog did not get 9)');
is(ctl("SELECT state FROM tenants() WHERE name = 'a1'") . '|' . ctl('SELECT count(*) FROM tenancy.tenants WHERE pending = 1'),
	'problems|7', 'verify_all: registry cache refreshed (a1 problems, pending 1 elsewhere)');
A('a1', "UPDATE tenancy.applied a SET checksum = c.checksum FROM tenancy.catalog c WHERE c.version = a.version AND a.version = '1'");
$B->stop('fast');
my ($v2out, $v2err) = tn_psql($A, 'ctl', ['SELECT tenant, status FROM tenant_verify_all()'], quiet => 1);
my $verify2 = "$v2out\n$v2err";
$B->start;
is(tn_count($verify2, qr/^b[0-9]\|unreachable/) . '|' . tn_count($verify2, qr/\|ok/), '3|4',
	"verify_all: a stopped server's tenants are unreachable");

# ---- tenant_migrate_all_atomic -----------------------------------------------------
sub prepared
{
	return A('postgres', 'SELECT count(*) FROM pg_prepared_xacts') . B('postgres', 'SELECT count(*) FROM pg_prepared_xacts');
}
# tenants (on both servers) whose newest applied version is $v
sub at_version
{
	my ($v) = @_;
	my $n = 0;
	my $sql = 'SELECT max(version::int) FROM tenancy.applied';
	$n += (A($_, $sql) eq $v) for qw(a1 a2 a3 a4);
	$n += (B($_, $sql) eq $v) for qw(b1 b2 b3);
	return $n;
}
B('b2', 'CREATE TABLE t9 (id int)');
my ($atomic1) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all_atomic(NULL, 2)'], quiet => 1);
is((row_of($atomic1, 'b2')->[1] // '') . '|' . tn_count($atomic1, qr/\|rolled_back\||\|skipped\|/) . '|' . at_version('8'),
	'failed|6|7', 'atomic: b2 fails, nobody else moves (rolled back or never started)');
is(tn_count($atomic1, qr/tenant "b2" failed/), 6, 'atomic: the rows say which tenant failed');
is(prepared() . '|' . ctl('SELECT status FROM tenancy.runs ORDER BY run_id DESC LIMIT 1'), '00|rolled_back',
	'atomic: no prepared transaction left, run rolled_back');
B('b2', 'DROP TABLE t9');
my ($atomic2) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all_atomic()'], quiet => 1);
is(tn_count($atomic2, qr/\|applied\|8\|9\|1\|/) . '|' . at_version('9') . '|' . prepared() . '|'
	  . ctl('SELECT status FROM tenancy.runs ORDER BY run_id DESC LIMIT 1'),
	'7|7|00|done', 'atomic: all 7 commit together');
ctl("SELECT tenant_migration_add('10', 'concurrent index', 'CREATE INDEX CONCURRENTLY t9_idx ON t9 (id);', NULL, 'tenants')");
my $runs_before = ctl('SELECT count(*) FROM tenancy.runs');
is(state_of('SELECT * FROM tenant_migrate_all_atomic()'), '0A000', 'atomic: a no-transaction migration is refused (0A000)');
is(tn_count(error_of('SELECT * FROM tenant_migrate_all_atomic()'), qr/HINT:  Run tenant_migrate_all\('10'\) first/)
	  . '|' . ctl('SELECT count(*) FROM tenancy.runs') . '|' . at_version('9'),
	"1|$runs_before|7", 'atomic: ... with a hint, before any change');
tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
ctl("SELECT tenant_migration_add('11', 'eleven', 'CREATE TABLE t11 (id int);', NULL, 'tenants')");
B('postgres', 'ALTER SYSTEM SET max_prepared_transactions = 0');
$B->restart;
is(state_of('SELECT * FROM tenant_migrate_all_atomic()'), '55000', 'atomic: max_prepared_transactions = 0 refused (55000)');
is(tn_count(error_of('SELECT * FROM tenant_migrate_all_atomic()'), qr/HINT:  SET max_prepared_transactions in/)
	  . '|' . at_version('10'),
	'1|7', 'atomic: ... with the postgresql.conf hint, nothing changed');
B('postgres', 'ALTER SYSTEM RESET max_prepared_transactions');
$B->restart;

# kill -9 of the caller with every tenant prepared: the next call resolves it from the record
sub atomic_kill
{
	my ($point) = @_;    # prepared | committing
	my $run = tn_start_psql($A, 'ctl',
		[ "SET application_name = 'fo_atomic'", "SET tenancy.test_atomic_pause = '$point'",
		  'SELECT * FROM tenant_migrate_all_atomic(NULL, 4)' ]);
	for (1 .. 100)
	{
		$run->{h}->pump_nb;
		last if $run->{err} =~ /tenancy test pause/;
		usleep(100_000);
	}
	my $pid = A('postgres', "SELECT pid FROM pg_stat_activity WHERE application_name = 'fo_atomic'");
	kill 'KILL', $pid if $pid ne '';
	tn_finish_psql($run);
	tn_wait_ready($A, 'ctl');
}
atomic_kill('prepared');
is(prepared(), '43', 'atomic kill -9 (decision not made): 7 prepared transactions left behind');
my (undef, $recover1) = tn_psql($A, 'ctl', ["SELECT * FROM tenant_migrate_all('10')"], quiet => 1);
is(prepared() . '|' . at_version('10') . '|' . tn_count($recover1, qr/rolled back prepared transaction/) . '|'
	  . ctl("SELECT count(*) FROM tenancy.runs WHERE status = 'rolled_back'"),
	'00|7|7|2', 'atomic kill -9 (decision not made): next call rolls every tenant back');
atomic_kill('committing');
my (undef, $recover2) = tn_psql($A, 'ctl', ["SELECT * FROM tenant_migrate_all('11')"], quiet => 1);
is(prepared() . '|' . at_version('11') . '|' . tn_count($recover2, qr/committed prepared transaction/), '00|7|7',
	'atomic kill -9 (record says committing): next call commits every tenant');

# ---- non-superusers and passwords -----------------------------------------
A('ctl', 'CREATE ROLE tn_plain LOGIN', 'CREATE ROLE tn_granted LOGIN',
	'GRANT EXECUTE ON FUNCTION tenant_migrate_all(text, int, int), tenants() TO tn_granted',
	'GRANT USAGE ON SCHEMA tenancy TO tn_granted', 'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA tenancy TO tn_granted');
is(tn_state_of($A, 'ctl', 'SELECT * FROM tenant_migrate_all()', user => 'tn_plain'), '42501',
	'non-superuser without grant refused (42501)');
my ($gout, $gerr) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], user => 'tn_granted', quiet => 1);
like("$gout\n$gerr", qr/password is required/, 'non-superuser with grant cannot borrow trust auth (password is required)');
my ($rows, $rowserr) = tn_psql($A, 'ctl',
	[ 'SELECT * FROM tenancy.tenants', 'SELECT * FROM tenancy.audit', 'SELECT * FROM tenancy.run_tenants', 'SELECT * FROM tenants()' ],
	quiet => 1);
# (the server logs the caller's own failing statement text: STATEMENT lines are the caller's words)
my $seen = join("\n", grep { !/STATEMENT:/ } split /\n/,
	join("\n", $rows, $rowserr, slurp_file($A->logfile), slurp_file($B->logfile)));
unlike($seen, qr/\Q$SECRET\E/, 'passwords never in tables, views or logs');

# ---- registry error paths, pg_regress style (tests/fanout/sql, tests/fanout/expected) ----
# (psql runs in the checkout's root: its messages name the file as tests/fanout/sql/...)
my $errors_out = '';
IPC::Run::run([ 'psql', '-X', '-a', '-q', '-h', $A->host, '-p', $A->port, '-U', 'postgres', '-d', 'ctl',
		'-f', 'tests/fanout/sql/registry_errors.sql' ],
	'<', \'', '>&', \$errors_out, init => sub { chdir $root or die "chdir $root: $!" });
my $errors_expected = slurp_file("$root/tests/fanout/expected/registry_errors.out");
my $outdir = PostgreSQL::Test::Utils::tempdir('fanout');
if (!is($errors_out eq $errors_expected ? 'same' : 'different', 'same',
		'registry error paths match tests/fanout/expected/registry_errors.out'))
{
	open my $fh, '>', "$outdir/registry_errors.out" or die;
	print $fh $errors_out;
	close $fh;
	diag(scalar `diff -u '$root/tests/fanout/expected/registry_errors.out' '$outdir/registry_errors.out' | head -30`);
}

# ---- isolation: two concurrent tenant_migrate_all calls (tests/fanout/isolation) ----
my $iso_bin = $ENV{PG_REGRESS} =~ s{/regress/pg_regress$}{/isolation/pg_isolation_regress}r;
chomp(my $bindir = `pg_config --bindir`);
my $iso_dir = PostgreSQL::Test::Utils::tempdir('fanout_iso');
for my $sub (qw(specs expected))
{
	make_path("$iso_dir/$sub");
	copy($_, "$iso_dir/$sub/") or die "copy $_: $!" for glob("$root/tests/fanout/isolation/$sub/*");
}
A('postgres', 'CREATE DATABASE iso_fo');
my $iso_log = '';
my $iso_ok = IPC::Run::run([ $iso_bin, '--use-existing', '--host=' . $A->host, '--port=' . $A->port,
		'--user=postgres', '--dbname=iso_fo', '--bindir=' . $bindir, "--inputdir=$iso_dir", "--outputdir=$iso_dir/out",
		'migrate_all_concurrent' ], '<', \'', '>&', \$iso_log);
ok($iso_ok, 'isolation: two concurrent tenant_migrate_all (waits / lock_timeout)')
  or diag($iso_log . (-f "$iso_dir/out/regression.diffs" ? slurp_file("$iso_dir/out/regression.diffs") : ''));

# ---- upgrade from 1.0 (through 1.1) --------------------------------------------------------
A('postgres', 'CREATE DATABASE up');
A('up', "CREATE EXTENSION tenancy VERSION '1.0'", "ALTER EXTENSION tenancy UPDATE TO '1.2'");
my $objects = "SELECT count(*) FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenancy') AND deptype = 'e'";
is(A('up', $objects), ctl($objects), 'ALTER EXTENSION UPDATE from 1.0 gives the same objects as CREATE EXTENSION');

done_testing();
