# 010_fleet_more.pl -- issue 9 on PostgreSQL across two servers:
#  1. tenant_migration_remove(version, 'tenants') undoes the version in the
#     template of every server that holds database tenants, not only this
#     server's (before, the other server's template kept it and the next
#     tenant_create there cloned a tenant with the removed version);
#  2. one tenant from the control database (tenant_status / history /
#     checkpoints / verify with a name): a database tenant on the other
#     server and a schema tenant, read in the tenant itself; a stopped server
#     is 08006 "unreachable"; an unknown name 42704;
#  3. a tenant owner's look-alike schema "tenancy" in a tenant database is
#     never called (the fan-out's extension check gates inspect_synced; the
#     look-alike is an inlinable STABLE SQL function, which the planner would
#     inline if it were called in FROM).
# Must not: run as root (PostgreSQL refuses), or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TenancyTest;

my $A = tn_node('fleet_a');
my $B = tn_node('fleet_b');
my $LOCB = 'host=' . $B->host . ' port=' . $B->port;

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub A { my $db = shift; return tn_out($A, $db, [@_]); }
sub B { my $db = shift; return tn_out($B, $db, [@_]); }
sub sorted { return join(' ', sort split /\n/, $_[0]); }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;

ctl("SELECT tenant_migration_add('1', 'marks', 'CREATE TABLE marks (id int);', 'DROP TABLE marks;', 'tenants')");
ctl("SELECT tenant_create('a1')", "SELECT tenant_create('b1', '$LOCB')", "SELECT tenant_create('s1', NULL, 'schema')");
ctl("SELECT tenant_migration_add('2', 'notes', 'CREATE TABLE notes (id int);', 'DROP TABLE notes;', 'tenants')");
is(sorted(ctl('SELECT tenant, status, to_version FROM tenant_migrate_all()')),
	'a1|applied|2 b1|applied|2 s1|applied|2', 'set-up: three tenants on two servers at 2');
# a set change brings this server's template along; server B's follows at its next tenant_create
ctl("SELECT tenant_create('b0', '$LOCB')");
is(B('tenancy_template_ctl', "SELECT string_agg(version, ',' ORDER BY version) FROM tenancy.applied"), '1,2',
	"set-up: server B's template is at 2 (after a tenant_create there)");

# ---- 1. tenant_migration_remove and the other server's template ------------------
is(sorted(ctl("SELECT tenant, status FROM tenant_rollback_all('2')")),
	'a1|rolled_back b0|rolled_back b1|rolled_back s1|rolled_back', 'remove: every tenant rolled back to before 2');
is(ctl("SELECT tenant_migration_remove('2', 'tenants')"), '1', 'remove: 2 leaves the set');
is(A('tenancy_template_ctl', "SELECT string_agg(version, ',' ORDER BY version) FROM tenancy.applied"), '1',
	"remove: this server's template undid 2");
is(B('tenancy_template_ctl', "SELECT string_agg(version, ',' ORDER BY version) FROM tenancy.applied")
	  . '|' . B('tenancy_template_ctl', "SELECT to_regclass('notes') IS NULL")
	  . '|' . B('tenancy_template_ctl', "SELECT count(*) FROM tenancy.catalog WHERE version = '2'"),
	'1|t|0', "remove: server B's template undid 2 too (its down) and forgot it");
ctl("SELECT tenant_create('b2', '$LOCB')");
is(B('b2', "SELECT string_agg(version, ',' ORDER BY version) FROM tenancy.applied") . '|'
	  . B('b2', "SELECT to_regclass('notes') IS NULL"),
	'1|t', 'remove: a tenant created on B afterwards never gets the removed version');
is(sorted(ctl('SELECT tenant, status, to_version FROM tenant_migrate_all()')),
	'a1|up_to_date|1 b0|up_to_date|1 b1|up_to_date|1 b2|up_to_date|1 s1|up_to_date|1',
	'remove: the next fan-out finds every tenant at 1');

# ---- 2. one tenant from the control database ---------------------------------------
ctl("SELECT tenant_migration_add('3', 'tags', 'CREATE TABLE tags (t text);', 'DROP TABLE tags;', 'tenants')");
ctl("SELECT count(*) FROM tenant_migrate_all(NULL, NULL, NULL, ARRAY['b1', 's1'])");
is(ctl("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM tenant_status('b1')"),
	'1:applied,3:applied', 'one tenant: tenant_status of a database tenant on the other server');
is(ctl("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM tenant_status('s1')"),
	'1:applied,3:applied', 'one tenant: tenant_status of a schema tenant (its own tracking tables)');
is(ctl("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM tenant_status('b2')"),
	'1:applied', 'one tenant: a tenant not in the wave is still at 1');
is(ctl("SELECT count(*) FROM tenant_history('s1') WHERE action = 'rollback' AND version = '2'"), '1',
	'one tenant: tenant_history of the schema tenant shows its rollback');
is(ctl("SELECT count(*) > 0 FROM tenant_checkpoints('b1')"), 't', 'one tenant: tenant_checkpoints of b1');
is(ctl("SELECT count(*) FROM tenant_verify('b1')"), '0', 'one tenant: tenant_verify of b1 finds no problems');
# the tenant itself is asked: a rollback inside b1 shows at once
B('b1', 'SELECT tenant_rollback()');
is(ctl("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM tenant_status('b1')"),
	'1:applied,3:pending', "one tenant: a rollback inside the tenant shows (the registry's cache is not read)");
is(tn_state_of($A, 'ctl', "SELECT * FROM tenant_status('nobody')"), '42704', 'one tenant: an unknown name is 42704');
$B->stop('fast');
is(tn_state_of($A, 'ctl', "SELECT * FROM tenant_history('b1')"), '08006',
	'one tenant: a stopped server is 08006');
like(tn_error_of($A, 'ctl', "SELECT * FROM tenant_history('b1')"), qr/tenant "b1" is unreachable/,
	'one tenant: the error says the tenant is unreachable');
$B->start;

# ---- 3. a look-alike "tenancy" in a tenant database is never called ------------------
tn_psql($A, 'postgres', ['CREATE ROLE evil LOGIN', 'CREATE DATABASE evildb OWNER evil']);
tn_psql($A, 'evildb', [
	'CREATE SCHEMA tenancy AUTHORIZATION evil',
	'SET ROLE evil',
	'CREATE TABLE tenancy.called (at timestamptz)',
	'CREATE FUNCTION tenancy.inspect_synced(what text, schema text DEFAULT NULL)'
	  . ' RETURNS TABLE (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text)'
	  . q{ LANGUAGE sql STABLE AS $$ SELECT 'evil', NULL, NULL, NULL, NULL, NULL, NULL $$}]);
tn_psql($A, 'ctl', ["INSERT INTO tenancy.tenants (name, kind, location, dbname) VALUES ('ev', 'database', NULL, 'evildb')"]);
my ($out, $err) = tn_psql($A, 'ctl', ["SELECT * FROM tenant_status('ev')"]);
unlike($out, qr/evil/, 'look-alike: its rows are never returned');
like($err, qr/tenant "ev" could not be read/, 'look-alike: the call fails, naming the tenant');

done_testing();
