# 008_admin.pl -- issue 7: a role given only the admin capability, not a superuser, end to
# end (SECURITY.md "Administrator without superuser").  It registers, creates database and
# schema tenants, changes the tenant set, migrates, rolls back, removes a version and drops
# tenants; each step works, or fails with the documented 42501 and its hint (CREATEDB, CREATE
# on the database, a template a superuser prepared for it) and changes nothing.  A hostile
# tenant owner plants shadowing traps in a database tenant and a schema tenant; they never run
# with the administrator's rights.  At the end neither role is a superuser, no membership was
# granted, and the administrator holds no privilege it did not hold after its grants.
# Must not: run as root (PostgreSQL refuses), or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TenancyTest;

my $A = tn_node('admin');

# every role but postgres logs in with a password (a non-superuser's connections must use one)
open(my $hba, '>', $A->data_dir . '/pg_hba.conf') or die;
print $hba "local all postgres trust\nlocal all all scram-sha-256\n";
close $hba;
$A->reload;

sub su { my $db = shift; return tn_out($A, $db, [@_]); }
sub adm { local $ENV{PGPASSWORD} = 'AdmPw1'; return tn_out($A, 'ctl', [@_], user => 'adm', quiet => 1); }
sub evil { my $db = shift; local $ENV{PGPASSWORD} = 'EvilPw1'; return tn_out($A, $db, [@_], user => 'evil', quiet => 1); }
# (SQLSTATE, whole stderr) of a statement run as adm
sub adm_err
{
	my ($sql) = @_;
	local $ENV{PGPASSWORD} = 'AdmPw1';
	my (undef, $err) = tn_psql($A, 'ctl', [$sql], user => 'adm', vars => ['VERBOSITY=verbose'], quiet => 1);
	return ($err =~ /^ERROR: *(\w{5}):/m ? $1 : '', $err);
}
sub slurp_from { my ($f, $from) = @_; open(my $fh, '<', $f) or return ''; seek($fh, $from, 0); local $/; my $t = <$fh>; close $fh; return $t; }
sub registered { return su('ctl', 'SELECT coalesce(string_agg(name, \',\' ORDER BY name), \'\') FROM tenancy.tenants'); }
sub db_exists { my ($d) = @_; return su('postgres', "SELECT count(*) FROM pg_database WHERE datname = '$d'"); }

su('postgres', "CREATE ROLE adm LOGIN PASSWORD 'AdmPw1'", "CREATE ROLE evil LOGIN PASSWORD 'EvilPw1'", 'CREATE DATABASE ctl');
su('ctl', 'CREATE EXTENSION tenancy', 'CREATE SERVER tenancy FOREIGN DATA WRAPPER tenancy_fdw',
	q{SELECT tenancy.grant_capability('adm', 'admin')});
adm(q{CREATE USER MAPPING FOR CURRENT_USER SERVER tenancy OPTIONS (user 'adm', password 'AdmPw1')});
is(su('postgres', q{SELECT rolsuper::text || rolcreatedb::text FROM pg_roles WHERE rolname = 'adm'}), 'falsefalse',
	'adm is neither a superuser nor allowed to create databases');

# ---- the tenant set: written as the extension's owner, with no write grant on it ----
is(adm(q{SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int);', 'DROP TABLE users;', 'tenants')}), '1',
	'set: adm adds a migration to the tenant set');
is(su('ctl', 'SELECT count(*) FROM tenancy.set_catalog'), '1', 'set: ... and it is in tenancy.set_catalog');
is((adm_err(q{INSERT INTO tenancy.set_catalog (version, name, up_sql) VALUES ('9', 'x', 'SELECT 1')}))[0], '42501',
	'set: adm still cannot write the set tables directly (42501)');
is(su('ctl', q{SELECT count(*) FROM tenancy.audit WHERE action = 'set_add'}), '1', 'set: ... the change is audited');

# ---- creating tenants needs the role's own rights, said clearly ----
my ($st, $err) = adm_err(q{SELECT tenant_create('a1')});
is($st, '42501', 'create: without CREATEDB tenant_create of a database fails with 42501');
like($err, qr/permission denied to create database "a1"/, '... naming the database');
like($err, qr/HINT:.*ALTER ROLE \.\.\. CREATEDB.*tenant_register\('a1', location\)/, '... with a hint: CREATEDB, or adopt it');
is(db_exists('a1') . registered(), '0', '... nothing was created or registered');

($st, $err) = adm_err(q{SELECT tenant_create('s1', NULL, 'schema')});
is($st, '42501', 'create: without CREATE on the database a schema tenant fails with 42501');
like($err, qr/HINT:.*GRANT CREATE ON DATABASE ctl TO/, '... with a hint: GRANT CREATE, or adopt it');
is(su('ctl', q{SELECT count(*) FROM pg_namespace WHERE nspname = 's1'}) . registered(), '0', '... no schema made, nothing registered');

su('postgres', 'ALTER ROLE adm CREATEDB');
su('ctl', 'GRANT CREATE ON DATABASE ctl TO adm');

# the template: only a superuser can install tenancy in it; tenant_create says how
($st, $err) = adm_err(q{SELECT tenant_create('a1')});
is($st, '42501', 'template: a missing template gives 42501');
like($err, qr/template database "tenancy_template_ctl" is not prepared for role "adm".*\n.*It does not exist/,
	'... saying it does not exist');
like($err, qr/HINT:  A superuser prepares it once: CREATE DATABASE tenancy_template_ctl OWNER adm/, '... and how a superuser prepares it');
is(db_exists('a1') . db_exists('tenancy_template_ctl') . registered(), '00', '... nothing was created or registered');

su('postgres', 'CREATE DATABASE tenancy_template_ctl');
($st, $err) = adm_err(q{SELECT tenant_create('a1')});
like("$st $err", qr/^42501 .*Another role owns it/s, 'template: a template another role owns gives 42501 (it is not cloned)');
su('postgres', 'ALTER DATABASE tenancy_template_ctl OWNER TO adm');
($st, $err) = adm_err(q{SELECT tenant_create('a1')});
like("$st $err", qr/^42501 .*tenancy is not installed there/s, 'template: ... one without tenancy for the role gives 42501');
su('tenancy_template_ctl', 'CREATE EXTENSION tenancy', q{SELECT tenancy.grant_capability('adm', 'migrator')});

# what adm may do from here on: anything it holds later must be here already
my $acl_sql = q{SELECT count(*) FROM (
	SELECT (aclexplode(relacl)).* FROM pg_class UNION ALL SELECT (aclexplode(proacl)).* FROM pg_proc
	UNION ALL SELECT (aclexplode(nspacl)).* FROM pg_namespace UNION ALL SELECT (aclexplode(datacl)).* FROM pg_database
	UNION ALL SELECT (aclexplode(srvacl)).* FROM pg_foreign_server) a
	WHERE grantee = 'adm'::regrole AND grantor <> 'adm'::regrole};
my $acl0 = su('ctl', $acl_sql);

is(adm(q{SELECT tenant_create('a1')}, q{SELECT tenant_create('a2')}), "a1\na2", 'create: adm creates database tenants a1, a2 from its template');
is(su('postgres', q{SELECT string_agg(pg_get_userbyid(datdba), ',' ORDER BY datname) FROM pg_database WHERE datname IN ('a1', 'a2')}),
	'adm,adm', '... owned by adm (its own CREATEDB, nothing borrowed)');
is(su('a1', q{SELECT count(*) FROM pg_class WHERE relname = 'users'}), '1', '... at the set\'s version');
is(adm(q{SELECT tenant_create('s1', NULL, 'schema')}), 's1', 'create: adm creates schema tenant s1');
is(su('ctl', q{SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 's1'}), 'adm', '... owned by adm');

# ---- a hostile tenant owner: a database tenant and a schema tenant with traps ----
# every trap records who ran it and tries to give evil adm's rights
su('postgres', 'CREATE DATABASE evdb OWNER evil');
su('evdb', 'CREATE EXTENSION tenancy', q{SELECT tenancy.grant_capability('adm', 'migrator')});
my $trap = q{
	CREATE TABLE %S.trap_log (who text);
	GRANT INSERT ON %S.trap_log TO PUBLIC;
	CREATE FUNCTION %S.lower(text) RETURNS text LANGUAGE plpgsql AS $t$
	BEGIN
		INSERT INTO %S.trap_log VALUES (current_user);
		BEGIN EXECUTE 'GRANT adm TO evil'; EXCEPTION WHEN OTHERS THEN NULL; END;
		BEGIN EXECUTE 'ALTER ROLE evil SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
		RETURN pg_catalog.lower($1);
	END $t$;
	GRANT EXECUTE ON FUNCTION %S.lower(text) TO PUBLIC;
};
(my $t_db = $trap) =~ s/%S/public/g;
evil('evdb', $t_db, 'ALTER DATABASE evdb SET search_path = public, pg_catalog');
su('ctl', 'CREATE SCHEMA evs AUTHORIZATION evil');
(my $t_s = $trap) =~ s/%S/evs/g;
evil('ctl', $t_s);
is(adm(q{SELECT tenant_register('evdb', 'dbname=evdb')}, q{SELECT tenant_register('evs', NULL, 'schema')}), "evdb\nevs",
	'register: adm adopts evil\'s database and schema');
is(registered(), 'a1,a2,evdb,evs,s1', '... five tenants registered');

# ---- the set moves; every tenant is migrated, rolled back, and the version removed ----
is(adm(q{SELECT tenant_migration_add('2', 'tag', 'CREATE TABLE tag AS SELECT lower(''X'') AS v;', 'DROP TABLE tag;', 'tenants')}), '1',
	'set: adm adds version 2 (its template follows)');
my $mig = adm(q{SELECT tenant || ':' || status FROM tenant_migrate_all() ORDER BY tenant});
like($mig, qr/^a1:applied\na2:applied\nevdb:(applied|failed)\nevs:(applied|failed)\ns1:applied$/,
	'migrate_all: adm applies version 2 to its tenants (evil\'s may refuse, never run as adm)');
is(su('ctl', q{SELECT status FROM tenancy.runs ORDER BY run_id DESC LIMIT 1}), 'done', '... its run is recorded');
note("evil's tenants: $mig");
is(su('a1', 'SELECT v FROM tag'), 'x', '... a1 has its table');
my $rb = adm(q{SELECT tenant || ':' || status FROM tenant_rollback_all('2') WHERE tenant IN ('a1', 'a2', 's1') ORDER BY tenant});
is($rb, "a1:rolled_back\na2:rolled_back\ns1:rolled_back", 'rollback_all: adm rolls its tenants back before version 2');
# evil's tenants, if they applied it, are rolled back too; then the version can go
adm(q{SELECT count(*) FROM tenant_rollback_all('2')});
my (undef, $rm_err) = adm_err(q{SELECT tenant_migration_remove('2', 'tenants')});
my $rm_ok = su('ctl', q{SELECT count(*) FROM tenancy.set_catalog WHERE version = '2'}) eq '0';
ok($rm_ok || $rm_err =~ /is applied in/, 'remove: adm removes version 2 from the set, or is told which tenant holds it')
  or diag($rm_err);

# ---- drop ----
is(adm(q{SELECT tenant_drop('a2', 'delete')}), 'a2', 'drop: adm drops database tenant a2 with delete');
is(db_exists('a2') . registered(), '0a1,evdb,evs,s1', '... its database is gone and it is unregistered');
is(adm(q{SELECT tenant_drop('s1', 'delete')}), 's1', 'drop: adm drops schema tenant s1 with delete');
is(su('ctl', q{SELECT count(*) FROM pg_namespace WHERE nspname = 's1'}), '0', '... its schema is gone');
is(adm(q{SELECT tenant_drop('evdb')}, q{SELECT tenant_drop('evs')}), "evdb\nevs", 'drop: adm unregisters evil\'s tenants (keep)');
is(db_exists('evdb') . su('ctl', q{SELECT count(*) FROM pg_namespace WHERE nspname = 'evs'}), '11', '... which stay where they are');

# ---- the run record: only the fan-out's own control session writes it (no secret to log) ----
# every statement and its parameters are logged; a run is held open by a slow migration while
# adm, from another session, tries each write path on it with whatever the log shows
su('postgres', q{ALTER SYSTEM SET log_statement = 'all'}, q{ALTER SYSTEM SET log_min_messages = 'debug1'}, 'SELECT pg_reload_conf()');
my $log_from = -s $A->logfile;
adm(q{SELECT tenant_migration_add('3', 'slow', 'SELECT pg_catalog.pg_sleep(3); CREATE TABLE slow3 (id int);', 'DROP TABLE slow3;', 'tenants')});
my $last = su('ctl', 'SELECT max(run_id) FROM tenancy.runs');
my $bg;
{
	local $ENV{PGPASSWORD} = 'AdmPw1';
	$bg = tn_start_psql($A, 'ctl', [q{SELECT tenant || ':' || status FROM tenant_migrate_all()}], user => 'adm');
}
my $rid = '';
for (1 .. 600)
{
	$rid = su('ctl', "SELECT run_id FROM tenancy.runs WHERE status = 'running' AND run_id > $last");
	last if $rid ne '';
	select(undef, undef, undef, 0.01);
}
ok($rid ne '', "run: adm's fan-out opened run $rid");
is((adm_err(q{SELECT tenancy.run_open(NULL, 'running', 1, 'adm')}))[0], '42501', 'run: a hand call of run_open from another session is refused (42501)');
is((adm_err("SELECT tenancy.run_record_tenant($rid, 'a1', 'up_to_date', '2', '2', 0, 0, NULL, NULL, '2', '2')"))[0], '42501',
	'run: ... run_record_tenant into the open run, 42501');
is((adm_err("SELECT tenancy.run_record_tenants($rid, '{a1}', '{up_to_date}', '{2}', '{2}', '{0}', '{0}', '{NULL}', '{NULL}', '{2}', '{2}')"))[0], '42501',
	'run: ... run_record_tenants into the open run, 42501');
is((adm_err("SELECT tenancy.run_finish($rid, 'done', true)"))[0], '42501', 'run: ... run_finish of the open run, 42501');
my ($bg_out) = tn_finish_psql($bg);
is($bg_out, 'a1:applied', 'run: the fan-out itself records its tenant');
is(su('ctl', "SELECT string_agg(tenant || ':' || status, ',') || '/' || (SELECT status FROM tenancy.runs WHERE run_id = $rid)"
	  . " || '/' || (SELECT count(*) FROM tenancy.run_writers) FROM tenancy.run_tenants WHERE run_id = $rid"),
	'a1:applied/done/0', 'run: ... and nothing the hand calls tried was written; the closed run forgets its writer');
my $log = slurp_from($A->logfile, $log_from);
like($log, qr/tenancy\.run_open\(\$1, \$2, \$3::pg_catalog\.int8, \$4\)/, 'log: the run_open call was logged (log_statement = all)');
my @params = grep { /parameters:/ } split /\n/, $log;
ok(@params > 0, 'log: ... with its parameters');
is(scalar(grep { /[0-9a-f]{32}/ } @params), 0, 'log: no logged parameter holds a token like the former 128-bit run secret');
su('postgres', 'ALTER SYSTEM RESET log_statement', 'ALTER SYSTEM RESET log_min_messages', 'SELECT pg_reload_conf()');

# ---- a control database still at 1.3: its run record is written directly, so only a superuser fans out ----
su('postgres', 'CREATE DATABASE ctl13');
su('ctl13', q{CREATE EXTENSION tenancy VERSION '1.3'}, 'CREATE SERVER tenancy FOREIGN DATA WRAPPER tenancy_fdw',
	q{SELECT tenancy.grant_capability('adm', 'migrator')});
{
	local $ENV{PGPASSWORD} = 'AdmPw1';
	tn_out($A, 'ctl13', [q{CREATE USER MAPPING FOR CURRENT_USER SERVER tenancy OPTIONS (user 'adm', password 'AdmPw1')}], user => 'adm', quiet => 1);
	my (undef, $e13) = tn_psql($A, 'ctl13', ['SELECT count(*) FROM tenant_migrate_all()'], user => 'adm', vars => ['VERBOSITY=verbose'], quiet => 1);
	like($e13, qr/ERROR:  42501: the run record of this database needs extension tenancy 1\.4.*\n.*at 1\.3.*\nHINT:.*ALTER EXTENSION tenancy UPDATE/,
		'1.3: a migrator\'s fan-out in a control database at 1.3 is refused (42501) with the update as hint');
	is(su('ctl13', 'SELECT count(*) FROM tenancy.runs'), '0', '1.3: ... and records nothing');
	su('ctl13', 'ALTER EXTENSION tenancy UPDATE', q{SELECT tenancy.grant_capability('adm', 'migrator')});
	my ($o13) = tn_psql($A, 'ctl13', ['SELECT count(*) FROM tenant_migrate_all()'], user => 'adm', quiet => 1);
	is($o13 . '/' . su('ctl13', q{SELECT string_agg(status || ':' || actor, ',') FROM tenancy.runs}), '0/done:adm',
		'1.3: after ALTER EXTENSION UPDATE the same fan-out runs and is recorded');
}

# ---- nothing was gained ----
is(su('evdb', q{SELECT count(*) FROM trap_log WHERE who = 'adm'}) . su('ctl', q{SELECT count(*) FROM evs.trap_log WHERE who = 'adm'}),
	'00', 'traps: no trap of the tenant owner ran as adm');
note('traps ran as: ' . su('evdb', q{SELECT coalesce(string_agg(who, ','), 'nobody') FROM trap_log}) . ' / '
	  . su('ctl', q{SELECT coalesce(string_agg(who, ','), 'nobody') FROM evs.trap_log}));
is(su('postgres', q{SELECT string_agg(rolname || '=' || rolsuper, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('adm', 'evil')}),
	'adm=false,evil=false', 'end: neither adm nor evil is a superuser');
is(su('postgres', q{SELECT count(*) FROM pg_auth_members WHERE member IN ('adm'::regrole, 'evil'::regrole) OR roleid IN ('adm'::regrole, 'evil'::regrole)}),
	'0', 'end: no membership was granted to or in adm or evil');
is(su('ctl', $acl_sql), $acl0, 'end: adm holds no privilege in the control database it did not hold before');
is(su('ctl', q{SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'tenancy' AND c.relowner = 'adm'::regrole}),
	'0', 'end: adm owns nothing in schema tenancy');
done_testing();
