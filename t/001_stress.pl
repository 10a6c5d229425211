
# Stress: 8 pgbench clients for 30 seconds in READ COMMITTED over a small
# vocabulary of hot tags, mixing every write function of the extension with
# an application's direct SQL on the same tables (see TagsLoad.pm for the
# scripts and for which rows may vanish under a writer).  No transaction may
# fail, none may deadlock, and afterwards the tables and the readers must
# agree with an oracle in plain SQL.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TagsLoad;

my $node = TagsLoad::new_node('stress');
$node->start;
TagsLoad::setup($node);

# the vocabulary's spellings make exactly its 12 normalized tags
my $names = $node->safe_psql('postgres', 'SELECT name FROM tags ORDER BY name');
utf8::decode($names);
is($names, join("\n", sort @TagsLoad::TAG_NAMES),
	'the initial tags are the 12 names of the vocabulary');

# the initial data already satisfies the invariants
TagsLoad::check_invariants($node, 'before the load');

# the load: no failed, deadlocked or serialization-failed transaction, no
# aborted client, and some work done
TagsLoad::run_pgbench_and_check($node, PostgreSQL::Test::Utils::tempdir,
	seconds => 30);

# after the load the invariants hold
TagsLoad::check_invariants($node, 'after the load');

# the server logged no deadlock and no other error during the load
my $log = slurp_file($node->logfile);
unlike($log, qr/deadlock detected/, 'the server log has no deadlock');
unlike($log, qr/\b(ERROR|FATAL|PANIC):/, 'the server log has no error');

$node->stop;
done_testing();
