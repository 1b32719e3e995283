# 002_schema.pl -- schema tenants of the registry on two clusters:
# create (bad names, an injection-shaped name, an existing schema, a reserved name,
# a rolled-back create), register (adopt), the tracking rows in tenancy.schema_*
# keyed by schema (1.4: no table per schema; the schema's owner cannot read or
# edit them, nor point tenancy.tenant_schema elsewhere),
# tenant_migrate_all over database + schema tenants with one schema failing, two
# schemas of one database locked independently (the same schema never twice),
# query_all / verify_all / dry_run_all / atomic over schemas, drop keep / delete,
# and a search_path hijack attempt.  Formerly tests/suites/55_pg_schema.sh: one
# assertion here for each check there.
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

my $A = tn_node('a');
my $B = tn_node('b');
my $LOCB = 'host=' . $B->host . ' port=' . $B->port . ' dbname=shared';

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub A { my $db = shift; return tn_out($A, $db, [@_]); }
sub B { my $db = shift; return tn_out($B, $db, [@_]); }
sub state_of { return tn_state_of($A, 'ctl', $_[0]); }
# the first two fields of every row, as "t|status t|status ..."
sub first_two { return join(' ', map { join('|', (split /\|/)[ 0, 1 ]) } split /\n/, $_[0]); }
sub row_of
{
	my ($text, $tenant) = @_;
	my ($line) = grep { /^\Q$tenant\E\|/ } split /\n/, $text;
	return [ split /\|/, $line // '', -1 ];
}
sub run_ok
{
	my ($what, @cmds) = @_;
	my (undef, undef, $rc) = tn_psql($A, 'ctl', [@cmds]);
	fail($what) if $rc;
}

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
my (undef, undef, $rc3) = tn_psql($B, 'postgres', ['CREATE DATABASE shared']);
BAIL_OUT('control database') if $rc1 || $rc2 || $rc3;
ctl("SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;', 'tenants')");

# ---- create ---------------------------------------------------------------------
run_ok("create $_", "SELECT tenant_create('$_', NULL, 'schema')") for qw(s1 s2 s3);
run_ok('create r1', "SELECT tenant_create('r1', '$LOCB', 'schema')");
run_ok('create d1', "SELECT tenant_create('d1')");
is(ctl("SELECT count(*) FILTER (WHERE kind = 'schema'), count(*) FILTER (WHERE version = '1' AND state = 'up_to_date') FROM tenants()"),
	'4|5', 'create: 4 schema tenants + 1 database tenant, all at 1');
is(ctl("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 's1'")
	  . '|' . ctl("SELECT string_agg(version, ',') FROM tenancy.schema_applied WHERE schema_name = 's1'"),
	'users|1', "create: the schema holds only the set's objects, its tracking rows are tenancy's (keyed s1)");
is(ctl('SELECT count(*) FROM tenancy.applied'), '0', "create: nothing written to the control db's own tracking tables");
is(B('shared', "SELECT to_regclass('r1.users') IS NOT NULL, (SELECT string_agg(version, ',') FROM tenancy.schema_applied WHERE schema_name = 'r1')"),
	't|1', 'create: remote schema in the database the location names');
is(ctl("SELECT kind, dbname, schema_name, location IS NULL FROM tenancy.tenants WHERE name = 's1'"),
	'schema|ctl|s1|t', 'create: registry row (kind, dbname, schema_name)');
is(state_of("SELECT tenant_create('Bad Name', NULL, 'schema')"), '42602', 'create: bad name refused (42602)');
is(state_of(q{SELECT tenant_create('x"; DROP TABLE y; --', NULL, 'schema')}), '42602',
	'create: injection-shaped name refused (42602)');
is(state_of("SELECT tenant_create('pg_x', NULL, 'schema')"), '42602', 'create: pg_ name refused (42602)');
ctl('CREATE SCHEMA taken');
is(state_of("SELECT tenant_create('taken', NULL, 'schema')"), '42P06', 'create: existing schema refused (42P06)');
is(ctl("SELECT count(*) FROM tenancy.tenants WHERE name = 'taken'") . '|'
	  . ctl("SELECT count(*) FROM pg_tables WHERE schemaname = 'taken'"),
	'0|0', 'create: ... nothing registered, the schema untouched');
is(state_of("SELECT tenant_create('public', NULL, 'schema')"), '42602', 'create: public refused (42602)');
is(state_of("SELECT tenant_create('s1', NULL, 'schema')"), '42710', 'create: duplicate tenant refused (42710)');
tn_psql($A, 'ctl',
	[ 'BEGIN', "SELECT tenant_create('rolled', NULL, 'schema')", "SELECT tenant_create('rrolled', '$LOCB', 'schema')", 'ROLLBACK' ],
	quiet => 1);
sleep 1;
is(ctl("SELECT count(*) FROM pg_namespace WHERE nspname = 'rolled'")
	  . B('shared', "SELECT count(*) FROM pg_namespace WHERE nspname = 'rrolled'")
	  . ctl("SELECT count(*) FROM tenancy.tenants WHERE name LIKE '%rolled'"),
	'000', 'create: rolled back transaction leaves no schema (local and remote)');
# a failing body half-way: nothing stays
ctl("SELECT tenant_migration_add('2', 'orders and seed', 'CREATE TABLE orders (id int); INSERT INTO users VALUES (1);', NULL, 'tenants')");
B('shared', 'CREATE SCHEMA other');
run_ok('create s4 at 2', "SELECT tenant_create('s4', NULL, 'schema')");
is(ctl("SELECT version FROM tenants() WHERE name = 's4'"), '2', 'create: new schema tenant at the newest version (2)');

# ---- register ---------------------------------------------------------------------
ctl('CREATE SCHEMA adopted', 'CREATE TABLE adopted.users (id int PRIMARY KEY)');
run_ok('register adopted', "SELECT tenant_register('adopted', NULL, 'schema')");
is(ctl("SELECT state, pending FROM tenants() WHERE name = 'adopted'") . '|'
	  . ctl("SELECT count(*) FROM pg_tables WHERE schemaname = 'adopted'"),
	'behind|2|1', 'register: adopted schema is behind by 2, no table added to it');
is(state_of("SELECT tenant_register('nosuch', NULL, 'schema')"), '3F000', 'register: unknown schema refused (3F000)');
ctl("INSERT INTO tenancy.schema_applied (schema_name, version, name, checksum, batch) SELECT 'adopted', version, name, checksum, 1 FROM tenancy.set_catalog WHERE version = '1'");

# ---- fan-out over database + schema tenants, one schema failing -----------------
ctl('INSERT INTO s2.users VALUES (1)');
my ($run1) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
my $s2 = row_of($run1, 's2');
is(tn_count($run1, qr/\|applied\|/) . '|' . tn_count($run1, qr/\|failed\|/) . '|' . join('|', map { $_ // '' } @$s2[ 1, 2, 3, 6 ]),
	'5|1|failed|1|1|TN002', 'migrate_all: 5 applied (s4 was up to date), s2 failed with TN002, from = to = 1');
is(ctl("SELECT to_regclass('s2.orders') IS NULL, (SELECT string_agg(version, ',') FROM tenancy.schema_applied WHERE schema_name = 's2')"), 't|1',
	'migrate_all: the failing schema rolled back (no orders, still at 1)');
is(ctl("SELECT to_regclass('s1.orders') IS NOT NULL AND to_regclass('s3.orders') IS NOT NULL AND to_regclass('adopted.orders') IS NOT NULL AND to_regclass('public.orders') IS NULL")
	  . '|' . B('shared', "SELECT string_agg(version, ',' ORDER BY version) FROM tenancy.schema_applied WHERE schema_name = 'r1'")
	  . '|' . A('d1', "SELECT to_regclass('orders') IS NOT NULL"),
	't|1,2|t', 'migrate_all: the others applied in their own schema / database');
is(ctl("SELECT count(*) FROM tenancy.schema_history WHERE schema_name = 's1' AND action = 'apply' AND version = '2'") . '|'
	  . ctl('SELECT count(*) FROM tenancy.history'),
	'1|0', "migrate_all: history in the schema's own rows");
ctl('DELETE FROM s2.users');
my ($run2) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
is(join(' ', sort split / /, first_two($run2)),
	'adopted|up_to_date d1|up_to_date r1|up_to_date s1|up_to_date s2|applied s3|up_to_date s4|up_to_date',
	'rerun: every tenant is asked (no cache decides), s2 applies now');

# ---- one tenant of any kind from the control database: tenant_rollback_all with a subset (issue 9) ----
# (the registry was made with 1.2: it is updated in place, with its tenants registered)
ctl('ALTER EXTENSION tenancy UPDATE');
ctl("SELECT tenant_migration_add('2', 'orders and seed', 'CREATE TABLE orders (id int); INSERT INTO users VALUES (1);', 'DROP TABLE orders; DELETE FROM users WHERE id = 1;', 'tenants')");
my ($rb) = tn_psql($A, 'ctl', [q{SELECT tenant, status, from_version, to_version, applied FROM tenant_rollback_all('2', NULL, ARRAY['s4', 'd1'])}], quiet => 1);
# rows come back as tenants finish (they run concurrently): compared sorted
is(join(' ', sort split /\n/, $rb), 'd1|rolled_back|2|1|1 s4|rolled_back|2|1|1',
	'rollback_all: a schema tenant and a database tenant back to before 2 (downs from the set)');
is(ctl("SELECT to_regclass('s4.orders') IS NULL, to_regclass('s3.orders') IS NOT NULL, (SELECT string_agg(version, ',') FROM tenancy.schema_applied WHERE schema_name = 's4')")
	  . '|' . A('d1', "SELECT to_regclass('orders') IS NULL"),
	't|t|1|t', "rollback_all: only the tenants named, each in its own schema / database");
is(ctl("SELECT string_agg(name || ':' || state || ':' || version, ',' ORDER BY name) FROM tenants() WHERE name IN ('s4', 'd1')"),
	'd1:behind:1,s4:behind:1', 'rollback_all: the registry says who is behind now');
my ($back) = tn_psql($A, 'ctl', [q{SELECT tenant, status FROM tenant_migrate_all(NULL, NULL, NULL, ARRAY['s4', 'd1'])}], quiet => 1);
is(join(' ', sort split /\n/, $back), 'd1|applied s4|applied', 'migrate_all with a subset brings them back');

# ---- locks: two schemas of one database at once, one schema never twice -------------
my $EMPTY = "(SELECT 'tnset1' || chr(10))";
my $holder = tn_start_psql($A, 'ctl',
	[ 'BEGIN', "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's1')", 'SELECT pg_sleep(4)', 'COMMIT' ]);
usleep(1_500_000);
my ($o3, $e3) = tn_psql($A, 'ctl',
	[ "SET lock_timeout = '500ms'", "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's3')" ], quiet => 1);
is(join("\n", grep { $_ ne '' } $o3, $e3), '0', 'locks: another schema of the same database migrates while s1 is held');
tn_psql($A, 'ctl', [ "SET lock_timeout = '500ms'", "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's1')" ],
	vars => ['VERBOSITY=sqlstate'], quiet => 1);
my (undef, $lockerr) = tn_psql($A, 'ctl',
	[ "SET lock_timeout = '500ms'", "SELECT applied FROM tenancy.migrate_synced($EMPTY, NULL, 'dry_run', 's1')" ],
	vars => ['VERBOSITY=sqlstate'], quiet => 1);
is(join("\n", map { /^ERROR: *(.*)/ ? $1 : () } split /\n/, $lockerr), '55P03', 'locks: the same schema waits (lock timeout, 55P03)');
my ($o4, $e4) = tn_psql($A, 'ctl', [ "SET lock_timeout = '500ms'", 'SELECT count(*) FROM tenant_dry_run()' ], quiet => 1);
is(join("\n", grep { $_ ne '' } $o4, $e4), '0', "locks: the database's own lock is apart (tenant_migrate in ctl)");
tn_finish_psql($holder);
ctl("SELECT tenant_migration_add('3', 'slow', 'SELECT pg_sleep(1); CREATE TABLE slow3 (id int);', NULL, 'tenants')");
my ($run3) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all(NULL, 4)'], quiet => 1);
is(tn_count($run3, qr/\|applied\|2\|3\|1\|/) . '|'
	  . ctl("SELECT count(*) FROM tenancy.schema_history WHERE schema_name IN ('s1', 's2', 's3') AND action = 'apply' AND version = '3'"),
	'7|3', 'concurrent fan-out over schemas of one database: all 7 applied once');

# ---- no-transaction migration in schema tenants (statements with the schema's search_path) ----
# (VACUUM: CREATE INDEX CONCURRENTLY in the control database would wait for the caller's own
# transaction; README says so)
ctl("SELECT tenant_migration_add('4', 'vacuum', '-- tenancy:no-transaction\nVACUUM users; CREATE TABLE notx4 (id int);', NULL, 'tenants')");
my ($run4) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
is(tn_count($run4, qr/\|applied\|3\|4\|1\|/) . '|'
	  . ctl("SELECT count(*) FROM pg_tables WHERE tablename = 'notx4' AND schemaname IN ('s1', 's2', 's3', 's4', 'adopted')")
	  . '|' . ctl("SELECT to_regclass('public.notx4') IS NULL"),
	'7|5|t', "no-transaction migration: applied in all 7, each schema got its own table");

# ---- query_all, verify_all, dry_run_all, atomic ----------------------------------------
ctl('INSERT INTO s1.users VALUES (2), (3)', 'INSERT INTO s3.users VALUES (2)');
is(ctl(q{SELECT string_agg(tenant || '=' || ("row"->>'n'), ',' ORDER BY tenant) FROM tenant_query_all('SELECT count(*) AS n FROM users')}),
	'adopted=1,d1=1,r1=1,s1=3,s2=1,s3=2,s4=1', 'query_all: runs in each schema (its own users table)');
is(ctl("SELECT count(*) FILTER (WHERE status = 'ok' AND version = '4' AND pending = 0) FROM tenant_verify_all()"), '7',
	'verify_all: every tenant ok at 4');
ctl('CREATE TABLE s3.blocker (id int)');
ctl("SELECT tenant_migration_add('5', 'blocker', 'CREATE TABLE blocker (id int);', NULL, 'tenants')");
my ($dry) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_dry_run_all()'], quiet => 1);
is((row_of($dry, 's3')->[1] // '') . '|' . tn_count($dry, qr/\|applied\|/) . '|' . ctl("SELECT to_regclass('s1.blocker') IS NULL"),
	'failed|6|t', 'dry_run_all: s3 would fail, 6 would apply, nothing applied');
ctl('DROP TABLE s3.blocker');
my ($atomic) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all_atomic()'], quiet => 1);
is(tn_count($atomic, qr/\|applied\|/) . '|' . ctl("SELECT count(*) FROM pg_tables WHERE tablename = 'blocker'") . '|'
	  . ctl('SELECT count(*) FROM pg_prepared_xacts'),
	'7|5|0', 'atomic: all 7 (5 schemas in one database) committed');

# ---- search_path hijack attempts ------------------------------------------------------
# in public of the control db: an "=" on text that is always false, a clock that lies;
# in the tenant schema (created by a migration body): the same.
tn_psql($A, 'ctl', [], stdin => <<'SQL');
CREATE FUNCTION public.texteq_false(text, text) RETURNS bool LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.texteq_false);
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$;
SQL
ctl(q{SELECT tenant_migration_add('6', 'hijack', 'CREATE FUNCTION texteq_false(text, text) RETURNS bool LANGUAGE sql AS ''SELECT false''; CREATE OPERATOR = (LEFTARG = text, RIGHTARG = text, FUNCTION = texteq_false); CREATE FUNCTION clock_timestamp() RETURNS timestamptz LANGUAGE sql AS ''SELECT ''''2000-01-01''''::timestamptz'';', NULL, 'tenants')});
ctl("SELECT tenant_migration_add('7', 'after', 'CREATE TABLE after7 (id int);', NULL, 'tenants')");
my ($hijack) = tn_psql($A, 'ctl', [ 'SET search_path = public, pg_catalog', 'SELECT * FROM tenant_migrate_all()' ], quiet => 1);
is(ctl("SELECT count(*) FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE o.oprname = '=' AND n.nspname = 's1'"),
	'1', 'hijack: the operator landed in the tenant schema (bodies use its search_path)');
is(tn_count($hijack, qr/\|applied\|5\|7\|2\|/) . '|'
	  . ctl("SELECT string_agg(version, ',' ORDER BY version::int) FROM tenancy.schema_applied WHERE schema_name = 's1'") . '|'
	  . ctl("SELECT bool_and(applied_at > '2020-01-01') FROM tenancy.schema_applied WHERE schema_name = 's1'"),
	'7|1,2,3,4,5,6,7|t', 'hijack: every tenant applied 6 and 7, tracked correctly');
ctl("SELECT tenant_migration_add('8', 'later', 'CREATE TABLE later8 (id int);', NULL, 'tenants')");
my ($h2out, $h2err) = tn_psql($A, 'ctl', [ 'SET search_path = s1, public, pg_catalog', 'SELECT * FROM tenant_migrate_all()' ], quiet => 1);
is(tn_count("$h2out\n$h2err", qr/\|applied\|7\|8\|1\|/) . '|'
	  . ctl("SELECT count(*), max(c) FROM (SELECT version, count(*) c FROM tenancy.schema_history WHERE schema_name = 's1' AND action = 'apply' GROUP BY version) h"),
	'7|7|1', 'hijack: a later run is unaffected (only 8 runs, nothing applied twice)');
is(ctl("SELECT count(*) FILTER (WHERE status = 'ok') FROM tenant_verify_all()"), '7', 'hijack: verify_all still ok everywhere');

# ---- drop ---------------------------------------------------------------------------
ctl("SELECT tenant_drop('s3')");
is(ctl("SELECT count(*) FROM tenancy.tenants WHERE name = 's3'") . '|' . ctl("SELECT count(*) FROM pg_namespace WHERE nspname = 's3'"),
	'0|1', 'drop keep: unregistered, schema kept');
ctl("SELECT tenant_drop('s1', 'delete')", "SELECT tenant_drop('r1', 'delete')");
is(ctl("SELECT count(*) FROM pg_namespace WHERE nspname IN ('s1', 's2')") . '|'
	  . B('shared', "SELECT count(*) FROM pg_namespace WHERE nspname IN ('r1', 'other')"),
	'1|1', 'drop delete: schemas dropped (local and remote), the rest untouched');
ctl('BEGIN', "SELECT tenant_drop('s2', 'delete')", 'ROLLBACK');
is(ctl("SELECT count(*) FROM pg_namespace WHERE nspname = 's2'") . ctl("SELECT count(*) FROM tenancy.tenants WHERE name = 's2'"),
	'11', 'drop delete of a local schema rolls back with the caller');
is(ctl("SELECT count(*) FILTER (WHERE action = 'create' AND detail LIKE 'schema%'), count(*) FILTER (WHERE action = 'register' AND detail LIKE 'schema%'), count(*) FILTER (WHERE action LIKE 'drop%') FROM tenancy.audit"),
	'5|1|3', "audit: schema tenants' create/register/drop recorded");
is(A('postgres', "SELECT count(*) FROM pg_stat_activity WHERE datname IN ('ctl', 'd1') AND pid <> pg_backend_pid() AND backend_type = 'client backend'"),
	'0', 'no connection left open by the fan-outs');

# ---- 1.4: the tracking rows are tenancy's (issues 7 and 14) ------------------------------
is(ctl("SELECT count(*) FROM tenancy.schema_applied WHERE schema_name = 's1'")
	  . B('shared', "SELECT count(*) FROM tenancy.schema_applied WHERE schema_name = 'r1'"),
	'00', "drop delete: the schema's tracking rows go with it (local and remote)");
ctl('CREATE ROLE alice LOGIN', 'ALTER SCHEMA s4 OWNER TO alice', 'GRANT USAGE ON SCHEMA tenancy TO alice');
# (a SET before the module is loaded is only a placeholder, dropped with a WARNING when it loads)
is(join(',',
		map { tn_state_of($A, 'ctl', $_, user => 'alice') } "DELETE FROM tenancy.schema_applied WHERE schema_name = 's4'",
		'SELECT count(*) FROM tenancy.tenant_applied',
		"SET tenancy.tenant_schema = 's2'; SELECT count(*) FROM tenancy.tenant_applied"),
	'42501,42501,42501',
	"owner: the schema's owner can neither read nor edit its tracking rows");
# a body that points the setting at another schema: as the owner (alice) it is refused, as a
# superuser it runs, and the tracking rows still land in the body's own schema
ctl(q{SELECT tenant_migration_add('9', 'point elsewhere', 'SELECT pg_catalog.set_config(''tenancy.tenant_schema'', ''s2'', true); CREATE TABLE t9 (id int);', NULL, 'tenants')});
my ($run9) = tn_psql($A, 'ctl', ['SELECT * FROM tenant_migrate_all()'], quiet => 1);
is((row_of($run9, 's4')->[1] // '') . '|'
	  . ($run9 =~ /SQLSTATE 42501: permission denied to set parameter "tenancy.tenant_schema"/ ? 'refused' : 'not refused') . '|'
	  . (row_of($run9, 'adopted')->[1] // '') . '|'
	  . ctl("SELECT string_agg(schema_name || '=' || n, ',' ORDER BY schema_name) FROM (SELECT schema_name, count(*) n FROM tenancy.schema_applied WHERE version = '9' GROUP BY 1) x"),
	'failed|refused|applied|adopted=1,s2=1', "setting: refused in the owner's body, and a superuser's body cannot move tracking rows");
# a schema dropped by hand leaves its rows behind (drop 'keep'); a new schema tenant of that name starts clean
ctl('DROP SCHEMA s3 CASCADE');
run_ok('create s3 again', "SELECT tenant_create('s3', NULL, 'schema')");
is(ctl("SELECT version FROM tenants() WHERE name = 's3'") . '|'
	  . ctl("SELECT count(*) FILTER (WHERE action = 'apply'), count(DISTINCT version) FILTER (WHERE action = 'apply') FROM tenancy.schema_history WHERE schema_name = 's3'"),
	'3|3|3', 'create (to 3: 4 runs outside a transaction): rows left by an earlier schema of that name are forgotten (each version applied once)');
# drop 'keep' then register: the kept rows count
ctl("SELECT tenant_drop('s2')");
run_ok('register s2 again', "SELECT tenant_register('s2', NULL, 'schema')");
is(ctl("SELECT state, version FROM tenants() WHERE name = 's2'"), 'up_to_date|9', 'register: rows kept by drop keep count');
is(ctl("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'tenancy\\_%' AND schemaname <> 'tenancy'"), '0',
	'no tracking table in any tenant schema');

# ---- 1.3 -> 1.4: each schema's tenancy_* rows move into tenancy.schema_* -----------------------
tn_psql($A, 'postgres', ['CREATE DATABASE up']);
tn_psql($A, 'up', [ "CREATE EXTENSION tenancy VERSION '1.3'",
	"SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int PRIMARY KEY);', NULL, 'tenants')",
	"SELECT tenant_create('u1', NULL, 'schema')", "SELECT tenant_create('u2', NULL, 'schema')",
	"SELECT tenant_create('u3', NULL, 'schema')", 'ALTER TABLE u3.tenancy_applied OWNER TO alice' ]);
is(A('up', "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'tenancy\\_%' AND schemaname IN ('u1', 'u2', 'u3')"), '12',
	'1.3: four tracking tables per schema tenant');
my (undef, $uperr) = tn_psql($A, 'up', ['ALTER EXTENSION tenancy UPDATE'], quiet => 1);
is(A('up', "SELECT extversion = default_version FROM pg_extension, pg_available_extensions WHERE extname = 'tenancy' AND name = 'tenancy'") . '|'
	  . A('up', "SELECT string_agg(schema_name || ':' || version, ',' ORDER BY schema_name) FROM tenancy.schema_applied") . '|'
	  . A('up', "SELECT string_agg(DISTINCT schemaname, ',') FROM pg_tables WHERE tablename LIKE 'tenancy\\_%'"),
	't|u1:1,u2:1|u3', 'upgrade (to the default version): rows of u1, u2 moved and their tables dropped; u3 (a table owned by another role) left alone');
like($uperr, qr/WARNING:  tracking tables of schema "u3" were not moved/, 'upgrade: ... with a warning naming u3');
tn_psql($A, 'up', ["SELECT tenant_migration_add('2', 'orders', 'CREATE TABLE orders (id int);', NULL, 'tenants')"]);
my ($uprun) = tn_psql($A, 'up', ["SELECT * FROM tenant_migrate_all() WHERE tenant IN ('u1', 'u2')"], quiet => 1);
is(join(' ', sort split / /, first_two($uprun)) . '|' . A('up', "SELECT count(*) FROM tenancy.schema_history WHERE schema_name = 'u1' AND action = 'apply'"),
	'u1|applied u2|applied|2', 'upgrade: the moved schemas migrate on from where they were, history kept');

done_testing();
