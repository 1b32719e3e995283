# 007_run_durable.pl -- issue 14, finding 3: the start row of a tenant_migrate_all()
# run is durable before any tenant is touched.  The caller is killed with kill -9 the
# moment its run row becomes visible (a poller watches tenancy.runs); after crash
# recovery the row is still there, and the next run gets a new id.
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

my $A = tn_node('durable');

sub ctl { return tn_out($A, 'ctl', [@_]); }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;
ctl("SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', NULL, 'tenants')");
ctl("SELECT tenant_create('t1')", "SELECT tenant_create('t2')");

my $last = 0;
for my $trial (1 .. 5)
{
	my $v = $trial + 1;
	# each tenant's migration takes a while, so the run is surely in progress when it is killed
	ctl("SELECT tenant_migration_add('$v', 'slow$v', 'SELECT pg_sleep(2); CREATE TABLE s$v (id int);', NULL, 'tenants')");
	my $bg = tn_start_psql($A, 'ctl', ['SELECT count(*) FROM tenant_migrate_all(NULL, 1)']);
	my ($run, $pid) = ('', '');
	for (1 .. 2000)
	{
		my $row = tn_out($A, 'ctl', ["SELECT run_id || ' ' || caller_pid FROM tenancy.runs WHERE status = 'running' AND run_id > $last"]);
		if ($row =~ /^(\d+) (\d+)$/) { ($run, $pid) = ($1, $2); last; }
		usleep(2_000);
	}
	ok($run ne '', "trial $trial: the run row appeared");
	kill 'KILL', $pid if $pid;
	tn_finish_psql($bg);
	ok(tn_wait_ready($A, 'ctl'), "trial $trial: the server is back after the crash");
	is(ctl("SELECT count(*) FROM tenancy.runs WHERE run_id = $run"), '1', "trial $trial: run $run survived the crash");
	ok($run > $last, "trial $trial: run $run has a new id (the one before was $last)");
	$last = $run;
}
my $after = ctl('SELECT count(*) FROM tenant_migrate_all()');
is(ctl("SELECT count(*) FROM tenancy.runs WHERE run_id > $last"), '1', 'the next run gets a new id too');
done_testing();
