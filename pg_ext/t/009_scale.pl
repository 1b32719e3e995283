# 009_scale.pl -- issue 14's scale promises that a test can hold without timing anything:
#   1. tenant_query_all streams: a result of ~48 MB (much bigger than work_mem, which is set
#      to 64 kB) costs the calling backend far less private memory than the result, and its
#      tuplestore spilled to a temp file;
#   2. the tenancy.query_max_bytes limit fails the call with 54000 and changes nothing: no run
#      record, the tenants' state as before, every tenant connection closed, the session usable;
#   3. file descriptors bounded by the concurrency: the caller's sockets during a fan-out over
#      250 schema tenants at concurrency 3 never exceed 3 + the control connection;
#   4. the schema connection is replaced every 100 schemas (its backend keeps every schema's
#      relcache entries otherwise): 250 schemas at concurrency 1 take 3 tenant connections;
#   5. a real full disk (a tmpfs tablespace the root runner mounts, TN_SMALL_DISK): the tenant
#      that does not fit fails with 53100 and the disk-full hint, nothing of it half-applied,
#      the run closed with a row per tenant; after space is freed the rerun finishes it.
# The scale figures themselves (time per tenant, memory at 1,000 and 10,000) are in
# bench/scale.sh and bench/RESULTS.md, never asserted here.
# Must not: run as root (PostgreSQL refuses), or assert a duration.
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
$A->append_conf('postgresql.conf', "log_connections = on\n");
$A->reload;

sub ctl { return tn_out($A, 'ctl', [@_]); }
sub A { my $db = shift; return tn_out($A, $db, [@_]); }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE ctl']);
my (undef, undef, $rc2) = tn_psql($A, 'ctl', ['CREATE EXTENSION tenancy']);
BAIL_OUT('control database') if $rc1 || $rc2;
ctl("SELECT tenant_migration_add('1', 'users', 'CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;', 'tenants')");
ctl(map { "SELECT tenant_create('q$_', NULL, 'schema')" } 1 .. 4);
is(ctl("SELECT count(*) FROM tenants() WHERE version = '1'"), '4', 'set-up: 4 schema tenants at 1');

# /proc/PID/status field in kB
sub proc_kb
{
	my ($pid, $field) = @_;
	open(my $fh, '<', "/proc/$pid/status") or return undef;
	while (<$fh>) { return $1 if /^\Q$field\E:\s+(\d+)/; }
	return undef;
}

# the pid of the backend running a statement that contains $like (0 if none yet)
sub backend_of
{
	my ($like) = @_;
	return A('postgres', "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE query LIKE '%$like%'"
		  . " AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND query NOT LIKE '%pg_stat_activity%'");
}

# the sockets a process holds now
sub sockets_of
{
	my ($pid) = @_;
	opendir(my $dh, "/proc/$pid/fd") or return undef;
	my $n = grep { (readlink("/proc/$pid/fd/$_") // '') =~ /^socket:/ } readdir($dh);
	return $n;
}

# Start $sql in the background after a marker pause; sample the caller until it ends:
# (stdout, stderr, private kB at the start, most private kB, fewest sockets, most sockets)
sub sampled
{
	my ($marker, @cmds) = @_;
	my $run = tn_start_psql($A, 'ctl', [ "SELECT 0 AS $marker FROM pg_sleep(1)", @cmds ], vars => ['VERBOSITY=sqlstate']);
	my $pid = 0;
	for (1 .. 100) { $pid = backend_of("AS $marker"); last if $pid; usleep(20_000); }
	my ($base, $max, $smin, $smax) = (proc_kb($pid, 'RssAnon') // 0, 0, 1e9, 0);
	while ($pid && -e "/proc/$pid" && $run->{h}->pumpable)
	{
		my $kb = proc_kb($pid, 'RssAnon');
		my $s = sockets_of($pid);
		$max = $kb if defined $kb && $kb > $max;
		if (defined $s) { $smin = $s if $s < $smin; $smax = $s if $s > $smax; }
		$run->{h}->pump_nb;
		usleep(10_000);
	}
	my ($out, $err) = tn_finish_psql($run);
	return ($out, $err, $base, $max, $smin, $smax, $pid);
}

# ---- 1. tenant_query_all streams a result much bigger than work_mem ----------------------
my $BIG = q{SELECT count(*), sum(pg_catalog.length(row::text)) > 48000000 FROM tenant_query_all('SELECT i, pg_catalog.repeat(''x'', 4000) AS x FROM pg_catalog.generate_series(1, 3000) AS i', 4)};
my $temp_before = A('postgres', "SELECT temp_files FROM pg_stat_database WHERE datname = 'ctl'");
my ($out, $err, $base, $max) = sampled('m1', q{SET work_mem = '64kB'}, q{SET tenancy.query_max_bytes = '200MB'}, $BIG);
is($out, "0\n12000|t", '1: query_all returns every row of a ~48 MB result (4 tenants x 3,000 rows of 4 kB)');
note("caller private memory: $base kB before, $max kB at most during a ~48 MB result");
cmp_ok($max - $base, '<', 16 * 1024,
	'1: ... and the calling backend grew by less than 16 MB for it (rows go to the tuplestore as they arrive)');
my $temp_after = $temp_before;
for (1 .. 50)
{
	$temp_after = A('postgres', "SELECT temp_files FROM pg_stat_database WHERE datname = 'ctl'");
	last if $temp_after > $temp_before;
	usleep(100_000);
}
cmp_ok($temp_after, '>', $temp_before, '1: ... the tuplestore spilled to a temp file past work_mem');

# ---- 2. the limit fails the call with 54000 and changes nothing ---------------------------
my $snap = q{SELECT (SELECT count(*) FROM tenancy.runs) || ' ' || (SELECT string_agg(name || ':' || state || ':' || version || ':' || coalesce(last_error, ''), ',' ORDER BY name) FROM tenancy.tenants)};
my $conns = q{SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenancy'};
my $before = ctl($snap);
($out, $err) = tn_psql($A, 'ctl', [ q{SET tenancy.query_max_bytes = '1MB'}, $BIG ], vars => ['VERBOSITY=sqlstate'], quiet => 1);
is($err =~ /^ERROR: *(\S+)/m ? $1 : $err, '54000', '2: a result over tenancy.query_max_bytes fails the call with 54000');
is(ctl($snap), $before, '2: ... no run record, every tenant\'s state and version as before');
my $left = -1;
for (1 .. 50) { $left = A('postgres', $conns); last if $left eq '0'; usleep(100_000); }
is($left, '0', '2: ... every tenant connection of the failed call is closed');
is(ctl(q{SET tenancy.query_max_bytes = '1MB'}, q{SELECT count(*) FROM tenant_query_all('SELECT 1 AS one')}), '4',
	'2: ... and the next call under the limit answers for every tenant');

# ---- 3 and 4: sockets bounded by the concurrency; a new connection every 100 schemas ------
ctl(map { "SELECT tenant_create('s$_', NULL, 'schema')" } 1 .. 246);
is(ctl("SELECT count(*) FROM tenants() WHERE kind = 'schema'"), '250', 'set-up: 250 schema tenants');
ctl("SELECT tenant_migration_add('2', 'orders', 'CREATE TABLE orders (id int PRIMARY KEY, u int REFERENCES users);', 'DROP TABLE orders;', 'tenants')");
my ($smin, $smax);
($out, $err, undef, undef, $smin, $smax) = sampled('m3', q{SELECT count(*) FILTER (WHERE status = 'applied') FROM tenant_migrate_all(NULL, 3)});
is($out, "0\n250", '3: 250 schema tenants migrated at concurrency 3');
note("caller sockets: $smin before, $smax at most");
cmp_ok($smax - $smin, '<=', 4, '3: ... the caller never held more than 3 tenant sockets + the control connection');

# tenant connections made by one call: log_connections lines with application_name=tenancy
sub tenancy_connections
{
	my (@cmds) = @_;
	my $offset = -s $A->logfile;
	ctl(@cmds);
	my $log = slurp_file($A->logfile, $offset);
	return scalar(() = $log =~ /connection authorized: user=\S+ database=ctl application_name=tenancy/g);
}
ctl("SELECT tenant_migration_add('3', 'notes', 'CREATE TABLE notes (id int PRIMARY KEY);', 'DROP TABLE notes;', 'tenants')");
my $one = tenancy_connections(q{SELECT count(*) FROM tenant_migrate_all(NULL, 1, NULL, ARRAY['q1'])});
my $all = tenancy_connections(q{SELECT count(*) FROM tenant_migrate_all(NULL, 1)});
note("tenancy connections: $one for a run over one tenant, $all for a run over all 250");
is($all - $one, 2, '4: 250 schema tenants at concurrency 1 take 3 tenant connections (a new one every 100 schemas)');
is(ctl("SELECT count(*) FROM tenants() WHERE version = '3'"), '250', '4: ... and every tenant reached 3');

# ---- 5. a real full disk: 53100, nothing half-applied, the run closed ---------------------
SKIP:
{
	my $small = $ENV{TN_SMALL_DISK} // '';
	skip('TN_SMALL_DISK is not set: the root runner (tests/suites/50_pg_tap.sh) mounts the small tmpfs', 7)
	  unless $small ne '' && -d $small && -w $small;
	mkdir("$small/ts") or BAIL_OUT("mkdir $small/ts: $!");
	A('postgres', 'CREATE DATABASE fulldisk', "CREATE TABLESPACE small LOCATION '$small/ts'");
	A('fulldisk', 'CREATE EXTENSION tenancy');
	A('fulldisk', map { "SELECT tenant_create('f$_', NULL, 'schema')" } 1 .. 3);
	my $fill = q{CREATE TABLE big TABLESPACE small AS SELECT i, pg_catalog.md5(i::text) AS h FROM pg_catalog.generate_series(1, 30000) AS i};
	# what one tenant's migration needs on the small disk, measured there
	my $need = A('fulldisk', "CREATE TABLE cal TABLESPACE small AS SELECT i, pg_catalog.md5(i::text) AS h FROM pg_catalog.generate_series(1, 30000) AS i; SELECT pg_relation_size('cal')");
	A('fulldisk', 'DROP TABLE cal');
	# the set's template database takes its copy first (while there is room)
	A('fulldisk', "SELECT tenant_migration_add('1', 'big', '" . ($fill =~ s/'/''/gr) . "', 'DROP TABLE big;', 'tenants')", 'CHECKPOINT');
	my ($avail) = `df -B1 --output=avail '$small'` =~ /(\d+)\s*$/;
	# room for one tenant's table and a half, not two
	open(my $fh, '>', "$small/filler") or BAIL_OUT("filler: $!");
	print $fh "\0" x ($avail - int($need * 3 / 2));
	close($fh);
	my $res = A('fulldisk', q{SELECT tenant || '|' || status || '|' || applied || '|' || coalesce(sqlstate, '') FROM tenant_migrate_all(NULL, 1) ORDER BY tenant});
	is($res, "f1|applied|1|\nf2|failed|0|53100\nf3|failed|0|53100",
		'5: disk full: the tenant that fits is applied, the others fail with 53100');
	like(A('fulldisk', q{SELECT error FROM tenant_migrate_all(NULL, 1) WHERE tenant = 'f2'}), qr/disk that holds the database is full/,
		'5: ... the error names the full disk (the core\'s hint), on the next try too');
	is(A('fulldisk', q{SELECT string_agg(schema_name || ':' || (to_regclass(pg_catalog.quote_ident(schema_name) || '.big') IS NOT NULL) || ':' || coalesce((SELECT string_agg(version, ',') FROM tenancy.schema_applied a WHERE a.schema_name = s.schema_name), ''), ' ' ORDER BY schema_name) FROM (VALUES ('f1'), ('f2'), ('f3')) AS s(schema_name)}),
		'f1:true:1 f2:false: f3:false:', '5: ... nothing of the full tenants half-applied (no table, no tracking row)');
	is(A('fulldisk', q{SELECT string_agg(status || ':' || applied || ':' || failed || ':' || (SELECT count(*) FROM tenancy.run_tenants t WHERE t.run_id = r.run_id), ' ' ORDER BY run_id) FROM tenancy.runs r}),
		'failed:1:2:3 failed:0:2:3', '5: ... each run closed failed, with a row per tenant');
	unlink("$small/filler");
	$res = A('fulldisk', q{SELECT string_agg(tenant || '|' || status, ' ' ORDER BY tenant) FROM tenant_migrate_all(NULL, 1)});
	is($res, 'f1|up_to_date f2|applied f3|applied', '5: space freed: the rerun finishes the full tenants');
	is(A('fulldisk', q{SELECT string_agg(name || ':' || version, ' ' ORDER BY name) FROM tenants()}), 'f1:1 f2:1 f3:1',
		'5: ... every tenant at 1');
	is(A('fulldisk', q{SELECT count(*) FROM f2.big}), '30000', '5: ... with all its rows');
	A('postgres', 'DROP DATABASE fulldisk', 'DROP TABLESPACE small');
}

$A->stop;
done_testing();
