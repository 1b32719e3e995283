# 005_batches.pl -- issue 14, finding 6: a batch too big for the lock table.  With
# max_locks_per_transaction lowered (instead of 5,000 tables), 1,500 CREATE TABLE
# migrations in one tenant_migrate() run out of lock slots: the error keeps
# PostgreSQL's SQLSTATE 53200 and its hint names max_locks_per_transaction and
# batch_size, and nothing is applied; CALL tenant_migrate_in_batches(batch_size)
# then applies them all, one committed batch (with its checkpoint) per chunk.
# Its argument and transaction-block errors are checked too, and a read-only
# transaction's error class (25006, the core's hint, as on SQLite).
# Must not: run as root (PostgreSQL refuses), or depend on a server it did not start.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TenancyTest;

my $A = tn_node('batches');
$A->append_conf('postgresql.conf', "max_locks_per_transaction = 10\n");
$A->restart;

sub db { return tn_out($A, 'db', [@_]); }

my (undef, undef, $rc1) = tn_psql($A, 'postgres', ['CREATE DATABASE db']);
my (undef, undef, $rc2) = tn_psql($A, 'db', ['CREATE EXTENSION tenancy']);
BAIL_OUT('database') if $rc1 || $rc2;
my $n = 1500;
db(qq{DO \$\$ BEGIN FOR i IN 1..$n LOOP
	PERFORM tenant_migration_add(i::text, 't' || i, format('CREATE TABLE t%s (id int PRIMARY KEY);', i));
END LOOP; END \$\$});
is(db('SELECT count(*) FROM tenancy.catalog'), $n, "set-up: $n migrations");

# one batch: out of lock slots
my (undef, $err) = tn_psql($A, 'db', ['SELECT tenant_migrate()'], vars => ['VERBOSITY=verbose'], quiet => 1);
like($err, qr/^ERROR:  53200:/m, 'one batch: SQLSTATE 53200, not TN002');
like($err, qr/HINT:  PostgreSQL ran out of lock slots.*max_locks_per_transaction.*batch_size/, 'one batch: the hint names max_locks_per_transaction and batch_size');
is(db('SELECT count(*) FROM tenancy.applied'), '0', 'one batch: nothing applied');

# argument and context errors, nothing changed
is(tn_state_of($A, 'db', 'CALL tenant_migrate_in_batches(0)'), '22023', 'batch_size 0: 22023');
is(tn_state_of($A, 'db', 'CALL tenant_migrate_in_batches(NULL)'), '22004', 'batch_size NULL: 22004');
my (undef, $in_txn) = tn_psql($A, 'db', ['BEGIN', 'CALL tenant_migrate_in_batches(100)', 'COMMIT'], vars => ['VERBOSITY=verbose'], quiet => 1);
like($in_txn, qr/ERROR:  25001: tenant_migrate_in_batches\(\) must commit between batches/, 'inside BEGIN: 25001');
is(db('SELECT count(*) FROM tenancy.applied'), '0', 'after the refusals: nothing applied');

# in batches of 200: every one applied, one batch id per chunk
my ($out, $notice, $rc) = tn_psql($A, 'db', ['CALL tenant_migrate_in_batches(200)'], quiet => 1);
is($rc, 0, 'in batches: the call succeeds');
like($notice, qr/NOTICE:  applied 1500 migrations in 8 batches/, 'in batches: 1500 migrations in 8 batches');
is(db('SELECT count(*) FROM tenancy.applied'), $n, "in batches: all $n applied");
is(db('SELECT count(DISTINCT batch) FROM tenancy.applied'), '8', 'in batches: one batch id per chunk');
is(db("SELECT count(*) FROM pg_catalog.pg_class WHERE relname ~ '^t[0-9]+\$' AND relkind = 'r'"), $n, "in batches: $n tables exist");
($out, $notice, $rc) = tn_psql($A, 'db', ['CALL tenant_migrate_in_batches(200)'], quiet => 1);
like($notice, qr/applied 0 migrations in 0 batches/, 'again: nothing to do');

# error classes as on SQLite: a read-only transaction is 25006 with the core's hint
db("SELECT tenant_migration_add('9999', 'late', 'CREATE TABLE late (id int);')");
my (undef, $ro) = tn_psql($A, 'db', ['SET default_transaction_read_only = on', 'SELECT tenant_migrate()'],
	vars => ['VERBOSITY=verbose'], quiet => 1);
like($ro, qr/^ERROR:  25006:/m, 'read-only transaction: SQLSTATE 25006');
like($ro, qr/HINT:  The database cannot be written \(file or folder permissions, a read-only mount, or a read-only server or transaction\)/,
	'read-only transaction: the same hint as on SQLite');
is(db("SELECT count(*) FROM tenancy.applied WHERE version = '9999'"), '0', 'read-only transaction: nothing applied');
done_testing();
