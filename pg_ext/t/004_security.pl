# 004_security.pl -- the attacks of issue 7 on PostgreSQL, each an assertion that failed on
# the code before its fix (SECURITY.md states the model they check): two clusters (A holds
# the control database, B asks every role but postgres for a password) and two hostile fake
# servers (../tests/security/fake_pg.py: one asks for a cleartext password, one never
# answers).  Formerly the cluster half of tests/suites/60_security.sh (which keeps the
# SQLite files of finding 12): one assertion here for each check there.
# Must not: run as root (PostgreSQL refuses), depend on a server it did not start, or
# leave a fake server running.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use File::Temp qw(tempdir);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use TenancyTest;

my $root = "$FindBin::RealBin/../..";
my $A = tn_node('a');
my $B = tn_node('b');
my ($B_SOCK, $B_PORT) = ($B->host, $B->port);
my $OUT = $PostgreSQL::Test::Utils::tmp_check . '/security';
mkdir $OUT;

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub ctlq { return tn_out($A, 'ctl', [@_], quiet => 1); }
sub A { my $db = shift; return tn_out($A, $db, [@_]); }
sub Aq { my $db = shift; return tn_out($A, $db, [@_], quiet => 1); }
sub as { my $role = shift; return tn_out($A, 'ctl', [@_], user => $role, quiet => 1); }
sub as_pw { my ($role, $pw) = (shift, shift); local $ENV{PGPASSWORD} = $pw; return as($role, @_); }
# the SQLSTATE of what a statement raises as a role
sub state_as { my ($role, $sql) = @_; return tn_state_of($A, 'ctl', $sql, user => $role); }
sub state_pw { my ($role, $pw, $sql) = @_; local $ENV{PGPASSWORD} = $pw; return state_as($role, $sql); }
# the SQLSTATE of the last error of several commands (-v VERBOSITY=sqlstate)
sub state_cmds
{
	my ($node, $db, $user, @cmds) = @_;
	my (undef, $err) = tn_psql($node, $db, [@cmds], user => $user, vars => ['VERBOSITY=sqlstate'], quiet => 1);
	return $err =~ /^ERROR: *(\S+)/m ? $1 : '';
}
sub absent { my ($name, $needle, $hay) = @_; ok(index($hay, $needle) < 0, $name) or diag("found: $needle"); }
sub rolsuper { my ($r) = @_; return A('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = '$r'"); }
sub slurp { my ($f) = @_; open(my $fh, '<', $f) or return ''; local $/; my $s = <$fh>; close $fh; return $s; }
# stdout and stderr of commands on ctl together (psql's 2>&1 into a file, as the bash suite kept them)
sub ctl_all { my (@cmds) = @_; my ($o, $e) = tn_psql($A, 'ctl', [@cmds], quiet => 1); return "$e$o"; }

# B asks every role but postgres for a password (scram)
open(my $hba, '>', $B->data_dir . '/pg_hba.conf') or die;
print $hba "local all postgres trust\nlocal all all scram-sha-256\n";
close $hba;
$B->reload;
tn_out($B, 'postgres', [ "CREATE ROLE bsuper SUPERUSER LOGIN PASSWORD 'BsuperPw9'",
	"CREATE ROLE mallory LOGIN PASSWORD 'MalloryPw7'", 'CREATE DATABASE bdb' ]);
# the administrator's passfile on A's machine, readable by the server's OS user
my $PASSFILE = $A->basedir . '/admin.pgpass';
open(my $pf, '>', $PASSFILE) or die;
print $pf "*:*:*:bsuper:BsuperPw9\n*:*:*:*:AdminSecretPw\n";
close $pf;
chmod 0600, $PASSFILE;
# hostile fake servers (Unix sockets only)
my $FAKE = tempdir('tenancy_fake.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @fakes;
for my $f ([ 'cleartext', 55472 ], [ 'hang', 55473 ])
{
	push @fakes, IPC::Run::start([ 'python3', "$root/tests/security/fake_pg.py", $f->[0], $FAKE, $f->[1], "$OUT/$f->[0].log" ],
		'<', \'', '>', \my $o, '2>', \my $e);
}
for (1 .. 50) { last if -S "$FAKE/.s.PGSQL.55472" && -S "$FAKE/.s.PGSQL.55473"; usleep(100_000); }
END { local $?; $_->kill_kill for @fakes; }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;
ctl("SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int);', NULL, 'tenants')");
A('postgres', 'CREATE ROLE mallory LOGIN');
# mallory may register tenants and query them: the documented capability
ctl("SELECT tenancy.grant_capability('mallory', 'admin')");

# ---- finding 1: a non-superuser borrows the server's passfile ----
my $LOC_SUPER = "host=$B_SOCK port=$B_PORT user=bsuper dbname=bdb passfile=$PASSFILE";
as('mallory', "SELECT tenant_register('f1super', '$LOC_SUPER')");
ctl("INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('f1row', '$LOC_SUPER', 'bdb') ON CONFLICT DO NOTHING");
absent("1: a non-superuser's location cannot name the server's passfile (no session as bsuper)", 'bsuper',
	as('mallory', q{SELECT "row"->>'u' FROM tenant_query_all('SELECT current_user AS u')}));
ctl("DELETE FROM tenancy.tenants WHERE name IN ('f1super', 'f1row')");
ctl("INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('f1fake', 'host=$FAKE port=55472 user=anyone passfile=$PASSFILE', 'x')");
as('mallory', q{SELECT * FROM tenant_query_all('SELECT 1')});
absent('1: a fake server asking for a cleartext password gets nothing from the server\'s passfile', 'AdminSecretPw',
	slurp("$OUT/cleartext.log"));
ctl("UPDATE tenancy.tenants SET location = 'host=$FAKE port=55472 user=anyone service=nosuch' WHERE name = 'f1fake'");
is(state_as('mallory', "SELECT tenant_register('f1svc', 'host=$B_SOCK port=$B_PORT service=x')"), '42501',
	'1: service= refused for a non-superuser (42501)');
is(state_as('mallory', "SELECT tenant_register('f1ssl', 'host=$B_SOCK port=$B_PORT sslkey=/etc/ssl/private/ssl-cert-snakeoil.key')"),
	'42501', '1: sslkey= refused for a non-superuser (42501)');
ctl("DELETE FROM tenancy.tenants WHERE name = 'f1fake'");
# with its own user mapping, the same role reaches B as itself, and only as itself
ctl('CREATE SERVER IF NOT EXISTS tenancy FOREIGN DATA WRAPPER tenancy_fdw', 'GRANT USAGE ON FOREIGN SERVER tenancy TO mallory');
as('mallory', "CREATE USER MAPPING FOR CURRENT_USER SERVER tenancy OPTIONS (user 'mallory', password 'MalloryPw7')");
ctl("INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('f1own', 'host=$B_SOCK port=$B_PORT user=bsuper', 'bdb')");
is(as('mallory', q{SELECT "row"->>'u' FROM tenant_query_all('SELECT current_user AS u')}), 'mallory',
	'1: with its own user mapping a non-superuser connects, as the mapping\'s user');
ctl("DELETE FROM tenancy.tenants WHERE name = 'f1own'");

# ---- finding 6: tenancy.* settings are defined; self_conninfo is superuser-only ----
is(state_cmds($A, 'ctl', 'mallory', 'SELECT count(*) FROM tenants()', "SET tenancy.self_conninfo = 'host=$B_SOCK port=$B_PORT user=postgres'"),
	'42501', '6: a non-superuser cannot SET tenancy.self_conninfo (42501)');
{
	my ($o) = tn_psql($A, 'ctl', [ "SET tenancy.self_conninfo = 'host=$B_SOCK port=$B_PORT user=postgres'",
		'SELECT count(*) >= 0 FROM tenants()', q{SELECT current_setting('tenancy.self_conninfo') = ''} ], user => 'mallory', quiet => 1);
	is($o, "t\nt", '6: a value SET before the module loaded is dropped for a non-superuser');
}
is(state_cmds($A, 'ctl', 'postgres', 'SELECT count(*) FROM tenants()', "SET tenancy.self_connifo = 'x'"), '42602',
	'6: a misspelt tenancy.* setting is an error (42602), not a placeholder');
# the rollback of tenant_create connects exactly as its forward path did
tn_out($B, 'postgres', ['CREATE DATABASE bvictim6']);
ctl_all('BEGIN', q{SELECT tenant_create('bvictim6')}, "SET tenancy.self_conninfo = 'host=$B_SOCK port=$B_PORT user=postgres'", 'ROLLBACK');
usleep(1_500_000);
is(tn_out($B, 'postgres', [q{SELECT count(*) FROM pg_database WHERE datname = 'bvictim6'}])
	  . A('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'bvictim6'}),
	'10', '6: a self_conninfo SET after tenant_create does not redirect its rollback (B\'s database survives, A\'s clone is dropped)');
ctl_all('BEGIN', "SELECT tenant_create('orphan1', 'port=" . $A->port . "')", 'ROLLBACK');
usleep(1_500_000);
is(A('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'orphan1'}), '0',
	'6: tenant_create with a partial location (\'port=...\') + ROLLBACK leaves no database behind');

# ---- finding 9: settings are values, never spliced into libpq options ----
ctl("INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('b9', 'host=$B_SOCK port=$B_PORT', 'bdb')");
is(state_cmds($A, 'ctl', 'postgres', 'SELECT count(*) FROM tenants()', "SET tenancy.lock_timeout = '30000 -c search_path=injected'"),
	'22023', '9: tenancy.lock_timeout with \'-c ...\' appended is refused (22023)');
{
	my ($o) = tn_psql($A, 'ctl', [ "SET tenancy.statement_timeout = '0 -c search_path=injected'",
		q{SELECT "row" FROM tenant_query_all('SELECT current_setting(''search_path'') AS p')} ], vars => ['ON_ERROR_STOP=0'], quiet => 1);
	absent('9: nothing from a setting reaches a tenant session\'s search_path', 'injected', $o);
}
is(ctl("SET tenancy.lock_timeout = '2s'", q{SELECT "row"->>'t' FROM tenant_query_all('SELECT current_setting(''lock_timeout'') AS t')}),
	'2s', '9: a timeout with a unit is accepted and passed as a number');
ctl("DELETE FROM tenancy.tenants WHERE name = 'b9'");

# ---- finding 10: a malformed location's password is never echoed ----
absent('10: a malformed URI\'s password is not in the error', 'Hunter2',
	ctl_all(q{SELECT tenant_register('x10', 'postgresql://bob:Hunter2%ZZsecret@localhost/db')}));
is(state_as('postgres', q{SELECT tenant_register('x10', 'postgresql://bob:Hunter2%ZZsecret@localhost/db')}), '22023',
	'10: ... which is still refused (22023)');
absent('10: nor in the error of a bad tenancy.self_conninfo', 'Hunter3',
	ctl_all(q{SET tenancy.self_conninfo = 'postgresql://bob:Hunter3%ZZsecret@localhost/db'}));
usleep(300_000);
absent('10: nor in the server log (other than the caller\'s own STATEMENT lines)', 'Hunter',
	join("\n", grep { !/STATEMENT:/ } split /\n/, slurp($A->logfile)));

# ---- finding 7: cancel and terminate stop a call whose tenant never answers ----
ctl("INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('hung', 'host=$FAKE port=55473', 'x')");
sub f7_active { return A('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE application_name = 'f7' AND state = 'active'}); }
# start tenant_query_all in the background; wait until it is waiting on the fake server
sub hung_call
{
	my $run = tn_start_psql($A, 'ctl', [ q{SET application_name = 'f7'}, q{SELECT * FROM tenant_query_all('SELECT 1')} ]);
	for (1 .. 100)
	{
		last if f7_active() eq '1' && slurp("$OUT/hang.log") =~ /login/;
		usleep(100_000);
	}
	usleep(500_000);
	return $run;
}
# ms until no f7 backend is active any more after the signal
sub stop_time
{
	my ($fn) = @_;
	my $t0 = time;
	A('postgres', qq{SELECT $fn(pid) FROM pg_stat_activity WHERE application_name = 'f7'});
	for (1 .. 60)
	{
		last if f7_active() eq '0';
		usleep(50_000);
	}
	return int((time - $t0) * 1000);
}
for my $fn (qw(pg_cancel_backend pg_terminate_backend))
{
	my $run = hung_call();
	my $ms = stop_time($fn);
	ok($ms < 1000, "7: $fn stops a call on a never-answering server within 1 s (took $ms ms)");
	A('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'f7'});
	tn_finish_psql($run);
}
ctl("DELETE FROM tenancy.tenants WHERE name = 'hung'");

# ---- finding 2: registry tables are written by tenancy's functions only; the fan-out
# calls only the tenancy extension's functions in a tenant ----
A('postgres', 'CREATE ROLE owner2 LOGIN', 'CREATE DATABASE f2db OWNER owner2');
tn_out($A, 'f2db', [ 'CREATE SCHEMA tenancy', q{CREATE FUNCTION tenancy.migrate_synced(text, text, text, text)
	RETURNS TABLE (from_version text, to_version text, applied bigint, error text) LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE owner2 SUPERUSER'; RETURN QUERY SELECT NULL::text, NULL::text, 0::bigint, NULL::text; END $$} ],
	user => 'owner2');
# a row that got there somehow (1.2 let a granted role INSERT it)
ctl(q{INSERT INTO tenancy.tenants (name, dbname) VALUES ('f2', 'f2db')});
my $f2 = ctl_all('SELECT tenant, status, sqlstate FROM tenant_migrate_all()');
is(rolsuper('owner2'), 'f', '2: a tenant database owner\'s fake tenancy.migrate_synced is not called by the fan-out');
is(tn_count($f2, qr/^f2\|failed\|42501/), 1, '2: ... the tenant is reported failed (42501)');
# issue 14: a fan-out reads a database tenant's tracking tables itself (the no-op probe); the
# owner's views in their place, calling their code, are never read by the caller
tn_out($A, 'f2db', [ q{CREATE FUNCTION tenancy.grab() RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE owner2 SUPERUSER'; RETURN '1'; END $$},
	q{CREATE VIEW tenancy.catalog AS SELECT tenancy.grab() AS version, 'm'::text AS name, 'c'::text AS checksum,
		NULL::text AS down_sql, 0::bigint AS flags},
	q{CREATE VIEW tenancy.applied AS SELECT tenancy.grab() AS version, 'm'::text AS name, 'c'::text AS checksum,
		now() AS applied_at, 0::bigint AS duration_ms, 1::bigint AS batch} ], user => 'owner2');
$f2 = ctl_all('SELECT tenant, status, sqlstate FROM tenant_migrate_all()', 'SELECT tenant, status FROM tenant_verify_all()');
is(rolsuper('owner2'), 'f', '2: views the tenant owner put in place of tenancy.catalog/applied are not read by the fan-out');
is(tn_count($f2, qr/^f2\|failed\|42501/), 1, '2: ... migrate_all reports the tenant failed (42501)');
is(tn_count($f2, qr/^f2\|ok/), 0, '2: ... verify_all does not report it ok');
ctl(q{DELETE FROM tenancy.tenants WHERE name = 'f2'});
is(state_as('mallory', q{INSERT INTO tenancy.tenants (name, dbname) VALUES ('direct', 'postgres')}), '42501',
	'2: a role with the admin capability cannot INSERT into tenancy.tenants directly (42501)');
is(state_as('postgres', q{INSERT INTO tenancy.tenants (name, location, dbname) VALUES ('uri', 'postgresql://u:Secr3tUri@localhost/db', 'db')}),
	'23514', '2: a URI password cannot be stored in tenancy.tenants even by a direct INSERT (23514)');

# ---- finding 8: every tenant of tenant_query_all gets its own READ ONLY transaction ----
ctl(q{SELECT tenant_create('s8a', NULL, 'schema')}, q{SELECT tenant_create('s8b', NULL, 'schema')});
my $Q8 = q{SELECT CASE WHEN pg_catalog.current_setting('default_transaction_read_only') = 'on'
	THEN pg_catalog.set_config('default_transaction_read_only', 'off', false)
	ELSE pg_catalog.lo_from_bytea(0, '\x41'::bytea)::text END AS x};
ctl_all("SELECT * FROM tenant_query_all(\$q\$$Q8\$q\$, 1)");
is(ctl('SELECT count(*) FROM pg_largeobject_metadata'), '0',
	'8: a query that turns the session read-write cannot write in the next schema tenant of the same session');
ctl_all(q{SELECT tenant_drop('s8a', 'delete')}, q{SELECT tenant_drop('s8b', 'delete')});

# ---- finding 3: adopting a schema never reads tracking "tables" its owner made ----
A('postgres', 'CREATE ROLE owner3 LOGIN');
ctl('CREATE SCHEMA initech AUTHORIZATION owner3');
tn_out($A, 'ctl', [ q{CREATE FUNCTION initech.evil() RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE owner3 SUPERUSER'; RETURN false; END $$},
	q{CREATE VIEW initech.tenancy_catalog AS SELECT NULL::text AS version, NULL::text AS name, NULL::text AS up_sql,
	NULL::text AS down_sql, NULL::text AS checksum, 0::bigint AS flags, NULL::text AS source, now() AS added_at WHERE initech.evil()} ],
	user => 'owner3');
# (1.4, issue 14: a schema tenant's tracking rows are in tenancy.schema_*; its own tenancy_* are never read)
is(state_as('postgres', q{SELECT tenant_register('initech', NULL, 'schema')}), '',
	'3: adopting a schema whose tenancy_catalog is its owner\'s view never reads the view');
is(rolsuper('owner3'), 'f', '3: ... and the owner\'s function did not run as the caller');

# ---- finding 5: a fan-out runs the tenant set only; bodies are re-hashed before they run ----
A('postgres', 'CREATE ROLE app5 NOLOGIN');
ctl(q{SELECT tenant_create('t5')});
# someone with migrator rights inside the tenant adds a version of its own
A('t5', q{SELECT tenant_migration_add('4', 'x', 'ALTER ROLE app5 SUPERUSER')});
# the administrator adds a set version, so t5 is behind and the next fan-out reaches it
ctl(q{SELECT tenant_migration_add('3', 'three', 'CREATE TABLE three5 (id int);', NULL, 'tenants')});
my $f5 = ctl_all('SELECT tenant, status, error FROM tenant_migrate_all()');
is(rolsuper('app5'), 'f', '5: the administrator\'s fan-out does not run a tenant-local pending version');
is(tn_count($f5, qr/^t5\|failed\|pending migration "4" of this tenant is not in the tenant set/), 1,
	'5: ... it reports the tenant failed, naming the version');
ctl(q{SELECT tenant_migration_add('2', 'two', 'CREATE TABLE two5 (id int);')});
ctl(q{UPDATE tenancy.catalog SET up_sql = 'ALTER ROLE app5 SUPERUSER' WHERE version = '2'});
is(state_as('postgres', 'SELECT tenant_migrate()') . '|' . rolsuper('app5'), 'TN001|f',
	'5: a catalog body rewritten behind tenancy\'s back is refused (TN001), not run');

# ---- finding 4: a fan-out's bodies run as the tenant's owner, in trusted schemas only ----
A('postgres', 'CREATE ROLE r4 LOGIN', 'CREATE ROLE owner4 LOGIN', 'CREATE DATABASE t4db OWNER owner4');
ctl(q{SELECT tenant_create('globex', NULL, 'schema')}, 'GRANT USAGE, CREATE ON SCHEMA globex TO r4');
tn_out($A, 'ctl', [ q{CREATE FUNCTION globex.lower(text) RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE r4 SUPERUSER'; RETURN $1; END $$} ], user => 'r4');
ctl(q{SELECT tenant_register('t4', 'dbname=t4db')});
tn_out($A, 't4db', [ 'CREATE SCHEMA evil4', q{CREATE FUNCTION evil4.lower(text) RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN EXECUTE 'ALTER ROLE owner4 SUPERUSER'; RETURN $1; END $$}, 'ALTER DATABASE t4db SET search_path = evil4, pg_catalog, public' ],
	user => 'owner4');
ctl(q{SELECT tenant_migration_add('6', 'lower', 'SELECT lower(''X'');', NULL, 'tenants')});
my $f4 = ctl_all('SELECT tenant, status, error FROM tenant_migrate_all()');
is(rolsuper('r4'), 'f', '4: a role with CREATE in a schema tenant cannot shadow lower() for the administrator\'s fan-out');
is(tn_count($f4, qr/schema "globex" of the search_path of the tenant.s migrations is not trusted/), 1,
	'4: ... the schema tenant is refused: its search_path has an untrusted schema');
is(rolsuper('owner4'), 'f', '4: a tenant database owner\'s ALTER DATABASE ... SET search_path runs nothing with the caller\'s rights');

# ---- sweep: a role holding exactly one capability tries the escalations above ----
# "count:functions" whose EXECUTE for role $r differs from what tenancy.capabilities() gives $cap
sub outside_model
{
	my ($r, $cap) = @_;
	return ctl(qq{WITH listed AS (
		SELECT c.capability, (CASE WHEN c.object LIKE 'tenancy.%' THEN c.object
			ELSE e.extnamespace::regnamespace::text || '.' || c.object END)::regprocedure::oid AS p
		  FROM tenancy.capabilities() c, pg_extension e WHERE e.extname = 'tenancy' AND c.kind = 'function'),
	  ext AS (SELECT d.objid AS p FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
		 WHERE e.extname = 'tenancy' AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e')
	SELECT count(*) || ':' || coalesce(string_agg(ext.p::regprocedure::text, ', '), '') FROM ext
	 WHERE has_function_privilege('$r', ext.p, 'EXECUTE') IS DISTINCT FROM
		   EXISTS (SELECT 1 FROM listed l WHERE l.p = ext.p AND l.capability = ANY (tenancy.capability_closure('$cap')))});
}
for my $cap (qw(reader migrator admin))
{
	my $r = "sw_$cap";
	A('postgres', "CREATE ROLE $r LOGIN");
	ctl("SELECT tenancy.grant_capability('$r', '$cap')");
	my $refused = 0;
	for my $setting (qw(self_conninfo test_atomic_pause))
	{
		# tenants() (every capability holds it) loads the module first, so the SET meets its check
		my (undef, $err) = tn_psql($A, 'ctl', [ 'SELECT count(*) FROM tenants()',
			"SET tenancy.$setting = 'host=$B_SOCK port=$B_PORT user=postgres'" ],
			user => $r, vars => [ 'VERBOSITY=sqlstate', 'ON_ERROR_STOP=0' ], quiet => 1);
		my @states = $err =~ /^ERROR: *(\S+)/mg;
		$refused++ if @states && $states[-1] eq '42501';
	}
	is($refused, 2, "sweep $cap: no tenancy.* setting that redirects connections can be set");
	my $wrote = 0;
	for my $t (qw(tenants audit runs run_tenants set_catalog set_applied set_history set_checkpoints))
	{
		for my $sql ("INSERT INTO tenancy.$t DEFAULT VALUES", "DELETE FROM tenancy.$t")
		{
			my (undef, undef, $rc) = tn_psql($A, 'ctl', [$sql], user => $r, quiet => 1);
			$wrote++ if $rc == 0;
		}
	}
	# (a migrator writes this database's own tracking tables by design: SECURITY.md, known limit)
	is($wrote, 0, "sweep $cap: no registry or tenant-set table is writable directly");
	is(state_as($r, "SELECT tenant_register('sw_$cap', '$LOC_SUPER')"), '42501',
		"sweep $cap: a location naming the server's passfile is refused (42501)");
	tn_psql($A, 'ctl', [q{CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT ''x''::text'}], user => $r, quiet => 1);
	is(ctl(q{SELECT count(*) FROM pg_proc WHERE proname = 'lower' AND pronamespace = 'public'::regnamespace}), '0',
		"sweep $cap: cannot shadow functions in public (PostgreSQL 15: no CREATE there)");
	# every function of the extension: EXECUTE exactly when tenancy.capabilities() lists it
	# under this capability or one below it (internal helpers: never)
	is(outside_model($r, $cap), '0:', "sweep $cap: EXECUTE on exactly the functions its capability lists, none of another's or tenancy's internals");
	if ($cap eq 'reader')
	{
		ctl("GRANT EXECUTE ON FUNCTION tenancy.capability_apply(regrole, text, boolean) TO $r");
		is(outside_model($r, $cap), '1:tenancy.capability_apply(regrole,text,boolean)',
			'sweep: ... a grant outside the model is seen (control)');
		ctl("REVOKE EXECUTE ON FUNCTION tenancy.capability_apply(regrole, text, boolean) FROM $r");
	}
	is(rolsuper($r), 'f', "sweep $cap: ends without superuser");
}

# ---- capabilities end to end: a migrator's fan-out records its run; nothing else ----
# mig holds only the migrator capability, rd only reader; both must use a
# password on A (a non-superuser's connections, the control one included)
{
	my $f = $A->data_dir . '/pg_hba.conf';
	my $old = slurp($f);
	open(my $h, '>', $f) or die;
	print $h "local all mig,rd scram-sha-256\n$old";
	close $h;
	$A->reload;
}
A('postgres', "CREATE ROLE mig LOGIN PASSWORD 'MigPw1'", "CREATE ROLE rd LOGIN PASSWORD 'RdPw1'", 'CREATE DATABASE cap1 OWNER mig');
ctl(q{SELECT tenancy.grant_capability('mig', 'migrator')}, q{SELECT tenancy.grant_capability('rd', 'reader')},
	'CREATE SERVER IF NOT EXISTS tenancy FOREIGN DATA WRAPPER tenancy_fdw', q{SELECT tenant_register('cap1', 'dbname=cap1')});
A('cap1', q{SELECT tenancy.grant_capability('mig', 'migrator')});
as_pw('mig', 'MigPw1', q{CREATE USER MAPPING FOR CURRENT_USER SERVER tenancy OPTIONS (user 'mig', password 'MigPw1')});
my $runs0 = ctl('SELECT count(*) FROM tenancy.runs');
my $cap;
{
	local $ENV{PGPASSWORD} = 'MigPw1';
	my ($o, $e) = tn_psql($A, 'ctl', [q{SELECT tenant, status, error FROM tenant_migrate_all() WHERE tenant = 'cap1'}], user => 'mig', quiet => 1);
	$cap = "$e$o";
}
is(tn_count($cap, qr/^cap1\|applied\|$/), 1,
	'capability: a role with only the migrator capability runs tenant_migrate_all (cap1 applied: the set is at 6 here)');
is(ctl("SELECT count(*) - $runs0, bool_and(status <> 'running') FROM tenancy.runs"), '1|t',
	'capability: ... its run is recorded (tenancy.runs row, finished)');
is(ctl(q{SELECT (SELECT status FROM tenancy.run_tenants WHERE tenant = 'cap1' ORDER BY run_id DESC LIMIT 1),
	(SELECT version || ':' || state FROM tenancy.tenants WHERE name = 'cap1'),
	(SELECT count(*) FROM tenancy.audit WHERE tenant = 'cap1' AND action = 'migrate')}), 'applied|6:applied|1',
	'capability: ... with cap1\'s run_tenants row, registry state and audit row');
ctl(q{UPDATE tenancy.tenants SET state = 'stale' WHERE name = 'cap1'});
is(as_pw('mig', 'MigPw1', q{SELECT tenant || ':' || status FROM tenant_verify_all() WHERE tenant = 'cap1'})
	  . '|' . ctl(q{SELECT state FROM tenancy.tenants WHERE name = 'cap1'}),
	'cap1:ok|ok', 'capability: a migrator\'s tenant_verify_all refreshes the registry\'s state');
# the write paths are tenancy's own: a direct call from a session that is not the run's writes nothing
ctl(q{UPDATE tenancy.tenants SET state = 'failed', last_error = 'x' WHERE name = 'cap1'});
is(state_pw('mig', 'MigPw1', q{SELECT tenancy.run_open(NULL, 'running', 1, 'mig')}), '42501',
	'capability: a migrator cannot open a run record of its own (42501)');
my $rid = ctl('SELECT max(run_id) FROM tenancy.runs');
is(state_pw('mig', 'MigPw1', "SELECT tenancy.run_record_tenant($rid, 'cap1', 'up_to_date', '1', '1', 0, 0, NULL, NULL, '1', '1')")
	  . '|' . ctl(q{SELECT state FROM tenancy.tenants WHERE name = 'cap1'}),
	'42501|failed', 'capability: a migrator cannot record a tenant up_to_date in a run it does not write (42501)');
is(state_pw('mig', 'MigPw1', "SELECT tenancy.run_record_tenants($rid, '{cap1}', '{up_to_date}', '{1}', '{1}', '{0}', '{0}', '{NULL}', '{NULL}', '{1}', '{1}')")
	  . '|' . ctl(q{SELECT state FROM tenancy.tenants WHERE name = 'cap1'}),
	'42501|failed', 'capability: ... nor a slice of tenants at once (run_record_tenants, 42501)');
is(state_pw('mig', 'MigPw1', "SELECT tenancy.run_finish($rid, 'running', false)"), '42501',
	'capability: ... nor change a run\'s status (42501)');
is(state_pw('mig', 'MigPw1', q{SELECT tenant_register('cap2', 'dbname=cap1')}), '42501',
	'capability: a migrator cannot call an admin function (tenant_register, 42501)');
is(state_pw('mig', 'MigPw1', q{SELECT tenant_drop('cap1')}), '42501', 'capability: ... nor tenant_drop (42501)');
{
	local $ENV{PGPASSWORD} = 'RdPw1';
	my ($o) = tn_psql($A, 'ctl', [ q{SELECT count(*) FROM tenants() WHERE name = 'cap1'}, 'SELECT count(*) > 0 FROM tenant_runs()' ],
		user => 'rd', quiet => 1);
	is($o =~ tr/\n/ /r, '1 t', 'capability: a reader reads the registry and the runs');
}
is(state_pw('rd', 'RdPw1', 'SELECT count(*) FROM tenant_migrate_all()'), '42501', 'capability: a reader cannot run a fan-out (42501)');
is(state_pw('rd', 'RdPw1', "SELECT tenancy.run_record_tenant($rid, 'cap1', 'up_to_date', '1', '1', 0, 0, NULL, NULL, '1', '1')"),
	'42501', 'capability: ... nor call a run\'s write path (42501)');
is(state_pw('rd', 'RdPw1', "SELECT tenancy.run_record_tenants($rid, '{cap1}', '{up_to_date}', '{1}', '{1}', '{0}', '{0}', '{NULL}', '{NULL}', '{1}', '{1}')"),
	'42501', 'capability: ... nor the set-based one (42501)');
is(state_pw('rd', 'RdPw1', q{UPDATE tenancy.tenants SET state = 'ok'}), '42501', 'capability: ... nor write the registry (42501)');
is(ctl(q{SELECT count(*) FILTER (WHERE p.prosecdef AND p.proconfig = '{"search_path=pg_catalog, pg_temp"}' AND p.proowner = e.extowner)
	|| '/' || count(*) FROM pg_proc p, pg_extension e
	WHERE e.extname = 'tenancy' AND p.pronamespace = 'tenancy'::regnamespace AND p.proname LIKE 'run\_%'}), '4/4',
	'capability: every write path is SECURITY DEFINER with a pinned search_path, owned by the extension\'s owner');
is(A('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname IN ('mig', 'rd') AND rolsuper}), '0', 'capability: no role ends superuser');
# the no-op probe reads a tenant's tracking tables with COPY (libpq_probe.c) under
# row_security = off: for a caller subject to a table's policies (mig is not a superuser), the
# COPY fails instead of running them, and the full path decides.  The policy's function logs the
# statement it runs in.
A('cap1', q{CREATE FUNCTION public.spy13() RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN RAISE LOG 'spy13 ran in: %', pg_catalog.replace(pg_catalog.current_query(), E'\n', ' '); RETURN true; END $$},
	'CREATE POLICY p13 ON tenancy.applied USING (public.spy13())', 'ALTER TABLE tenancy.applied ENABLE ROW LEVEL SECURITY');
my $log13 = -s $A->logfile;
as_pw('mig', 'MigPw1', q{SELECT count(*) FROM tenant_verify_all() WHERE tenant = 'cap1'});
my @spy13 = slurp_file($A->logfile, $log13) =~ /spy13 ran in: ([^\n]*)/g;
cmp_ok(scalar(@spy13), '>', 0, 'row security: the policy applies to the migrator (its function ran in the full path: control)');
is(scalar(grep { /COPY/ } @spy13), 0, 'row security: ... but never in the probe\'s COPY (row_security = off refuses it)');
A('cap1', 'ALTER TABLE tenancy.applied DISABLE ROW LEVEL SECURITY', 'DROP POLICY p13 ON tenancy.applied');
ctl(q{SELECT tenant_drop('cap1')});
# the atomic run's record too (its own control database, so nothing else is behind)
A('postgres', 'CREATE DATABASE ctl2', 'CREATE DATABASE cap2 OWNER mig');
A('ctl2', 'CREATE EXTENSION tenancy', q{SELECT tenant_migration_add('1', 'a', 'CREATE TABLE a2 (id int);', NULL, 'tenants')},
	'CREATE SERVER tenancy FOREIGN DATA WRAPPER tenancy_fdw', q{SELECT tenancy.grant_capability('mig', 'migrator')},
	q{SELECT tenant_register('cap2', 'dbname=cap2')},
	q{SELECT tenant_migration_add('2', 'b', 'CREATE TABLE b2 (id int);', NULL, 'tenants')});
A('cap2', q{SELECT tenancy.grant_capability('mig', 'migrator')});
{
	local $ENV{PGPASSWORD} = 'MigPw1';
	tn_out($A, 'ctl2', [q{CREATE USER MAPPING FOR CURRENT_USER SERVER tenancy OPTIONS (user 'mig', password 'MigPw1')}], user => 'mig');
	my ($o) = tn_psql($A, 'ctl2', ['SELECT tenant, status FROM tenant_migrate_all_atomic()'], user => 'mig', quiet => 1);
	is($o, 'cap2|applied', 'capability: a migrator\'s tenant_migrate_all_atomic commits (cap2 applied)');
}
is(A('ctl2', q{SELECT string_agg(r.status || ':' || r.actor || ':' || (r.finished_at IS NOT NULL) || ':' || t.status, ',')
	FROM tenancy.runs r JOIN tenancy.run_tenants t USING (run_id)}) . '|' . A('ctl2', 'SELECT count(*) FROM tenancy.run_writers'),
	'done:mig:true:applied|0', 'capability: ... and its record says done, by mig, with cap2\'s row; the run\'s writer is forgotten');

# ---- finding 11: tenant_query_all holds at most tenancy.query_max_bytes ----
is(state_cmds($A, 'ctl', 'postgres', q{SET tenancy.query_max_bytes = '1MB'},
	q{SELECT count(*) FROM tenant_query_all('SELECT pg_catalog.repeat(''x'', 100000) AS x FROM pg_catalog.generate_series(1, 200)')}),
	'54000', '11: a result over tenancy.query_max_bytes fails the call (54000) instead of filling memory');
is(ctl(q{SET tenancy.query_max_bytes = '1MB'},
	q{SELECT count(*) FROM tenant_query_all('SELECT 1 AS one FROM pg_catalog.generate_series(1, 3)') WHERE tenant = 't4'}),
	'3', '11: ... and a result under it is unchanged');

# ---- finding 11: a role without a capability cannot hold the run lock ----
A('postgres', 'CREATE ROLE lk LOGIN');
sub lk_holds
{
	my ($db) = @_;
	for (1 .. 50)
	{
		last if A($db, q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE a.usename = 'lk' AND l.locktype = 'advisory' AND l.granted}) ge '1';
		usleep(100_000);
	}
}
{
	my $hold = tn_start_psql($A, 'ctl', [ 'SELECT pg_advisory_lock(1952804449, 2)', 'SELECT pg_sleep(4)' ], user => 'lk');
	lk_holds('ctl');
	my ($o, $e) = tn_psql($A, 'ctl', [ q{SET lock_timeout = '500ms'}, 'SELECT count(*) >= 0 FROM tenant_migrate_all()' ],
		vars => ['VERBOSITY=sqlstate'], quiet => 1);
	is($e =~ /^ERROR: *(\S+)/m ? $1 : ($o =~ /^t$/m ? 'ran' : ''), 'ran',
		'11: an unprivileged role holding tenancy\'s old advisory key does not block a run');
	is(state_as('lk', 'BEGIN; LOCK TABLE tenancy.lock_runs IN EXCLUSIVE MODE; COMMIT'), '42501',
		'11: ... nor can it take the run lock of 1.3 (42501)');
	tn_finish_psql($hold);
}
# tenant_migrate()'s own lock, in a database any role can connect to
A('postgres', 'CREATE DATABASE lk11');
A('lk11', 'CREATE EXTENSION tenancy', q{SELECT tenant_migration_add('1', 'a', 'CREATE TABLE a11 (id int);')});
{
	my $oid = A('postgres', q{SELECT oid FROM pg_database WHERE datname = 'lk11'});
	my $hold = tn_start_psql($A, 'lk11', [ "SELECT pg_advisory_lock(1952804449, $oid)", 'SELECT pg_sleep(4)' ], user => 'lk');
	lk_holds('lk11');
	my ($o, $e) = tn_psql($A, 'lk11', [ q{SET lock_timeout = '500ms'}, 'SELECT tenant_migrate()' ], vars => ['VERBOSITY=sqlstate'], quiet => 1);
	is($e =~ /^ERROR: *(\S+)/m ? $1 : ($o eq '1' ? 'applied' : $o), 'applied',
		'11: a role that can only connect cannot block tenant_migrate() by holding its advisory key');
	tn_finish_psql($hold);
	A('lk11', q{SELECT tenant_migration_add('2', 'b', 'SELECT pg_sleep(2);')});
	my $first = tn_start_psql($A, 'lk11', ['SELECT tenant_migrate()']);
	usleep(700_000);
	is(state_cmds($A, 'lk11', 'postgres', q{SET lock_timeout = '300ms'}, 'SELECT tenant_migrate()'), '55P03',
		'11: ... and tenant_migrate()\'s lock still serializes callers (a second one waits: 55P03 under lock_timeout; control)');
	tn_finish_psql($first);
}

# ---- finding 4, rest: what is sent raw to a tenant (tenant_query_all's query,
# no-transaction statements) meets the tenant's guards too ----
# owners who shadow lower() and "=" for whoever calls them with more rights
A('postgres', 'CREATE ROLE owner7 LOGIN', 'CREATE ROLE owner7s LOGIN', 'CREATE DATABASE t7db OWNER owner7');
sub evil_lower
{
	my ($who) = @_;
	return qq{RETURNS text LANGUAGE plpgsql AS \$\$ BEGIN
	IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN EXECUTE 'ALTER ROLE $who SUPERUSER'; END IF;
	RETURN current_user::text; END \$\$};
}
ctl(q{SELECT tenant_register('t7', 'dbname=t7db')}, q{SELECT tenant_create('acme7', NULL, 'schema')}, 'ALTER SCHEMA acme7 OWNER TO owner7s');
tn_out($A, 't7db', [ 'CREATE SCHEMA evil7', 'CREATE FUNCTION evil7.lower(text) ' . evil_lower('owner7'),
	'ALTER DATABASE t7db SET search_path = evil7, pg_catalog, public' ], user => 'owner7');
tn_out($A, 'ctl', [ 'CREATE FUNCTION acme7.lower(text) ' . evil_lower('owner7s'),
	q{CREATE FUNCTION acme7.eq7(int, int) RETURNS boolean LANGUAGE sql AS 'SELECT false'},
	'CREATE OPERATOR acme7.= (LEFTARG = int, RIGHTARG = int, FUNCTION = acme7.eq7)' ], user => 'owner7s');
# bring both to the set's newest version (bodies run as their owners: nothing escalates)
ctl_all('SELECT tenant, status, error FROM tenant_migrate_all()');
is(ctlq(q{SELECT "row"->>'l' || ':' || ("row"->>'e') FROM tenant_query_all('SELECT lower(''X'') AS l, 1 = 1 AS e') WHERE tenant = 'acme7'}),
	'x:true', '4: a schema tenant\'s owner cannot shadow lower() or "=" in the caller\'s tenant_query_all (pg_catalog first)');
is(ctlq(q{SELECT "row"->>'l' FROM tenant_query_all('SELECT lower(''X'') AS l') WHERE tenant = 't7'}), 'x',
	'4: ... nor a tenant database\'s owner through ALTER DATABASE ... SET search_path');
ctl(q{SELECT tenant_migration_add('7', 'notx', E'-- tenancy:no-transaction\nSELECT lower(''X'');', NULL, 'tenants')});
my $f4r = ctl_all('SELECT tenant, status, sqlstate, error FROM tenant_migrate_all()');
is(rolsuper('owner7s'), 'f', '4: a no-transaction statement sent to a schema tenant runs none of its owner\'s code with the caller\'s rights');
is(rolsuper('owner7'), 'f', '4: ... nor in a tenant database whose owner set its search_path');
is(tn_count($f4r, qr/^(t7|acme7)\|failed\|42501\|no-transaction migrations do not run in a tenant owned by role "owner7s?"/), 2,
	'4: ... both tenants are refused (42501) before any statement is sent, naming the owner');
is(A('t7db', q{SELECT count(*) FROM tenancy.applied WHERE version = '7'}), '0', '4: ... and version 7 is not recorded there');
# timeouts: tenancy.lock_timeout reaches raw statements, whatever the tenant database sets
A('postgres', 'CREATE DATABASE t8db');
A('t8db', 'CREATE TABLE held8 (id int)', 'ALTER DATABASE t8db SET lock_timeout = 0', 'ALTER DATABASE t8db SET statement_timeout = 0');
ctl_all(q{SELECT tenant_register('t8', 'dbname=t8db')}, 'SELECT tenant_migrate_all()');
ctl(q{SELECT tenant_migration_add('8', 'vacuum', E'-- tenancy:no-transaction\nCREATE TABLE IF NOT EXISTS held8 (id int); VACUUM held8;', NULL, 'tenants')});
{
	my $hold = tn_start_psql($A, 't8db', [ 'BEGIN', 'LOCK TABLE held8 IN ACCESS EXCLUSIVE MODE', 'SELECT pg_sleep(4)', 'COMMIT' ]);
	for (1 .. 50)
	{
		last if A('t8db', q{SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'held8' AND l.granted}) ge '1';
		usleep(100_000);
	}
	is(ctlq(q{SET tenancy.lock_timeout = '300ms'}, q{SELECT split_part(error, E'\n', 1) FROM tenant_migrate_all() WHERE tenant = 't8'}),
		'migration "8" failed at statement 2 of 2: canceling statement due to lock timeout',
		'4: tenancy.lock_timeout holds for a no-transaction statement although the tenant database sets lock_timeout = 0 (control)');
	tn_finish_psql($hold);
}

done_testing();
