# 006_sweep.pl -- issue 7's sweep: EVERY function of the extension (enumerated from pg_proc
# through pg_depend on extension tenancy, so a new function is swept without editing this
# file) called by EVERY documented capability role (none, reader, migrator, admin) and by a
# hostile tenant owner, with hostile arguments (NULLs, empty and huge strings, names with
# quotes / semicolons / dots, paths with .. and absolute paths, connection strings naming
# another host / the server's passfile / an sslkey / a service, negative and huge numbers,
# odd version tokens), one argument position at a time, the others benign.  For each call:
#   - it ends with a SQLSTATE of a clean refusal or a documented effect, never XX*** (internal
#     error), P0001 (an unnamed RAISE), 58*** or a lost connection;
#   - if it was refused, the registry, the tenant set, the tracking tables, the runs and the
#     audit are exactly as before (a hash of each, taken by a probe after every call);
#   - a role without a write capability never changes them, and a migrator never changes the
#     registry's definitions or the tenant set (what SECURITY.md gives only to admin);
#   - nothing about privileges changes at all: pg_authid rows, memberships, role settings,
#     ownerships and ACL entries of the swept roles, user mappings, and the files of the data
#     directory's top level and of a sentinel folder the hostile paths point into.
# Prints how many (function, role, argument) combinations it tried.
# Must not: run as root (PostgreSQL refuses) or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TenancyTest;

my $A = tn_node('a');
my ($SOCK, $PORT) = ($A->host, $A->port);
sub A { my $db = shift; return tn_out($A, $db, [@_]); }
sub ctl { return tn_out($A, 'ctl', [@_]); }

# a sentinel folder hostile paths point into (nothing may appear there), a passfile of the
# administrator the server could read
my $SENT = $A->basedir . '/sweep_sentinel';
mkdir $SENT or die;
my $PASSFILE = $A->basedir . '/admin.pgpass';
open(my $pf, '>', $PASSFILE) or die;
print $pf "*:*:*:*:AdminSecretPw\n";
close $pf;
chmod 0600, $PASSFILE;

A('postgres', 'CREATE DATABASE ctl');
ctl('CREATE EXTENSION tenancy');
ctl(q{SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int);', NULL, 'tenants')});
ctl(q{SELECT tenant_migration_add('1', 'local', 'CREATE TABLE local_t (id int);')});

# roles: one per documented capability, one with none, and a hostile tenant owner
my @caps = qw(none owner reader migrator admin);
A('postgres', map { "CREATE ROLE sw_$_ LOGIN" } @caps);
ctl(map { "SELECT tenancy.grant_capability('sw_$_', '$_')" } qw(reader migrator admin));

# the hostile owner owns a schema tenant of ctl and a database tenant, and plants traps that
# would make it superuser if they ever ran with a superuser's rights
A('postgres', 'CREATE DATABASE sw_hostiledb OWNER sw_owner');
A('sw_hostiledb', 'CREATE EXTENSION tenancy');
ctl('CREATE SCHEMA hostile AUTHORIZATION sw_owner');
ctl(q{SELECT tenant_register('hostile', NULL, 'schema')},
	"SELECT tenant_register('hostiledb', 'host=$SOCK port=$PORT dbname=sw_hostiledb')");
my $TRAP = q{CREATE FUNCTION %s(text) RETURNS text LANGUAGE plpgsql AS $t$
BEGIN EXECUTE 'ALTER ROLE sw_owner SUPERUSER'; RETURN $1; END $t$};
tn_psql($A, 'ctl', [ sprintf($TRAP, 'hostile.lower'), sprintf($TRAP, 'hostile.btrim'),
	'CREATE VIEW hostile.sw_view AS SELECT 1 AS x' ], user => 'sw_owner');
tn_psql($A, 'sw_hostiledb', [ sprintf($TRAP, 'public.lower'),
	'ALTER DATABASE sw_hostiledb SET search_path = public, pg_catalog' ], user => 'sw_owner');

# the probe: hashes of what a call may change, and of every privilege; SECURITY DEFINER
# (owned by the bootstrap superuser) so every swept role can call it; it only reads
ctl(q{CREATE SCHEMA sweep_probe}, q{GRANT USAGE ON SCHEMA sweep_probe TO PUBLIC},
	qq{CREATE FUNCTION sweep_probe.snap() RETURNS text LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp AS \$p\$
	SELECT concat_ws('|',
	  -- admin-only: the registry's definitions and the tenant set
	  md5(concat_ws('/',
	    (SELECT string_agg(t::text, ',' ORDER BY name) FROM (SELECT name, kind, location, dbname, schema_name FROM tenancy.tenants) t),
	    (SELECT string_agg(t::text, ',' ORDER BY version) FROM tenancy.set_catalog t),
	    (SELECT string_agg(t::text, ',' ORDER BY version) FROM tenancy.set_applied t),
	    (SELECT string_agg(t::text, ',' ORDER BY id) FROM tenancy.set_history t),
	    (SELECT string_agg(t::text, ',' ORDER BY name) FROM tenancy.set_checkpoints t))),
	  -- what a migrator may change: this database's tracking tables, runs, audit, cached state
	  md5(concat_ws('/',
	    (SELECT string_agg(t::text, ',' ORDER BY name) FROM tenancy.tenants t),
	    (SELECT string_agg(t::text, ',' ORDER BY version) FROM tenancy.catalog t),
	    (SELECT string_agg(t::text, ',' ORDER BY version) FROM tenancy.applied t),
	    (SELECT string_agg(t::text, ',' ORDER BY id) FROM tenancy.history t),
	    (SELECT string_agg(t::text, ',' ORDER BY name) FROM tenancy.checkpoints t),
	    (SELECT string_agg(t::text, ',' ORDER BY run_id) FROM tenancy.runs t),
	    (SELECT string_agg(t::text, ',' ORDER BY run_id, tenant) FROM tenancy.run_tenants t),
	    (SELECT string_agg(t::text, ',' ORDER BY id) FROM tenancy.audit t),
	    (SELECT string_agg(t::text, ',' ORDER BY run_id) FROM tenancy.run_writers t))),
	  -- privileges: never changes
	  md5(concat_ws('/',
	    (SELECT string_agg(a::text, ',' ORDER BY oid) FROM pg_authid a),
	    (SELECT string_agg(m::text, ',' ORDER BY roleid, member) FROM pg_auth_members m),
	    (SELECT string_agg(s::text, ',' ORDER BY setdatabase, setrole) FROM pg_db_role_setting s),
	    (SELECT string_agg(u::text, ',' ORDER BY oid) FROM pg_user_mapping u),
	    (SELECT string_agg(o, ',' ORDER BY o) FROM (
	        SELECT 'c' || oid || ':' || relowner::regrole || coalesce(relacl::text, '') AS o FROM pg_class
	         WHERE relowner::regrole::text LIKE 'sw\\_%' OR relacl::text LIKE '%sw\\_%'
	        UNION ALL SELECT 'p' || oid || ':' || proowner::regrole || coalesce(proacl::text, '') FROM pg_proc
	         WHERE proowner::regrole::text LIKE 'sw\\_%' OR proacl::text LIKE '%sw\\_%'
	        UNION ALL SELECT 'n' || oid || ':' || nspowner::regrole || coalesce(nspacl::text, '') FROM pg_namespace
	         WHERE nspowner::regrole::text LIKE 'sw\\_%' OR nspacl::text LIKE '%sw\\_%'
	        UNION ALL SELECT 'd' || oid || ':' || datdba::regrole || coalesce(datacl::text, '') FROM pg_database
	        UNION ALL SELECT 's' || oid || ':' || srvowner::regrole || coalesce(srvacl::text, '') FROM pg_foreign_server
	        UNION ALL SELECT 'a' || oid || ':' || defaclrole FROM pg_default_acl) o),
	    (SELECT string_agg(f, ',' ORDER BY f) FROM pg_ls_dir('.') f),
	    (SELECT string_agg(f, ',' ORDER BY f) FROM pg_ls_dir('$SENT') f))))
	\$p\$},
	q{GRANT EXECUTE ON FUNCTION sweep_probe.snap() TO PUBLIC});

# every function of the extension, from the catalog: oid, regprocedure, argument types
# (procedures are CALLed)
my @funcs = map { [ split /\|/, $_, 4 ] } split /\n/, ctl(q{
	SELECT p.oid, p.oid::regprocedure, p.prokind, coalesce(array_to_string(
	         ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t), ';'), '')
	  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
	  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tenancy'
	 ORDER BY p.oid});
is(scalar(@funcs), ctl(q{SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE e.extname = 'tenancy' AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'}),
	'the sweep enumerates every function of the extension (pg_depend)');

sub q_ { my ($v) = @_; $v =~ s/'/''/g; return "'$v'"; }
my %benign = (text => q_('sw1'), integer => '1', bigint => '1', boolean => 'false',
	'text[]' => q{'{}'::text[]}, 'bigint[]' => q{'{}'::bigint[]}, name => q_('sw1'), regrole => q_('sw_none'));
my @hostile_text = ('NULL', q_(''), q{repeat('A', 100000)}, q_('x"; DROP TABLE tenancy.tenants; --'),
	q_("it's;a.b"), q_('a.b.c'), q_('..'), q_('../../../../../../etc/passwd'), q_('/etc/passwd'),
	q_("$SENT/pwn"), q_("../sweep_sentinel/pwn"),
	q_("host=$SOCK port=$PORT user=postgres dbname=postgres"),
	q_("host=$SOCK port=$PORT dbname=postgres passfile=$PASSFILE sslkey=$SENT/key"),
	q_('postgresql://postgres@evil.invalid:1/db?sslkey=/etc/ssl/private/x'), q_('service=admin'),
	q_('postgresql://bob:Hunter2%ZZsecret@localhost/db'),
	q_('1.0;DROP'), q_('-1'), q_('99999999999999999999999'), q_('1..2'), q_('1e+309'),
	q_('hostile'), q_('hostiledb'), q_('tenants'), q_('delete'), q_('schema'), q_('database'), q{E'a\nb'});
my @hostile_int = ('NULL', '-1', '0', '2147483647', '-2147483648');
my %hostile = (text => \@hostile_text, name => \@hostile_text, integer => \@hostile_int,
	bigint => [ @hostile_int, '9223372036854775807', '-9223372036854775808' ],
	boolean => [ 'NULL', 'true', 'false' ],
	'text[]' => [ 'NULL', q{'{}'::text[]}, q{ARRAY[NULL]::text[]}, q{ARRAY['../../etc/passwd', '/etc/passwd']},
		q{ARRAY[repeat('A', 100000)]}, qq{ARRAY['$SENT/pwn']} ],
	'bigint[]' => [ 'NULL', q{'{}'::bigint[]}, q{ARRAY[NULL]::bigint[]}, q{ARRAY[-1, 0]::bigint[]},
		q{ARRAY[9223372036854775807]::bigint[]} ],
	regrole => [ 'NULL', q_('postgres'), q_('sw_none'), q_('pg_read_server_files'), q_('-') ]);

# every (function, argument position, hostile value): one call each
my @calls;
for my $f (@funcs)
{
	my ($oid, $sig, $kind, $types) = @$f;
	my @t = $types eq '' ? () : split /;/, $types;
	(my $name = $sig) =~ s/\(.*//;
	my $mk = sub { my @a = @_; return ($kind eq 'p' ? 'CALL' : 'SELECT') . " $name(" . join(', ', map { "($a[$_])::$t[$_]" } 0 .. $#t) . ')'; };
	if (!@t) { push @calls, [ $sig, 'no arguments', $mk->() ]; next; }
	for my $i (0 .. $#t)
	{
		my $pool = $hostile{ $t[$i] } or BAIL_OUT("no hostile values for type $t[$i] of $sig: add them");
		for my $v (@$pool)
		{
			my @a = map { $benign{$_} } @t;
			$a[$i] = $v;
			(my $shown = $v) =~ s/\n/\\n/g;
			push @calls, [ $sig, "arg " . ($i + 1) . " = " . substr($shown, 0, 60), $mk->(@a) ];
		}
	}
}

# the probe sees a change (control: a sweep that cannot see one could not fail)
{
	my $before = ctl('SELECT sweep_probe.snap()');
	ctl('ALTER ROLE sw_none CREATEDB');
	my $mid = ctl('SELECT sweep_probe.snap()');
	ctl('ALTER ROLE sw_none NOCREATEDB');
	isnt((split /\|/, $mid)[2], (split /\|/, $before)[2], 'the probe sees a privilege change (control)');
}

# run the calls of one role in one session (restarted after a lost connection); returns
# a list of [sqlstate or 'LOST', snapshot before, snapshot after] per call
sub sweep_role
{
	my ($role, $calls) = @_;
	my @calls = @$calls;
	my @res;
	my $start = 0;
	while ($start < @calls)
	{
		my $script = "\\set ON_ERROR_STOP 0\nSET statement_timeout = '20s';\nSET tenancy.connect_timeout = 2;\n"
		  . "SELECT 'S', sweep_probe.snap();\n";
		for my $n ($start .. $#calls)
		{
			$script .= "$calls[$n][2] \\g /dev/null\n\\echo R $n :SQLSTATE\nSELECT 'S', sweep_probe.snap();\n";
		}
		my ($out, $err) = ('', '');
		IPC::Run::run([ 'psql', '-X', '-At', '-q', '-h', $SOCK, '-p', $PORT, '-U', "sw_$role", '-d', 'ctl', '-f', '-' ],
			'<', \$script, '>', \$out, '2>', \$err, IPC::Run::timeout(1200));
		my $snap;
		my $last = $start - 1;
		my $state;
		for my $line (split /\n/, $out)
		{
			if ($line =~ /^S\|(.*)$/)
			{
				$res[$last] = [ $state, $snap, $1 ] if $last >= $start && defined $state;
				$snap = $1;
				undef $state;
			}
			elsif ($line =~ /^R (\d+) (\S+)$/) { $last = $1; $state = $2; }
		}
		# a call whose result line or probe after it is missing lost the connection
		my $next = $start;
		$next++ while $next < @calls && defined $res[$next];
		last if $next >= @calls;
		$res[$next] = [ 'LOST', $snap // '', '' ];
		diag("sw_$role: connection lost at $calls[$next][0] $calls[$next][1]: " . substr($err, -400));
		tn_wait_ready($A, 'ctl');
		$start = $next + 1;
	}
	return @res;
}

# sweep the calls as each role and check every outcome; $pass names the pass in the test names
my $tried = 0;
sub sweep_pass
{
	my ($pass, $calls, @roles) = @_;
	my @calls = @$calls;
	for my $role (@roles)
	{
		my @res = sweep_role($role, $calls);
		my (@bad_state, @refused_changed, @forbidden_write, @priv_changed, %states, %where);
		for my $n (0 .. $#calls)
		{
			my ($st, $b, $a) = @{ $res[$n] // [ 'MISSING', '', '' ] };
			$tried++;
			$states{$st}++;
			$where{$st}{ $calls[$n][0] }++;
			my $what = "$calls[$n][0] $calls[$n][1] -> $st";
			if ($st eq 'LOST' || $st eq 'MISSING' || $st =~ /^(XX|58|P0)/) { push @bad_state, $what; next; }
			my @b = split /\|/, $b;
			my @a = split /\|/, $a;
			push @priv_changed, $what if $b[2] ne $a[2];
			if ($st ne '00000')
			{
				push @refused_changed, $what if $b[0] ne $a[0] || $b[1] ne $a[1];
			}
			elsif ($role =~ /^(none|owner|reader)$/)
			{
				push @forbidden_write, $what if $b[0] ne $a[0] || $b[1] ne $a[1];
			}
			elsif ($role eq 'migrator')
			{
				push @forbidden_write, $what if $b[0] ne $a[0];
			}
		}
		my $n = scalar @calls;
		note("$pass sw_$role: $n calls; SQLSTATEs: " . join(', ', map { "$_ x$states{$_}" } sort keys %states));
		# where the less common outcomes came from (successes and the rarer refusals)
		for my $st (grep { $states{$_} <= 60 } sort keys %states)
		{
			note("  $st: " . join(', ', map { "$_ x$where{$st}{$_}" } sort keys %{ $where{$st} }));
		}
		is(join("\n", @bad_state), '', "$pass $role: $n calls, none ends in XX***, 58***, P0001 or a lost connection");
		is(join("\n", @refused_changed), '', "$pass $role: no refused call changes the registry, tenant set, tracking tables, runs or audit");
		is(join("\n", @forbidden_write), '', "$pass $role: no call changes what the capability may not change")
		  unless $role eq 'admin';
		is(join("\n", @priv_changed), '', "$pass $role: no call changes a role, membership, ownership, ACL, user mapping or file");
		is(A('postgres', "SELECT rolsuper::text || rolcreaterole::text || rolcreatedb::text FROM pg_roles WHERE rolname = 'sw_$role'"),
			'falsefalsefalse', "$pass $role: ends without superuser, CREATEROLE or CREATEDB");
	}
}
sweep_pass('sweep', \@calls, @caps);
my $single = $tried;

# ---- second pass: pairs of hostile arguments on top of a valid setup ----
# a database tenant at the set's version, a finished run, this database's own migration
# applied and a checkpoint of it; then, for every function with two or more text
# arguments, every pair of its text positions gets every pair of a few values: hostile ones
# and the names of what exists (so a call reaches past "does not exist" into the real paths).
# The migrator and admin roles (the others are refused at EXECUTE, as the first pass showed).
ctl(q{SELECT tenant_create('sw_t1')}, q{SELECT count(*) FROM tenant_migrate_all()}, q{SELECT tenant_migrate()},
	q{SELECT tenant_checkpoint('sw_cp')});
my @pair_values = ('NULL', q_('x"; DROP TABLE tenancy.tenants; --'), q_('../../../../etc/passwd'),
	q_("host=$SOCK port=$PORT dbname=postgres passfile=$PASSFILE"), q_('sw_t1'), q_('1'), q_('sw_cp'));
my @pairs;
for my $f (@funcs)
{
	my ($oid, $sig, $kind, $types) = @$f;
	my @t = $types eq '' ? () : split /;/, $types;
	my @tx = grep { $t[$_] eq 'text' || $t[$_] eq 'name' } 0 .. $#t;
	next if @tx < 2;
	(my $name = $sig) =~ s/\(.*//;
	for my $i (0 .. $#tx - 1)
	{
		for my $j ($i + 1 .. $#tx)
		{
			for my $v1 (@pair_values)
			{
				for my $v2 (@pair_values)
				{
					my @a = map { $benign{$_} } @t;
					@a[ $tx[$i], $tx[$j] ] = ($v1, $v2);
					push @pairs, [ $sig, "args " . ($tx[$i] + 1) . "," . ($tx[$j] + 1) . " = " . substr("$v1, $v2", 0, 80),
						($kind eq 'p' ? 'CALL' : 'SELECT') . " $name(" . join(', ', map { "($a[$_])::$t[$_]" } 0 .. $#t) . ')' ];
				}
			}
		}
	}
}
ok(@pairs > 0, 'pairs: some functions have two or more text arguments (' . scalar(@pairs) . ' calls per role)');
sweep_pass('pairs', \@pairs, qw(migrator admin));
my $paired = $tried - $single;

is(A('postgres', q{SELECT count(*) FROM pg_roles WHERE rolsuper AND rolname <> 'postgres'}), '0',
	'sweep: no role but the bootstrap superuser is superuser afterwards (the owner\'s traps never ran as one)');
opendir(my $dh, $SENT) or die;
is(join(',', grep { !/^\./ } readdir $dh), '', 'sweep: no file written into the sentinel folder');
closedir $dh;
diag("sweep: tried $single (function, role, argument) combinations: "
	  . scalar(@funcs) . " functions x " . scalar(@caps) . " roles, " . scalar(@calls) . " calls per role;"
	  . " pairs: $paired more (" . scalar(@pairs) . " per role, migrator and admin)");
done_testing();
