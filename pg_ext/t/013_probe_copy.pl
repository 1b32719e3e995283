# 013_probe_copy.pl -- issues 9 and 14: a database tenant's no-op is answered from its
# tracking tables read with COPY ... TO STDOUT (pg_ext/libpq_probe.c), and the lines are
# decoded by the core (tn_rows_add_copy_text).
#   - cells that COPY escapes (tab, newline, carriage return, backslash, a "\N" in the text,
#     non-ASCII) read back exactly: tenant_migrate_all answers up_to_date and
#     tenant_verify_all ok without calling tenancy.migrate_synced / verify_synced in the
#     tenant (counted with track_functions; the control shows a call is counted);
#   - the guard still refuses what it refused: a tracking table with row security on, or
#     owned by a role that is not a superuser, is not answered from its rows (the full
#     path runs and decides), and the owner's policy function never runs as the caller.
# Must not: run as root (PostgreSQL refuses), or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TenancyTest;

my $A = tn_node('probecopy');
$A->append_conf('postgresql.conf', "track_functions = 'all'");
$A->reload;

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub run_all { return ctl('SET client_min_messages = warning', @_); }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;

# calls of tenancy.<fn> counted in tenant database $db: once the fan-out's sessions there
# have ended (a backend reports its function statistics as it exits)
sub calls
{
	my ($db, $fn) = @_;
	$A->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE datname IN ('p1', 'p2')})
	  or die 'tenant sessions did not end';
	return tn_out($A, $db, [ "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
		WHERE schemaname = 'tenancy' AND funcname = '$fn'" ]);
}

# versions whose name and down_sql hold what COPY's text format escapes
ctl(q{SELECT tenant_migration_add('1', E'tab\there', 'CREATE TABLE one (id int);',
		E'DROP TABLE one;\n-- a second line\r\n-- back\\\\slash \\\\N and \\\\t as text', 'tenants')},
	q{SELECT tenant_migration_add('2', 'naïve ünïcode', E'CREATE TABLE two (t text DEFAULT E''\\\\x'');',
		E'\tDROP TABLE two;', 'tenants')});
ctl(q{SELECT tenant_create('p1')}, q{SELECT tenant_create('p2')});
is(ctl(q{SELECT string_agg(name || ':' || version, ',' ORDER BY name) FROM tenants()}), 'p1:2,p2:2',
	'both tenants at version 2 after tenant_create');
is(tn_out($A, 'p1', [ q{SELECT count(*) FROM tenancy.catalog WHERE (strpos(down_sql, E'\n') > 0 AND strpos(down_sql, E'\r') > 0
		AND strpos(down_sql, E'\\\\N') > 0) OR left(down_sql, 1) = E'\t'} ]),
	'2', 'the tenant\'s catalog holds a newline, a carriage return, a backslash before N and a leading tab');

my $m0 = calls('p1', 'migrate_synced');
my $v0 = calls('p1', 'verify_synced');
is(run_all(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_migrate_all()}),
	'p1:up_to_date,p2:up_to_date', 'no-op migrate_all: both up_to_date');
is(run_all(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_verify_all()}),
	'p1:ok,p2:ok', 'verify_all: both ok');
is(calls('p1', 'migrate_synced') . '/' . calls('p1', 'verify_synced'), "$m0/$v0",
	'escaped cells read back exactly: the probe answered, tenancy.migrate_synced / verify_synced not called');

# control: the full path's call is counted (a version pending in p2)
ctl(q{SELECT tenant_migration_add('3', 'three', 'CREATE TABLE three (id int);', NULL, 'tenants')});
is(run_all(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_migrate_all()}),
	'p1:applied,p2:applied', 'a pending version: both applied');
cmp_ok(calls('p2', 'migrate_synced'), '>', 0, 'control: a tenant with work takes the full path and the call is counted');

# ---- the guard refuses as before --------------------------------------------------------
# row security on the applied table (a superuser's table): not answered from its rows
my $p1m = calls('p1', 'migrate_synced');
tn_out($A, 'p1', [ 'ALTER TABLE tenancy.applied ENABLE ROW LEVEL SECURITY' ]);
my $out = run_all(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_migrate_all()});
cmp_ok(calls('p1', 'migrate_synced'), '>', $p1m, 'row security on tenancy.applied: the full path decides (migrate_synced called)');
like($out, qr/^p1:\w+,p2:up_to_date$/, '... the other tenant is still answered by the probe');
tn_out($A, 'p1', [ 'ALTER TABLE tenancy.applied DISABLE ROW LEVEL SECURITY' ]);

# the catalog owned by a role that is not a superuser, with a policy calling its function
$A->safe_psql('postgres', 'CREATE ROLE owner13 LOGIN');
tn_out($A, 'p2', [ 'ALTER TABLE tenancy.catalog OWNER TO owner13' ]);
tn_out($A, 'p2', [ q{CREATE FUNCTION public.grab13() RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE owner13 SUPERUSER'; RETURN true; END $$},
	'CREATE POLICY p13 ON tenancy.catalog USING (public.grab13())',
	'ALTER TABLE tenancy.catalog ENABLE ROW LEVEL SECURITY' ]);
my $p2m = calls('p2', 'migrate_synced');
$out = run_all(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_migrate_all(NULL, 1)},
	q{SELECT count(*) FROM tenant_verify_all(1)});
is($A->safe_psql('postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'owner13'}), 'f',
	'a tracking table owned by the tenant owner, with a policy: its function never runs as the caller');
cmp_ok(calls('p2', 'migrate_synced'), '>', $p2m, '... the probe does not answer from it (the full path decides)');
tn_out($A, 'p2', [ 'ALTER TABLE tenancy.catalog DISABLE ROW LEVEL SECURITY' ]);
$p2m = calls('p2', 'migrate_synced');
run_all(q{SELECT count(*) FROM tenant_migrate_all()});
cmp_ok(calls('p2', 'migrate_synced'), '>', $p2m,
	'a plain tracking table owned by a role that is not a superuser: the full path decides');

$A->stop;
done_testing();
