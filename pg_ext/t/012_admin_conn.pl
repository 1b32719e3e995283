# 012_admin_conn.pl -- issue 14: the server connection tenant_create keeps between calls
# (libpq_admin.c).  One backend keeps its CREATE DATABASE connection for the next call of
# the same role with the same credentials, and only then: a role that calls tenant_create
# after another one in the same session (SET ROLE, RESET ROLE, a SECURITY DEFINER function)
# connects as itself, with its own password, and makes a database it owns; a role with no
# credentials of its own is refused, not carried on another's connection.  An error in the
# middle (a failed CREATE DATABASE, a rolled-back transaction) and a connection closed by
# the server leave no connection to reuse; tenancy.keep_admin_connection = off keeps none.
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

my $A = tn_node('admin_conn');

# every role but postgres logs in with a password (a non-superuser's connections must use one)
open(my $hba, '>', $A->data_dir . '/pg_hba.conf') or die;
print $hba "local all postgres trust\nlocal all all scram-sha-256\n";
close $hba;
$A->reload;

sub su { my $db = shift; return tn_out($A, $db, [@_]); }
# one session of postgres on ctl that goes on after an error; (stdout, stderr)
sub session { my ($out, $err) = tn_psql($A, 'ctl', [@_], vars => ['ON_ERROR_STOP=0', 'VERBOSITY=sqlstate'], quiet => 1); return ($out, $err); }
sub owners
{
	my $list = join(',', map { "'$_'" } @_);
	return su('postgres', "SELECT string_agg(datname || ':' || pg_get_userbyid(datdba), ',' ORDER BY datname) FROM pg_database WHERE datname IN ($list)");
}
# the kept connection (backend pid:role), seen from the session itself: kept() once no
# closed one lingers (a closed connection's backend ends a moment later), gone() once none is left
my $kept = 'SELECT public.kept(1)';
my $gone = 'SELECT public.kept(0)';

su('postgres', "CREATE ROLE adm LOGIN CREATEDB PASSWORD 'AdmPw1'", "CREATE ROLE nocred LOGIN CREATEDB PASSWORD 'NoPw1'",
	'CREATE DATABASE ctl', 'CREATE DATABASE tenancy_template_ctl OWNER adm');
su('tenancy_template_ctl', 'CREATE EXTENSION tenancy', q{SELECT tenancy.grant_capability('adm', 'migrator')});
su('ctl', 'CREATE EXTENSION tenancy', 'CREATE SERVER tenancy FOREIGN DATA WRAPPER tenancy_fdw',
	q{SELECT tenancy.grant_capability('adm', 'admin')}, q{SELECT tenancy.grant_capability('nocred', 'admin')},
	q{CREATE USER MAPPING FOR adm SERVER tenancy OPTIONS (user 'adm', password 'AdmPw1')});
# a SECURITY DEFINER function of adm that creates a tenant: inside it the caller is adm
su('ctl', 'GRANT CREATE ON SCHEMA public TO adm', q{CREATE FUNCTION public.kept(most int) RETURNS text LANGUAGE plpgsql AS $f$
	DECLARE s text; n int;
	BEGIN
		FOR i IN 1 .. 50 LOOP
			PERFORM pg_catalog.pg_stat_clear_snapshot();
			SELECT count(*), coalesce(string_agg(pid::text || ':' || usename, ','), 'none') INTO n, s
			  FROM pg_catalog.pg_stat_activity WHERE application_name = 'tenancy admin';
			EXIT WHEN n <= most;
			PERFORM pg_catalog.pg_sleep(0.1);
		END LOOP;
		RETURN s;
	END $f$});
$ENV{PGPASSWORD} = 'AdmPw1';
tn_out($A, 'ctl', [q{CREATE FUNCTION public.adm_create(n text) RETURNS text LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp AS $f$ SELECT public.tenant_create(n) $f$}], user => 'adm');
delete $ENV{PGPASSWORD};
is(su('ctl', q{SELECT count(*) FROM pg_proc WHERE proname = 'adm_create' AND prosecdef}), '1', 'set-up: adm_create is SECURITY DEFINER');

# ---- 1. reuse: the same role's second call rides on the first call's connection ----------
my ($out, $err) = session(q{SELECT tenant_create('p1')}, $kept, q{SELECT tenant_create('p2')}, $kept);
my @l = split /\n/, $out;
is(scalar(@l), 4, '1: two tenant_create calls in one session') or diag($err);
like($l[1], qr/^\d+:postgres$/, '1: ... one connection kept after the first, as postgres');
is($l[3], $l[1], '1: ... the second call used the same connection (same backend pid)');
is(owners('p1', 'p2'), 'p1:postgres,p2:postgres', '1: ... both databases made and owned by postgres');

# ---- 2. a role change in the session: each role connects as itself -----------------------
($out, $err) = session(q{SELECT tenant_create('p3')}, 'SET ROLE adm', q{SELECT tenant_create('r1')}, $kept,
	'RESET ROLE', q{SELECT tenant_create('p4')}, $kept);
@l = split /\n/, $out;
is(scalar(@l), 5, '2: postgres, SET ROLE adm, RESET ROLE: three calls') or diag($err);
like($l[2], qr/^\d+:adm$/, '2: ... after SET ROLE adm the kept connection is adm\'s own (postgres\'s was not reused)');
like($l[4], qr/^\d+:postgres$/, '2: ... after RESET ROLE a new connection as postgres (adm\'s was not reused)');
is(owners('p3', 'r1', 'p4'), 'p3:postgres,p4:postgres,r1:adm', '2: ... r1 is adm\'s database, made with adm\'s own rights');

# a SECURITY DEFINER function runs as its owner: its own connection, its owner's credentials
($out, $err) = session(q{SELECT tenant_create('p5')}, q{SELECT public.adm_create('r2')}, q{SELECT tenant_create('p6')}, $kept);
@l = split /\n/, $out;
is(scalar(@l), 4, '2: postgres, adm\'s SECURITY DEFINER function, postgres') or diag($err);
is(owners('p5', 'r2', 'p6'), 'p5:postgres,p6:postgres,r2:adm', '2: ... the definer\'s call connected as adm, the caller\'s as postgres');

# a role with no credentials of its own is refused, even right after another role's call
($out, $err) = session('SET ROLE adm', q{SELECT tenant_create('r3')}, 'SET ROLE nocred', q{SELECT tenant_create('n1')});
is($out, 'r3', '2: adm creates r3 in the session');
like($err, qr/ERROR:  42501/, '2: ... then nocred (no user mapping) is refused with 42501: password is required');
is(owners('n1'), '', '2: ... and n1 does not exist (it did not ride on adm\'s connection)');

# CREATEDB taken away between two calls of a run (the second rides on the first's connection
# and makes no check of its own first): the refusal is the documented one, with its hint
($out, $err) = tn_psql($A, 'ctl', ['SET ROLE adm', q{SELECT tenant_create('r4')}, 'RESET ROLE', 'ALTER ROLE adm NOCREATEDB',
	'SET ROLE adm', q{SELECT tenant_create('r5')}, 'RESET ROLE', 'ALTER ROLE adm CREATEDB'], vars => ['ON_ERROR_STOP=0'], quiet => 1);
is($out, 'r4', '2: adm creates r4, then loses CREATEDB');
like($err, qr/ERROR:  permission denied to create database "r5"\n.*\nHINT:  A superuser gives it with ALTER ROLE \.\.\. CREATEDB/,
	'2: ... its next call in the run is refused as documented (42501, the CREATEDB hint)');
is(owners('r5') . su('ctl', q{SELECT count(*) FROM tenancy.tenants WHERE name = 'r5'}), '0', '2: ... nothing made or registered');

# ---- 3. an error in the middle leaves nothing to reuse -----------------------------------
su('postgres', 'CREATE DATABASE x1');
($out, $err) = session(q{SELECT tenant_create('p7')}, $kept, q{SELECT tenant_create('x1')}, $gone,
	q{SELECT tenant_create('p8')}, $kept);
@l = split /\n/, $out;
like($err, qr/ERROR:  42P04/, '3: CREATE DATABASE of an existing database fails (42P04)');
is(scalar(@l), 5, '3: ... the session goes on') or diag($err);
is($l[2], 'none', '3: ... the connection of the failed call is closed, not kept');
like($l[4], qr/^\d+:postgres$/, '3: ... the next call connects again');
isnt($l[4], $l[1], '3: ... on a new connection');
is(su('ctl', q{SELECT count(*) FROM tenancy.tenants WHERE name = 'x1'}), '0', '3: ... x1 not registered');

($out, $err) = session(q{SELECT tenant_create('p9')}, $kept, 'BEGIN', q{SELECT tenant_create('q1')}, 'ROLLBACK', $gone);
@l = split /\n/, $out;
is(scalar(@l), 4, '3: tenant_create in a rolled-back transaction') or diag($err);
is($l[3], 'none', '3: ... the rollback closes the kept connection');
my $q1 = 'q1';
for (1 .. 50) { $q1 = owners('q1'); last if $q1 eq ''; usleep(100_000); }
is($q1, '', '3: ... and q1 is dropped again');

# the server ends the kept connection between two calls: the next call connects again
($out, $err) = session(q{SELECT tenant_create('p10')},
	q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'tenancy admin'},
	'SELECT pg_sleep(0.2)', q{SELECT tenant_create('p11')}, $kept);
@l = split /\n/, $out;
is($l[3], 'p11', '3: a kept connection the server closed is not used: the next call connects again') or diag($err);
like($l[4], qr/^\d+:postgres$/, '3: ... and keeps its new connection');

# ---- 4. tenancy.keep_admin_connection = off: nothing kept --------------------------------
($out, $err) = session('SET tenancy.keep_admin_connection = off', q{SELECT tenant_create('p12')}, $gone);
is($out, "p12\nnone", '4: with tenancy.keep_admin_connection off no connection is kept') or diag($err);
is(su('ctl', "LOAD 'tenancy'", 'SHOW tenancy.keep_admin_connection'), 'on', '4: ... the default is on');

# ---- 5. the session ends: its kept connection ends with it --------------------------------
my $left = -1;
for (1 .. 50) { $left = su('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenancy admin'}); last if $left eq '0'; usleep(100_000); }
is($left, '0', '5: no kept connection outlives its session');
is(su('ctl', 'SELECT count(*) FROM tenancy.tenants'), '16', '5: every successful tenant_create registered its tenant');

done_testing();
