# 013_probe_copy.pl -- issues 9 and 14: a database tenant's no-op is answered from its
# tracking tables read with COPY ... TO STDOUT (pg_ext/libpq_probe.c), and the lines are
# decoded by the core (tn_rows_add_copy_text).
#   - cells that COPY escapes (tab, newline, carriage return, backslash, a "\N" in the text,
#     non-ASCII) read back exactly: tenant_migrate_all answers up_to_date and
#     tenant_verify_all ok without calling tenancy.migrate_synced / verify_synced in the
#     tenant (counted with track_functions; the control shows a call is counted);
#   - what the probe trusts (since 2026-12): rows of a schema "tenancy" a superuser owns, read by COPY
#     under row_security = off.  A policy's function never runs as the caller (a superuser
#     is never subject to policies; TAP 004 has a migrator who is), a view in place of a
#     table is refused by COPY (the full path decides), and a schema the database owner made,
#     with rows copied from a real tenant, is not answered from (the full path refuses it).
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
	$A->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE datname ~ '^p[0-9]$'})
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

# ---- what the probe trusts (the schema's owner; COPY and row_security guard the read) ----
# row security on the applied table, its policy calling a function that would make owner13 a
# superuser: a superuser caller is never subject to policies, so the probe reads the rows as
# they are and the function never runs
$A->safe_psql('postgres', 'CREATE ROLE owner13 LOGIN');
tn_out($A, 'p1', [ q{CREATE FUNCTION public.grab13() RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE owner13 SUPERUSER'; RETURN true; END $$},
	'CREATE POLICY p13 ON tenancy.applied USING (public.grab13())',
	'ALTER TABLE tenancy.applied ENABLE ROW LEVEL SECURITY' ]);
my $p1m = calls('p1', 'migrate_synced');
is(run_all(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_migrate_all()}),
	'p1:up_to_date,p2:up_to_date', 'row security on tenancy.applied: both tenants up_to_date');
is(calls('p1', 'migrate_synced') . '|' . $A->safe_psql('postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'owner13'}),
	"$p1m|f", '... answered by the probe, and the policy\'s function never ran as the caller');
tn_out($A, 'p1', [ 'ALTER TABLE tenancy.applied DISABLE ROW LEVEL SECURITY', 'DROP POLICY p13 ON tenancy.applied' ]);

# a superuser gave the catalog to a role that is not a superuser: its rows are still read only
# by COPY (nothing of owner13 runs: a view in its place is refused by COPY, a policy by
# row_security = off, no trigger fires on COPY TO); the schema is a superuser's
tn_out($A, 'p2', [ 'ALTER TABLE tenancy.catalog OWNER TO owner13', q{CREATE FUNCTION public.grab13() RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE owner13 SUPERUSER'; RETURN true; END $$} ]);
tn_out($A, 'p2', [ 'CREATE POLICY p13 ON tenancy.catalog USING (public.grab13())',
	'ALTER TABLE tenancy.catalog ENABLE ROW LEVEL SECURITY' ], user => 'owner13');
my $p2m = calls('p2', 'migrate_synced');
run_all(q{SELECT count(*) FROM tenant_migrate_all(NULL, 1)}, q{SELECT count(*) FROM tenant_verify_all(1)});
is($A->safe_psql('postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'owner13'}), 'f',
	'a tracking table owned by a role that is not a superuser, with its policy: its function never runs as the caller');
tn_out($A, 'p2', [ 'ALTER TABLE tenancy.catalog DISABLE ROW LEVEL SECURITY', 'DROP POLICY p13 ON tenancy.catalog' ], user => 'owner13');
tn_out($A, 'p2', [ 'ALTER TABLE tenancy.catalog OWNER TO postgres' ]);

# a view in place of the catalog: COPY refuses a view, so the probe cannot tell and the full
# path decides
tn_out($A, 'p2', [ 'ALTER TABLE tenancy.catalog RENAME TO catalog_real',
	q{CREATE VIEW tenancy.catalog AS SELECT * FROM tenancy.catalog_real} ]);
$p2m = calls('p2', 'migrate_synced');
run_all(q{SELECT count(*) FROM tenant_migrate_all(NULL, 1)});
cmp_ok(calls('p2', 'migrate_synced'), '>', $p2m, 'a view in place of tenancy.catalog: not read by the probe (the full path decides)');
tn_out($A, 'p2', [ 'DROP VIEW tenancy.catalog', 'ALTER TABLE tenancy.catalog_real RENAME TO catalog' ]);

# a database whose owner made a schema "tenancy" of their own, with plain tables copying a real
# tenant's rows (claiming to be up to date): the probe does not answer from a schema that is not
# a superuser's; the full path refuses the tenant (42501)
$A->safe_psql('postgres', 'CREATE DATABASE p3 OWNER owner13');
my $cat = tn_out($A, 'p1', [ q{SELECT string_agg(format('(%L, %L, %L, %L, %s)', version, name, checksum, down_sql, flags), ', ') FROM tenancy.catalog} ]);
my $app = tn_out($A, 'p1', [ q{SELECT string_agg(format('(%L, %L, %L, %L, %s, %s)', version, name, checksum, applied_at, duration_ms, batch), ', ') FROM tenancy.applied} ]);
tn_out($A, 'p3', [ 'CREATE SCHEMA tenancy',
	'CREATE TABLE tenancy.catalog (version text, name text, checksum text, down_sql text, flags bigint)',
	'CREATE TABLE tenancy.applied (version text, name text, checksum text, applied_at timestamptz, duration_ms bigint, batch bigint)',
	"INSERT INTO tenancy.catalog VALUES $cat", "INSERT INTO tenancy.applied VALUES $app" ], user => 'owner13');
# (a row that got there somehow: tenant_register would install the extension there first)
ctl(q{INSERT INTO tenancy.tenants (name, dbname) VALUES ('p3', 'p3')});
is(run_all(q{SELECT tenant || ':' || status || ':' || coalesce(sqlstate, '') FROM tenant_migrate_all() WHERE tenant = 'p3'}),
	'p3:failed:42501', 'a schema "tenancy" the database owner made, with copied rows: not answered by the probe, refused (42501)');
is(run_all(q{SELECT count(*) FROM tenant_verify_all() WHERE tenant = 'p3' AND status = 'ok'}), '0',
	'... and tenant_verify_all does not report it ok');

# ---- whose schema is trusted: the bootstrap superuser anywhere, any superuser on this server ----
# a second superuser makes its own control database: its template (and so each tenant_create
# tenant, a database of this server) has schema "tenancy" owned by super13
$A->safe_psql('postgres', 'CREATE ROLE super13 SUPERUSER LOGIN');
$A->safe_psql('postgres', 'CREATE DATABASE ctl13 OWNER super13');
sub c13 { return tn_out($A, 'ctl13', ['SET client_min_messages = warning', @_], user => 'super13'); }
c13('CREATE EXTENSION tenancy', q{SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', NULL, 'tenants')},
	q{SELECT tenant_create('p6')});
# a database of this server registered with a location naming it: trusted only for the bootstrap superuser
$A->safe_psql('postgres', 'CREATE DATABASE p7 OWNER super13');
tn_out($A, 'p7', ['CREATE EXTENSION tenancy'], user => 'super13');
c13(q{SELECT tenant_register('p7', 'dbname=p7')}, q{SELECT count(*) FROM tenant_migrate_all()});
is(tn_out($A, 'p6', [q{SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'tenancy'}]) . '|'
	  . tn_out($A, 'p7', [q{SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'tenancy'}]),
	'super13|super13', 'p6 (tenant_create) and p7 (registered with a location): schema tenancy is super13\'s');
my ($p6m, $p7m) = (calls('p6', 'migrate_synced'), calls('p7', 'migrate_synced'));
is(c13(q{SELECT string_agg(tenant || ':' || status, ',' ORDER BY tenant) FROM tenant_migrate_all()}),
	'p6:up_to_date,p7:up_to_date', 'no-op run as super13: both up_to_date');
is(calls('p6', 'migrate_synced'), $p6m, '... p6 (this server, another superuser\'s schema) answered by the probe');
cmp_ok(calls('p7', 'migrate_synced'), '>', $p7m,
	'... p7 (a location: its roles are not known here) takes the full path for a schema not the bootstrap superuser\'s');

$A->stop;
done_testing();
