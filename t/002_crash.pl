
# Crash: the load of the stress test (TagsLoad.pm) killed by an immediate
# shutdown while it runs, then a restart.  Crash recovery must leave the
# tables consistent (the same invariants as after the stress test), their
# indexes and heaps must pass amcheck, and the functions must work.

use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);
use TagsLoad;

# data checksums, so that amcheck also sees torn or mis-replayed pages
my $node = TagsLoad::new_node('crash', extra => ['--data-checksums']);
$node->start;
TagsLoad::setup($node);

# the load runs in the background, for longer than the test lets it
my @cmd = TagsLoad::pgbench_command($node, PostgreSQL::Test::Utils::tempdir,
	seconds => 120);
my ($stdout, $stderr) = ('', '');
my $pgbench = IPC::Run::start(\@cmd, '>', \$stdout, '2>', \$stderr,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));

# a checkpoint in the middle of the load, so that recovery starts from one
# taken while writers were busy and replays full-page images
sleep 5;
$node->safe_psql('postgres', 'CHECKPOINT');
sleep 5;

# pgbench is still running, with clients connected, when the server dies
my $clients = $node->safe_psql('postgres',
	qq{SELECT count(*) FROM pg_stat_activity
	   WHERE application_name = '$TagsLoad::APPNAME'});
note "$clients pgbench clients connected at the crash";
ok($pgbench->pumpable && $clients > 0,
	'the load is running when the server is stopped');
$node->stop('immediate');

# pgbench ends once its connections are gone (its clients' failures are
# expected here)
$pgbench->finish;
note "pgbench exit code " . ($? >> 8);
note "pgbench stdout:\n$stdout";
note "pgbench stderr (last lines):\n"
  . join("\n", (split /\n/, $stderr)[-5 .. -1]);
ok(!$pgbench->pumpable, 'pgbench ended after the crash');

# the server restarts through crash recovery
$node->start;
like(
	slurp_file($node->logfile),
	qr/database system was interrupted|not properly shut down; automatic recovery in progress/,
	'the restart ran crash recovery');

# the invariants hold after recovery
TagsLoad::check_invariants($node, 'after recovery');

# amcheck finds nothing wrong in any index of the extension's tables (the
# three and the counters), each checked against its heap (heapallindexed),
# nor in their heaps
$node->safe_psql('postgres', 'CREATE EXTENSION amcheck');
my ($ret, $out, $err) = $node->psql(
	'postgres', q{
SELECT c.relname, bt_index_check(c.oid, true),
       bt_index_parent_check(c.oid, true)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid IN ('posts'::regclass, 'tags'::regclass,
                     'post_tags'::regclass, 'tag_post_counts'::regclass)
ORDER BY 1});
is($ret, 0, 'bt_index_check succeeds on every index');
is($err, '', 'bt_index_check reports nothing');

# the indexes checked are all eight of the extension's tables
is( $out,
	join("\n",
		map { "$_||" }
		  qw(post_tags_pkey post_tags_tag_id_idx posts_pkey tag_post_counts_pkey tag_post_counts_post_count_idx
		  tags_name_key tags_pkey tags_slug_key)),
	'every index of the extension\'s tables was checked');

# the heaps have no corruption either
is( $node->safe_psql(
		'postgres', q{
SELECT r, v.* FROM unnest(ARRAY['posts', 'tags', 'post_tags', 'tag_post_counts',
                                'tag_post_count_deltas']::regclass[]) r,
	LATERAL verify_heapam(r) v}),
	'',
	'verify_heapam finds no corruption in the extension\'s tables');

# the writers work after recovery: an existing tag is found, a new one is
# created with its slug, in the order given
is( $node->safe_psql(
		'postgres',
		q{SELECT name, slug FROM tags_get_or_create(ARRAY['After  Crash', 'PYTHON'])}
	),
	"after crash|after-crash\npython|python",
	'tags_get_or_create works after recovery');

# post 1 (never hard-deleted by the load) takes exactly the new list
is( $node->safe_psql(
		'postgres',
		q{SELECT string_agg(name, ', ') FROM post_set_tags(1, ARRAY['after crash', 'Rust'])}
	),
	'after crash, rust',
	'post_set_tags works after recovery');

# and the invariants still hold after these writes
TagsLoad::check_invariants($node, 'after the writes that follow recovery');

$node->stop;
done_testing();
