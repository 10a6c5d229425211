# Memory: 100 000 calls of the extension's functions in one session leave
# the backend's memory flat.  The calls come in batches of separate
# statements, so what a statement allocates is released when it ends; what
# stays is what the functions keep for the session (prepared statements,
# settings) and what they would leak into long-lived memory.  The memory is
# measured after a first batch, which warms every cache up, and after the
# rest.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

# Calls per function in one batch: writers that create tags (with new base
# slugs, and with a base slug other tags hold), writers and get-or-create
# that find every name existing, and every reader.  5 000 calls a batch.
my %calls_per_batch = (
	tags_get_or_create => 95 + 5 + 400,
	tag_normalize => 740,
	tag_slugify => 740,
	post_set_tags => 2 * 200,
	post_add_tags => 200,
	post_remove_tags => 200,
	post_get_tags => 1000,
	posts_by_tag => 600,
	tag_post_count => 600,
	tag_counts => 20);
my $batches = 20;
my $calls_per_batch = 0;
$calls_per_batch += $_ foreach values %calls_per_batch;

# The largest growth allowed from the end of the first batch to the end of
# the last: under 11 bytes a call over the 95 000 calls after the first
# batch.
my $bound = 1024 * 1024;

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
# count every call of the C functions, to check the test makes the calls it
# says it makes
$node->append_conf('postgresql.conf', 'track_functions = all');
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION tags;
INSERT INTO posts (title, status)
SELECT 'Post ' || i, CASE WHEN i % 9 = 0 THEN 'draft' ELSE 'published' END
FROM generate_series(1, 200) AS i;
CREATE TABLE vocab (i integer PRIMARY KEY, name text NOT NULL, slug text);
INSERT INTO vocab (i, name)
SELECT ord - 1, name
FROM unnest(ARRAY['Python', 'PostgreSQL', 'cafe', 'café', 'Café!', 'C', 'C++',
                  'C#', '🐍', '日本語', 'Straße', 'strasse', 'Go', 'Rust',
                  'SQL', 'Linux']) WITH ORDINALITY AS v(name, ord);
-- the names are distinct tags, returned in the order given
UPDATE vocab SET slug = t.slug
FROM tags_get_or_create(ARRAY(SELECT name FROM vocab ORDER BY i))
     WITH ORDINALITY AS t(id, name, slug, created_at, ord)
WHERE vocab.i = t.ord - 1;
});

# The statements of batch $b: each makes hundreds of calls of one function,
# all of them distinct (arguments that depend on the row, so no call is a
# rescan of an earlier result), and a post is written at most once in a
# statement.
sub batch
{
	my ($b) = @_;
	return (
		# new names, each with its own base slug
		qq{SELECT count(*) FROM generate_series(1, 95) AS g,
		       LATERAL tags_get_or_create(ARRAY['mem b$b n' || g])},
		# new names whose base slug, cafe, other tags hold
		qq{SELECT count(*) FROM generate_series(1, 5) AS k,
		       LATERAL tags_get_or_create(ARRAY['cafe' || repeat('!', $b) || repeat('.', k)])},
		# only existing names
		qq{SELECT count(*) FROM generate_series(1, 400) AS g,
		       LATERAL tags_get_or_create(ARRAY[
		           (SELECT name FROM vocab WHERE i = g % 16),
		           (SELECT name FROM vocab WHERE i = g * 7 % 16),
		           'MEM B1 N' || 1 + g % 95])},
		qq{SELECT count(tag_normalize(n)), count(tag_slugify(n))
		   FROM (SELECT name || ' ' || g || ' $b' AS n
		         FROM generate_series(1, 740) AS g JOIN vocab ON i = g % 16) AS s},
		# lists that change, with existing names only
		(map {
			qq{SELECT count(*) FROM generate_series(1, 200) AS g,
		       LATERAL post_set_tags(g, ARRAY(
		           SELECT name FROM vocab
		           WHERE i IN ((g + $b + $_) % 16, (g * 3 + $b) % 16, g * 5 % 16)
		           ORDER BY (i * $b + g + $_) % 7, i))}
		} (0, 1)),
		# an existing name, and one of this batch's new ones
		qq{SELECT count(*) FROM generate_series(1, 200) AS g,
		       LATERAL post_add_tags(g, ARRAY[
		           (SELECT name FROM vocab WHERE i = (g * 11 + $b) % 16),
		           'mem b$b n' || 1 + g % 95])},
		qq{SELECT count(*) FROM generate_series(1, 200) AS g,
		       LATERAL post_remove_tags(g, ARRAY[
		           (SELECT name FROM vocab WHERE i = (g * 13 + $b) % 16),
		           'no such tag'])},
		qq{SELECT count(*) FROM generate_series(1, 1000) AS g,
		       LATERAL post_get_tags(1 + (g + $b) % 200)},
		qq{SELECT count(*) FROM generate_series(1, 600) AS g
		       JOIN vocab ON i = g % 16,
		       LATERAL posts_by_tag(vocab.slug, 1 + g % 3, 1 + g % 10)},
		qq{SELECT sum(tag_post_count(slug))
		   FROM generate_series(1, 600) AS g JOIN vocab ON i = g % 16},
		# tag_counts() takes no argument: a loop calls it anew each time
		qq{DO \$\$
		   BEGIN
		       FOR n IN 1 .. 20 LOOP
		           PERFORM count(*) FROM tag_counts();
		       END LOOP;
		   END
		   \$\$});
}

my $memory_sql = q{SELECT sum(total_bytes) FROM pg_backend_memory_contexts};

my $session = $node->background_psql('postgres');
my $start = time;

# the warm-up batch
$session->query_safe($_) foreach batch(1);
my $warm = $session->query_safe($memory_sql);
note "after batch 1: $warm bytes";

my ($peak, $last) = ($warm, $warm);
foreach my $b (2 .. $batches)
{
	$session->query_safe($_) foreach batch($b);
	$last = $session->query_safe($memory_sql);
	$peak = $last if $last > $peak;
	note "after batch $b: $last bytes";
}
note sprintf('%d batches of %d calls in %.1f s',
	$batches, $calls_per_batch, time - $start);

# The control: memory the session keeps does show.  Prepared statements
# stay in the backend's memory until the session ends.
$session->query_safe(join ";\n",
	map { "PREPARE control_$_ AS SELECT * FROM post_get_tags(\$1)" } 1 .. 300);
my $control = $session->query_safe($memory_sql);
note "after 300 PREPAREs: $control bytes";

$session->quit;

# expected: the test made the 100 000 calls it says, counted by the
# server's function statistics (flushed when the session ended)
my $expected_calls = join(', ',
	map { "$_ " . $calls_per_batch{$_} * $batches }
	  sort keys %calls_per_batch);
my $calls_sql = q{
SELECT string_agg(funcname || ' ' || calls, ', ' ORDER BY funcname)
FROM pg_stat_user_functions f
JOIN pg_proc p ON p.oid = f.funcid
WHERE p.prorettype <> 'trigger'::regtype};
# and the setup's one call of tags_get_or_create
$expected_calls =~ s/(tags_get_or_create) (\d+)/$1 . ' ' . ($2 + 1)/ge;
$node->poll_query_until('postgres', "SELECT ($calls_sql) = '$expected_calls'")
  or diag 'calls counted: ' . $node->safe_psql('postgres', $calls_sql);
is($node->safe_psql('postgres', $calls_sql),
	$expected_calls, 'the session made 100 000 calls, each function its share');
is($calls_per_batch * $batches, 100_000, 'which add up to 100 000');

# expected: the backend's memory after the last batch, and after any batch
# after the first, is at most $bound above what it was after the first
cmp_ok($last - $warm, '<', $bound,
	"memory flat: grew by @{[ $last - $warm ]} bytes from $warm after 95 000 calls");
cmp_ok($peak - $warm, '<', $bound,
	"memory flat: at most @{[ $peak - $warm ]} bytes above $warm after any batch");

# expected: the measure sees what a session keeps: 300 prepared
# statements take more than the bound
cmp_ok($control - $last, '>', $bound,
	"the measure sees 300 prepared statements: @{[ $control - $last ]} bytes");

# expected: the data the calls made is there (95 new tags a batch, 5 on
# the root cafe), so the calls did their work
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FILTER (WHERE name LIKE 'mem b% n%'),
       count(*) FILTER (WHERE slug ~ '^cafe(-[0-9]+)?$')
FROM tags}),
	(95 * $batches) . '|' . (5 * $batches + 3),
	'every batch created its tags');

$node->stop;
done_testing();
