# TenancyTest.pm -- helpers shared by the TAP tests in pg_ext/t: a cluster set up the way the
# fan-out tests need it, and psql runs that return stdout / stderr / exit status the way the
# former bash suites read them (psql -X -At -q -v ON_ERROR_STOP=1, trailing newlines removed).
# Must not: assert anything itself (every assertion lives in the .pl files), or start a server
# other than through PostgreSQL::Test::Cluster.
package TenancyTest;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use Time::HiRes qw(usleep);

our @EXPORT = qw(tn_node tn_psql tn_out tn_state_of tn_error_of tn_start_psql tn_finish_psql
  tn_count tn_wait_ready);

# A started node: UTF-8, C messages, UTC, restart after a crash (the kill -9 tests need
# it), prepared transactions for the atomic runs, and no statement logging (the tests
# read the server logs for passwords; Cluster.pm logs every statement by default).
sub tn_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--locale=C.UTF-8', '--encoding=UTF8' ]);
	$node->append_conf(
		'postgresql.conf', qq{
fsync = off
max_connections = 60
max_prepared_transactions = 10
lc_messages = 'C'
timezone = 'UTC'
restart_after_crash = on
log_statement = none
});
	$node->start;
	return $node;
}

sub _psql_cmd
{
	my ($node, $db, $cmds, %opt) = @_;
	my @cmd = (
		'psql', '-X', '-At', '-q', '-v', 'ON_ERROR_STOP=1',
		'-h', $node->host, '-p', $node->port,
		'-U', $opt{user} // 'postgres', '-d', $db);
	push @cmd, map { ('-v', $_) } @{ $opt{vars} // [] };
	push @cmd, map { ('-c', $_) } @$cmds;
	return @cmd;
}

# tn_psql(node, db, [commands], user => ..., vars => [...], stdin => ...)
# returns (stdout, stderr, exit status); one -c per command, as the bash suites did.
sub tn_psql
{
	my ($node, $db, $cmds, %opt) = @_;
	my ($out, $err) = ('', '');
	my $in = $opt{stdin} // '';
	IPC::Run::run([ _psql_cmd($node, $db, $cmds, %opt) ], '<', \$in, '>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	$out =~ s/\n+\z//;
	print STDERR $err if $err ne '' && !$opt{quiet};
	return ($out, $err, $rc);
}

# stdout only, like $(psql ...) in bash
sub tn_out
{
	my ($out) = tn_psql(@_);
	return $out;
}

# the SQLSTATE a statement raises (empty if none)
sub tn_state_of
{
	my ($node, $db, $sql, %opt) = @_;
	my (undef, $err) = tn_psql($node, $db, [$sql], vars => ['VERBOSITY=sqlstate'], quiet => 1, %opt);
	return $err =~ /^ERROR: *(\S+)/m ? $1 : '';
}

# what a statement prints on stderr
sub tn_error_of
{
	my ($node, $db, $sql) = @_;
	my (undef, $err) = tn_psql($node, $db, [$sql], quiet => 1);
	return $err;
}

# a psql in the background; tn_finish_psql waits and returns (stdout, stderr)
sub tn_start_psql
{
	my ($node, $db, $cmds, %opt) = @_;
	my $run = { out => '', err => '' };
	$run->{h} = IPC::Run::start([ _psql_cmd($node, $db, $cmds, %opt) ],
		'<', \'', '>', \$run->{out}, '2>', \$run->{err});
	return $run;
}

sub tn_finish_psql
{
	my ($run) = @_;
	$run->{h}->finish;
	(my $out = $run->{out}) =~ s/\n+\z//;
	return ($out, $run->{err});
}

# number of lines of $text that match $re (grep -c)
sub tn_count
{
	my ($text, $re) = @_;
	return scalar grep { /$re/ } split /\n/, $text;
}

# wait until the server answers again (after a crash restart)
sub tn_wait_ready
{
	my ($node, $db) = @_;
	for (1 .. 60)
	{
		my (undef, undef, $rc) = tn_psql($node, $db, ['SELECT 1'], quiet => 1);
		return 1 if $rc == 0;
		usleep(500_000);
	}
	return 0;
}

1;
