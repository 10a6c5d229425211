# Replica: a streaming standby answers every read function the same as the
# primary, errors included, and every write function fails there with the
# read-only SQLSTATE 25006, also a call that would find every name existing
# and write nothing.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TagsReads;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;

$primary->safe_psql('postgres', 'CREATE EXTENSION tags');

# Some data before the base backup, more after it, so the standby has both
# restored and streamed rows: posts of every status, soft-deleted ones,
# colliding slugs, lists written by every writer, an ORM row without a
# position.
$primary->safe_psql('postgres', q{
INSERT INTO posts (title, status, created_at, deleted_at)
SELECT 'Post ' || i,
       CASE WHEN i % 7 = 0 THEN 'draft'
            WHEN i % 11 = 0 THEN 'archived'
            ELSE 'published' END,
       timestamptz '2024-01-01 00:00:00+00' + (i / 2) * interval '1 hour',
       CASE WHEN i % 13 = 0 THEN timestamptz '2024-06-01 00:00:00+00' END
FROM generate_series(1, 60) AS i;
SELECT count(*) FROM tags_get_or_create(ARRAY['cafe']);
SELECT count(*) FROM tags_get_or_create(ARRAY['café', 'Café!', 'C', 'C++', 'C#']);
});

$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

$primary->safe_psql('postgres', q{
CREATE TEMP TABLE vocab AS
SELECT ARRAY['Python', 'PostgreSQL', 'cafe', 'café', 'Café!', 'C', 'C++', 'C#',
             '🐍', '日本語', 'Straße', 'strasse', 'Go', 'Rust', 'SQL',
             'Linux']::text[] AS v;
SELECT count(*)
FROM posts AS p, vocab,
     LATERAL post_set_tags(p.id,
         ARRAY(SELECT v[1 + (p.id * 3 + j * 5) % 16]
               FROM generate_series(1, 1 + p.id % 5) AS j ORDER BY j))
WHERE p.id % 10 <> 0;
SELECT count(*)
FROM posts AS p, vocab, LATERAL post_add_tags(p.id, ARRAY[v[1 + p.id % 16], 'Late'])
WHERE p.id % 3 = 0;
SELECT count(*)
FROM posts AS p, vocab, LATERAL post_remove_tags(p.id, ARRAY[v[1 + (p.id * 3 + 5) % 16]])
WHERE p.id % 4 = 0;
INSERT INTO tags (name) VALUES ('Direct Tag');
INSERT INTO post_tags (post_id, tag_id)
SELECT 1, id FROM tags WHERE name = 'direct tag';
});

$primary->wait_for_catchup($standby);

# expected: the standby is in recovery, the primary is not
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
is($primary->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	'f', 'the primary is not');

# The answer of a statement as a client sees it: its rows, then its error's
# SQLSTATE, if any.
sub answer
{
	my ($node, $sql) = @_;
	my ($ret, $stdout, $stderr) = $node->psql(
		'postgres', $sql,
		on_error_stop => 1,
		extra_params => [ '-v', 'VERBOSITY=sqlstate' ]);
	return "$stdout\n---\n$stderr";
}

# The SQLSTATE a statement fails with, or 'success'.
sub sqlstate
{
	my ($node, $sql) = @_;
	my ($ret, $stdout, $stderr) = $node->psql(
		'postgres', $sql,
		on_error_stop => 1,
		extra_params => [ '-v', 'VERBOSITY=sqlstate' ]);
	return 'success' if $ret == 0 && $stderr eq '';
	return $1 if $stderr =~ /ERROR:\s+([0-9A-Z]{5})/;
	return "unexpected: $stderr";
}

# Every read function, over every post and tag, every page, and its errors.
my @names = (
	'Python', '  ＰＹＴＨＯＮ  ', 'Café Crème', 'Cafe' . "\x{cc}\x{81}",
	'Москва', '日本語', 'Straße', 'C++', 'C#', '🐍', 'ﬁsh',
	"Machine\x{c2}\x{a0}  Learning", 'tab	and
newline', '!!!', '');
my $names_sql = join(', ', map { my $n = $_; $n =~ s/'/''/g; "'$n'" } @names);

my %reads = (
	post_get_tags => $TagsReads::POST_GET_TAGS,
	tag_counts => $TagsReads::TAG_COUNTS,
	posts_by_tag => q{
SELECT t.slug || ' size ' || s || ' page ' || g || ': ' || coalesce(
    (SELECT string_agg(format('%s/%s/%s', b.id, b.title, b.created_at), ','
                       ORDER BY b.ord)
     FROM posts_by_tag(t.slug, g, s) WITH ORDINALITY
          AS b(id, title, body, status, created_at, deleted_at, ord)), '')
FROM tags AS t, (VALUES (1), (3), (100)) AS sizes(s),
     generate_series(1, (tag_post_count(t.slug) / s + 2)::integer) AS g
ORDER BY t.slug, s, g},
	posts_by_tag_default_page => q{
SELECT slug, (SELECT string_agg(id::text, ',') FROM posts_by_tag(slug))
FROM tags ORDER BY slug},
	tag_post_count => q{
SELECT slug || ' ' || tag_post_count(slug) FROM tags ORDER BY slug},
	tag_normalize =>
	  qq{SELECT n, tag_normalize(n) FROM unnest(ARRAY[$names_sql]) AS n},
	tag_slugify =>
	  qq{SELECT n, tag_slugify(n) FROM unnest(ARRAY[$names_sql]) AS n},
	post_get_tags_missing_post => q{SELECT * FROM post_get_tags(999999)},
	post_get_tags_null_post => q{SELECT * FROM post_get_tags(NULL)},
	posts_by_tag_missing_tag => q{SELECT * FROM posts_by_tag('nope')},
	posts_by_tag_page_0 => q{SELECT * FROM posts_by_tag('python', 0)},
	tag_post_count_missing_tag => q{SELECT tag_post_count('nope')});

foreach my $what (sort keys %reads)
{
	my $on_primary = answer($primary, $reads{$what});

	# expected: the standby gives the primary's rows, in its order, or the
	# same error
	is(answer($standby, $reads{$what}), $on_primary,
		"$what answers the same on the standby");
}

# expected: the reads that are no error case answer rows and no error on
# the primary, so the answers compared above are not the same failure
my @errors = qw(post_get_tags_missing_post post_get_tags_null_post
  posts_by_tag_missing_tag posts_by_tag_page_0 tag_post_count_missing_tag);
foreach my $what (sort keys %reads)
{
	next if grep { $_ eq $what } @errors;
	like(answer($primary, $reads{$what}), qr/\A.+\n---\n\z/s,
		"$what answers rows and no error");
}

# expected: the answers have the content they should, and the error cases
# do fail, with their documented SQLSTATEs
like(answer($primary, $reads{post_get_tags}),
	qr/^1: \d+\/[^\/]+\/[a-z0-9-]+\/[^,]*, .*, \d+\/direct tag\/direct-tag\/[^,]*$/m,
	'post 1 has its ordered tags, the ORM row last');
like(answer($primary, $reads{tag_counts}), qr/^\d+\|python\|python\|[1-9]/m,
	'tag_counts counts');
is(join(',', map { sqlstate($standby, $reads{$_}) } @errors),
	'P0002,22004,P0002,22023,P0002',
	'the readers raise their documented errors on the standby');

# The writes.  Each one's names: new ones, or only names the standby has
# already (and that post 1 has already, for post_add_tags).
my $post1_tags = $standby->safe_psql('postgres',
	q{SELECT string_agg(quote_literal(name), ', ' ORDER BY ord)
	  FROM post_get_tags(1) WITH ORDINALITY AS t(id, name, slug, created_at, ord)});
my $post1_first = $standby->safe_psql('postgres',
	q{SELECT quote_literal(name) FROM post_get_tags(1) LIMIT 1});

# expected: the existing names exist on the standby, so calls with them
# would create nothing
is( $standby->safe_psql(
		'postgres',
		qq{SELECT count(*) FROM tags
		   WHERE name IN ('python', 'postgresql', 'cafe', 'café', $post1_tags)}),
	$standby->safe_psql('postgres',
		qq{SELECT count(DISTINCT n)
		   FROM unnest(ARRAY['python', 'postgresql', 'cafe', 'café', $post1_tags]) AS n}),
	'the existing names used below all exist on the standby');

my %writes = (
	'tags_get_or_create, new names' =>
	  q{SELECT * FROM tags_get_or_create(ARRAY['Brand New', 'Another New'])},
	'tags_get_or_create, new and existing names' =>
	  q{SELECT * FROM tags_get_or_create(ARRAY['Python', 'Brand New'])},
	'post_set_tags, new names' =>
	  q{SELECT * FROM post_set_tags(2, ARRAY['Brand New', 'Python'])},
	'post_set_tags, existing names' =>
	  q{SELECT * FROM post_set_tags(2, ARRAY['cafe', 'Python'])},
	'post_set_tags, the list the post has' =>
	  qq{SELECT * FROM post_set_tags(1, ARRAY[$post1_tags])},
	'post_set_tags, empty list' =>
	  q{SELECT * FROM post_set_tags(1, '{}')},
	'post_add_tags, new names' =>
	  q{SELECT * FROM post_add_tags(1, ARRAY['Brand New'])},
	'post_add_tags, existing names' =>
	  q{SELECT * FROM post_add_tags(1, ARRAY['postgresql', 'cafe'])},
	'post_add_tags, names the post has' =>
	  qq{SELECT * FROM post_add_tags(1, ARRAY[$post1_first])},
	'post_remove_tags, a name the post has' =>
	  qq{SELECT * FROM post_remove_tags(1, ARRAY[$post1_first])},
	'post_remove_tags, a name that is no tag' =>
	  q{SELECT * FROM post_remove_tags(1, ARRAY['no such tag'])},
	'INSERT INTO tags' =>
	  q{INSERT INTO tags (name) VALUES ('Direct On Standby')},
	'INSERT INTO tags with a slug' =>
	  q{INSERT INTO tags (name, slug) VALUES ('Direct Slug', 'direct-slug')});

foreach my $what (sort keys %writes)
{
	# expected: refused as a write in a read-only transaction
	is(sqlstate($standby, $writes{$what}), '25006',
		"$what fails on the standby with 25006");
}

# get-or-create of names that all exist only reads them, so it works on the
# standby, and gives the primary's tags
my $existing =
  q{SELECT * FROM tags_get_or_create(ARRAY['Python', 'PostgreSQL', 'CAFE', 'Café'])};
is(answer($standby, $existing), answer($primary, $existing),
	'tags_get_or_create of existing names only reads, also on the standby');
like(answer($standby, $existing), qr/python.*postgresql.*cafe/s,
	'tags_get_or_create of existing names returns them in order');

# The same writes succeed on the primary, so the standby's refusal is the
# read-only one and not a mistake in the calls.
foreach my $what (sort keys %writes)
{
	# expected: the call succeeds on the primary
	is(sqlstate($primary, $writes{$what}), 'success',
		"$what succeeds on the primary");
}

# After the refused writes, replication goes on: the primary's writes reach
# the standby, whose readers see them.
$primary->safe_psql('postgres',
	q{SELECT count(*) FROM post_set_tags(3, ARRAY['After', 'Python', 'Café!'])});
$primary->wait_for_catchup($standby);

# expected: the standby's readers give the primary's answers, which have the
# new list
foreach my $what (qw(post_get_tags tag_counts posts_by_tag))
{
	is(answer($standby, $reads{$what}), answer($primary, $reads{$what}),
		"$what answers the same on the standby after more writes");
}
like(answer($standby, $reads{post_get_tags}),
	qr/^3: \d+\/after\/after\/[^,]*, \d+\/python\/python\/[^,]*, \d+\/café!\/cafe-3\//m,
	'the standby sees the new list of post 3');

$standby->stop;
$primary->stop;
done_testing();
