# 014_extras.pl -- issue 9's leftovers on PostgreSQL, one server:
#  1. a repeatable (R__) whose body changed in the tenant set counts as
#     pending in tenants() (state behind) until a run to the newest version
#     applies it, for database and schema tenants, as on SQLite
#     (tests/sqlite/folders.sql); a run to an older target does not clear it;
#  7. our words, not the remote server's: tenant_register of a database where
#     the extension cannot be created (0A000, the server's text in the
#     detail), tenant_drop(name, 'delete') of a database its server will not
#     drop (the server's SQLSTATE, our message, the 'keep' hint; the tenant
#     stays registered).
# Must not: run as root (PostgreSQL refuses), or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TenancyTest;

my $A = tn_node('extras_a');

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub pending { return join(' ', split /\n/, ctl('SELECT name, pending, state FROM tenants() ORDER BY name')); }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;

# ---- 1. a changed repeatable is pending until a run to the newest version -------
ctl("SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;', 'tenants')");
ctl("SELECT tenant_migration_add('R__view', 'view', 'CREATE OR REPLACE VIEW v AS SELECT 1 AS x;', NULL, 'tenants')");
ctl("SELECT tenant_create('d1')", "SELECT tenant_create('s1', NULL, 'schema')");
is(pending(), 'd1|0|up_to_date s1|0|up_to_date', 'repeatable: created tenants have the set\'s repeatables');
ctl("SELECT tenant_migration_add('R__view', 'view', 'CREATE OR REPLACE VIEW v AS SELECT 2 AS x;', NULL, 'tenants')");
is(pending(), 'd1|1|behind s1|1|behind', 'repeatable: a changed body is pending in every tenant');
is(join(' ', split /\n/, ctl("SELECT tenant, status FROM tenant_migrate_all('1') ORDER BY 1"))
	  . ' / ' . pending(),
	'd1|up_to_date s1|up_to_date / d1|1|behind s1|1|behind', 'repeatable: a run to an older target leaves it pending');
is(join(' ', split /\n/, ctl('SELECT tenant, status, applied FROM tenant_migrate_all() ORDER BY 1'))
	  . ' / ' . pending(),
	'd1|applied|1 s1|applied|1 / d1|0|up_to_date s1|0|up_to_date',
	'repeatable: a run to the newest version applies it, and it is no longer pending');
is(tn_out($A, 'd1', ['SELECT x FROM v']), '2', 'repeatable: the tenant has the new body');
# a tenant registered with the old body applied: pending, its version unchanged by the repeatable
ctl("CREATE DATABASE r1");
tn_out($A, 'r1', ['CREATE EXTENSION tenancy',
	"SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;')",
	"SELECT tenant_migration_add('R__view', 'view', 'CREATE OR REPLACE VIEW v AS SELECT 1 AS x;')",
	'SELECT tenant_migrate()']);
ctl("SELECT tenant_register('r1', 'host=" . $A->host . ' port=' . $A->port . " dbname=r1')");
is(ctl("SELECT version || '|' || pending || '|' || state FROM tenants() WHERE name = 'r1'"), '1|1|behind',
	'repeatable: a registered tenant with an old body is behind at its newest version');

# ---- 7. our words for a database tenancy cannot track or delete ------------------
my $LOC = 'host=' . $A->host . ' port=' . $A->port;
ctl('CREATE DATABASE r2');
tn_out($A, 'r2', ['CREATE SCHEMA tenancy']);
is(tn_state_of($A, 'ctl', "SELECT tenant_register('r2', '$LOC dbname=r2')"), '0A000',
	'register: a database where the extension cannot be created is 0A000');
my $e = tn_error_of($A, 'ctl', "SELECT tenant_register('r2', '$LOC dbname=r2')");
like($e, qr/ERROR:  tenant "r2" cannot be registered: the tenancy extension could not be created in its database/,
	'register: our message');
like($e, qr/DETAIL:  Its server said: schema "tenancy" already exists/, 'register: the server\'s text in the detail');
my $ver = quotemeta(ctl(q{SELECT extversion FROM pg_extension WHERE extname = 'tenancy'}));
like($e, qr/HINT:  Install tenancy $ver on that server/, 'register: what to do (the version this database has)');
is(ctl("SELECT count(*) FROM tenants() WHERE name = 'r2'"), '0', 'register: nothing registered');
ctl('CREATE DATABASE f1');
ctl("SELECT tenant_register('f1', '$LOC dbname=f1')", 'ALTER DATABASE f1 IS_TEMPLATE true');
$e = tn_error_of($A, 'ctl', "SELECT tenant_drop('f1', 'delete')");
like($e, qr/ERROR:  database "f1" of tenant "f1" cannot be deleted\nDETAIL:  Its server said: cannot drop a template database\.\nHINT:  Nothing was changed\. tenant_drop\('f1', 'keep'\)/,
	'drop delete: our message, the server\'s text, the keep hint');
is(tn_state_of($A, 'ctl', "SELECT tenant_drop('f1', 'delete')"), '42809', 'drop delete: the server\'s SQLSTATE');
is(ctl("SELECT count(*) FROM tenants() WHERE name = 'f1'") . '|' . ctl("SELECT count(*) FROM pg_database WHERE datname = 'f1'"),
	'1|1', 'drop delete: the tenant stays registered and its database stays');

done_testing();
