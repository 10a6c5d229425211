# Backup: pg_dump of a loaded database, in plain format restored with psql
# and in custom format restored with pg_restore, gives back every row of
# posts, tags, post_tags, tag_synonyms and tag_slug_aliases with the same
# ids, names, slugs, positions and timestamps, the same answers from the
# readers, and identity sequences that go on where the dumped ones stood.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TagsReads;

my $node = PostgreSQL::Test::Cluster->new('backup');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', 'CREATE EXTENSION tags');

# The load: a few hundred posts (published, drafts, archived, soft-deleted,
# some sharing a created_at), tags whose slugs collide, ordered tag lists
# written by every writer, ORM rows without a position, direct writes to
# tags, and ids the sequences have passed (the last post and tag deleted).
$node->safe_psql('src', q{
INSERT INTO posts (title, body, status, created_at, deleted_at)
SELECT 'Post ' || i,
       CASE WHEN i % 5 = 0 THEN ''
            ELSE E'Body of post ' || i || E',\nwith a "quote", a tab\t and a '' ' END,
       CASE WHEN i % 7 = 0 THEN 'draft'
            WHEN i % 11 = 0 THEN 'archived'
            ELSE 'published' END,
       timestamptz '2024-01-01 00:00:00.123456+00'
           + (i / 3) * interval '1 hour 2.654321 seconds',
       CASE WHEN i % 13 = 0
            THEN timestamptz '2024-06-01 12:00:00.000001+00' + i * interval '1 second' END
FROM generate_series(1, 301) AS i;

-- the documented collisions, each call its own statement
SELECT count(*) FROM tags_get_or_create(ARRAY['cafe']);
SELECT count(*) FROM tags_get_or_create(ARRAY['café', 'Cafe']);
SELECT count(*) FROM tags_get_or_create(ARRAY['Café!', 'CAFE', 'Cafe' || U&'\0301']);
SELECT count(*) FROM tags_get_or_create(ARRAY['cafe-2', 'C', 'C++', 'c#', 'c-plus-plus']);
SELECT count(*) FROM tags_get_or_create(ARRAY['Straße', 'strasse', 'STRASSE!']);

-- direct writes: without a slug (the trigger picks one), and with one
INSERT INTO tags (name) VALUES ('  Machine   Learning '), ('machine-learning');
INSERT INTO tags (name, slug) VALUES ('Hand Made', 'hand-made-by-me');

CREATE TEMP TABLE vocab AS
SELECT ARRAY['Python', 'PostgreSQL', 'ＰＹＴＨＯＮ', ' rust ', 'cafe', 'café',
             'Café!', 'C', 'C++', 'C#', 'c-plus-plus', '🐍', '日本語', 'Москва',
             'Straße', 'strasse', 'Machine Learning', 'machine-learning',
             'Go', 'Haskell', 'OCaml', 'Zig', 'Elixir', 'Erlang', 'Lisp',
             'Scheme', 'SQL', 'NoSQL', 'Web', 'Ops', 'Linux', 'BSD']::text[] AS v;

-- an ordered list for every post but a few that keep none
SELECT count(*)
FROM posts AS p, vocab,
     LATERAL post_set_tags(p.id,
         ARRAY(SELECT v[1 + (p.id * 7 + j * 5) % 32]
               FROM generate_series(1, 1 + p.id % 6) AS j
               ORDER BY j))
WHERE p.id % 17 <> 0;

-- more at the end of some lists, and some removed from others
SELECT count(*)
FROM posts AS p, vocab,
     LATERAL post_add_tags(p.id, ARRAY[v[1 + p.id % 32], 'Late Tag ' || p.id % 9])
WHERE p.id % 3 = 0;
SELECT count(*)
FROM posts AS p, vocab,
     LATERAL post_remove_tags(p.id, ARRAY[v[1 + (p.id * 7 + 5) % 32], 'no such tag'])
WHERE p.id % 4 = 0;

-- ORM rows: a plain two-column insert leaves position NULL
INSERT INTO post_tags (post_id, tag_id)
SELECT p.id, t.id
FROM posts AS p, tags AS t
WHERE p.id % 10 = 1 AND t.name = 'hand made'
ON CONFLICT DO NOTHING;
INSERT INTO post_tags (post_id, tag_id)
SELECT 17, id FROM tags WHERE name IN ('c', 'zig');

-- one post renumbered by a later writer: the ORM row gets a position
SELECT count(*) FROM post_add_tags(21, ARRAY['Python']);

-- tag care (1.1): a synonym, a rename (an old slug), a merge (both)
SELECT count(*) FROM tag_add_synonym('py', 'python');
SELECT count(*) FROM tag_rename('ops', 'DevOps');
SELECT tag_merge('nosql', 'sql');

-- a tag and a post past the end, deleted: the sequences stand beyond max(id)
SELECT count(*) FROM tags_get_or_create(ARRAY['Doomed Tag']);
DELETE FROM tags WHERE name = 'doomed tag';
DELETE FROM posts WHERE id = 301;
});

# The load has what the checks need, so they cannot pass on a trivial one.
# expected: three tags on the root cafe, ORM rows with NULL position, drafts,
# archived and soft-deleted posts, posts without tags, and sequences past
# the largest ids
is( $node->safe_psql(
		'src', q{
SELECT (SELECT string_agg(slug, ',' ORDER BY slug) FROM tags WHERE slug LIKE 'cafe%'),
       (SELECT count(*) FROM post_tags WHERE position IS NULL) > 20,
       (SELECT count(DISTINCT status) FROM posts),
       (SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL) > 10,
       (SELECT count(*) FROM posts p
        WHERE NOT EXISTS (SELECT FROM post_tags WHERE post_id = p.id)) > 5,
       (SELECT last_value FROM posts_id_seq) > (SELECT max(id) FROM posts),
       (SELECT last_value FROM tags_id_seq) > (SELECT max(id) FROM tags),
       (SELECT count(*) FROM posts), (SELECT count(*) FROM tags)}),
	'cafe,cafe-2,cafe-2-2,cafe-3|t|3|t|t|t|t|300|36',
	'the loaded database has collisions, NULL positions, every status and gaps');

# What must survive, each as one text per row, in a fixed order.
my %snapshot_sql = (
	posts => q{SELECT p::text FROM posts AS p ORDER BY id},
	tags => q{SELECT t::text FROM tags AS t ORDER BY id},
	post_tags =>
	  q{SELECT pt::text FROM post_tags AS pt ORDER BY post_id, tag_id},
	tag_synonyms => q{SELECT s::text FROM tag_synonyms AS s ORDER BY name},
	tag_slug_aliases =>
	  q{SELECT a::text FROM tag_slug_aliases AS a ORDER BY slug},
	sequences => q{
SELECT 'posts ' || last_value || ' ' || is_called FROM posts_id_seq
UNION ALL
SELECT 'tags ' || last_value || ' ' || is_called FROM tags_id_seq},
	post_get_tags => $TagsReads::POST_GET_TAGS,
	tag_counts => $TagsReads::TAG_COUNTS,
	posts_by_tag => q{
SELECT t.slug || ' ' || tag_post_count(t.slug) || ' page ' || g || ': ' || coalesce(
    (SELECT string_agg(b.id::text, ',' ORDER BY b.ord)
     FROM posts_by_tag(t.slug, g, 7) WITH ORDINALITY
          AS b(id, title, body, status, created_at, deleted_at, ord)), '')
FROM tags AS t, generate_series(1, (tag_post_count(t.slug) / 7 + 2)::integer) AS g
ORDER BY t.slug, g});

sub snapshot
{
	my ($db) = @_;
	my %snap;
	foreach my $what (keys %snapshot_sql)
	{
		$snap{$what} =
		  [ split /\n/, $node->safe_psql($db, $snapshot_sql{$what}) ];
	}
	return \%snap;
}

my $source = snapshot('src');

# expected: the source's snapshot covers every row (a body with a newline
# takes two lines), so comparing with it compares something
my %min_lines = (
	posts => 300,
	tags => 36,
	post_tags => 600,
	tag_synonyms => 2,
	tag_slug_aliases => 2,
	sequences => 2,
	post_get_tags => 300,
	tag_counts => 36,
	posts_by_tag => 74);
is_deeply(
	{ map { $_ => scalar(@{ $source->{$_} }) >= $min_lines{$_} } keys %min_lines },
	{ map { $_ => 1 } keys %min_lines },
	'the source snapshot has a line for every row');

my $dir = PostgreSQL::Test::Utils::tempdir;

# Both dumps are taken before anything else touches the source.
# expected: pg_dump succeeds and warns about nothing
$node->command_checks_all(
	[ 'pg_dump', '--no-sync', '-Fp', '-f', "$dir/src.sql", 'src' ],
	0, [qr/^$/], [qr/^$/], 'pg_dump in plain format');
$node->command_checks_all(
	[ 'pg_dump', '--no-sync', '-Fc', '-f', "$dir/src.dump", 'src' ],
	0, [qr/^$/], [qr/^$/], 'pg_dump in custom format');

$node->safe_psql('postgres', 'CREATE DATABASE dst_plain');
$node->safe_psql('postgres', 'CREATE DATABASE dst_custom');

# expected: the plain dump restores with psql without an error or warning
$node->command_checks_all(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
		'-f', "$dir/src.sql", '-d', 'dst_plain'
	],
	0, [qr//], [qr/^$/], 'plain dump restored with psql');

# expected: the custom dump restores with pg_restore without an error or
# warning
$node->command_checks_all(
	[ 'pg_restore', '--exit-on-error', '-d', 'dst_custom', "$dir/src.dump" ],
	0, [qr/^$/], [qr/^$/], 'custom dump restored with pg_restore');

foreach my $db ('dst_plain', 'dst_custom')
{
	my $restored = snapshot($db);

	foreach my $what (sort keys %snapshot_sql)
	{
		# expected: row for row identical to the source (ids, names, slugs,
		# positions, timestamps; the readers' answers in their order; the
		# sequences' positions)
		is_deeply($restored->{$what}, $source->{$what},
			"$db: $what identical to the source");
	}
}

# The next tag and post: the restored databases give the ids and the slug
# the source gives, fresh ones beyond every restored id.
my $next_sql = q{
WITH new_post AS (INSERT INTO posts (title) VALUES ('after') RETURNING id)
SELECT (SELECT max(id) FROM tags), (SELECT max(id) FROM posts),
       (SELECT id || ' ' || slug FROM tags_get_or_create(ARRAY['CAFÉ ?'])),
       (SELECT id FROM new_post)};

my ($src_max_tag, $src_max_post, $src_next_tag, $src_next_post) =
  split /\|/, $node->safe_psql('src', $next_sql);

# expected: in the source itself the new ids are past the deleted ones, and
# the new tag takes the next free slug of the root cafe
is( "$src_next_tag|$src_next_post",
	($src_max_tag + 2) . " cafe-4|" . ($src_max_post + 2),
	'source: the next tag and post skip the deleted ids');

foreach my $db ('dst_plain', 'dst_custom')
{
	my ($max_tag, $max_post, $next_tag, $next_post) =
	  split /\|/, $node->safe_psql($db, $next_sql);

	# expected: the restored database's largest ids are the source's
	is("$max_tag|$max_post", "$src_max_tag|$src_max_post",
		"$db: the same largest ids as the source");

	# expected: the next tag gets the id and slug the source gave it, past
	# every restored id, and the next post the id the source gave it
	is("$next_tag|$next_post", "$src_next_tag|$src_next_post",
		"$db: the next tag and post get the ids the source gives");
	my ($next_tag_id) = split / /, $next_tag;
	ok($next_tag_id > $max_tag && $next_post > $max_post,
		"$db: the next tag and post ids are fresh");
}

$node->stop;
done_testing();
