# Targets survive a dump: pg_dump of a database with the built-in posts and
# two targets of its own (articles: a bigint key, a visibility predicate, a
# sort column, and columns, an index and a trigger of the application's on
# its association table; bookmarks: a uuid key, neither predicate nor sort
# column), in plain format restored with psql and in custom format restored
# with pg_restore into fresh databases, gives back every row of tags, posts,
# post_tags, the targets, their association tables and counters and the
# registry, the same triggers, constraints and indexes, and the same answers
# from every reader.  The restored databases then keep working as the
# source does: the item_* writers on both targets, the copy and counter
# triggers (an UPDATE of an article's status changes the counts), a plain
# INSERT into an association table, tags_prune and tag_merge across the
# targets, and DROP TABLE ... CASCADE forgetting a target.
#
# TAGS_EXTENSION_DESTDIR: run against a private install (make install
# DESTDIR=...) rather than the server's, as bench/run.sh's BENCH_DESTDIR
# does, through the Debian server's extension_destdir; unset, the test uses
# the extension installed in the server, as make test does.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TagsReads;

my $node = PostgreSQL::Test::Cluster->new('targets_dump');
$node->init;
$node->append_conf('postgresql.conf',
	"extension_destdir = '$ENV{TAGS_EXTENSION_DESTDIR}'")
  if $ENV{TAGS_EXTENSION_DESTDIR};
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', 'CREATE EXTENSION tags');

# The load: posts, articles and bookmarks of every visibility, each tagged
# by every writer from one vocabulary (so that tags are shared across the
# targets), ORM rows without a position, tags used by one target only,
# articles hidden, shown and redated after they were tagged, and tag care
# (a synonym, a merge) across the targets.
$node->safe_psql('src', q{
CREATE TABLE articles (
    id           bigint PRIMARY KEY,
    title        text NOT NULL,
    status       text NOT NULL DEFAULT 'draft',
    published_at timestamptz NOT NULL,
    deleted_at   timestamptz,
    word_count   integer
);
CREATE INDEX articles_status ON articles (status);
SELECT tags_enable('articles', $$status = 'published' AND deleted_at IS NULL$$,
                   'published_at');

-- the application's own on the association table: columns, an index and a
-- trigger that logs every association added or removed
ALTER TABLE articles_tags ADD COLUMN added_by text NOT NULL DEFAULT 'app',
                          ADD COLUMN note text;
CREATE INDEX articles_tags_added_by ON articles_tags (added_by, item_id);
CREATE TABLE article_tag_log (
    n       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id bigint NOT NULL,
    tag_id  integer NOT NULL,
    op      text NOT NULL
);
CREATE FUNCTION article_tag_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO article_tag_log (item_id, tag_id, op)
        VALUES (OLD.item_id, OLD.tag_id, 'D');
        RETURN OLD;
    END IF;
    INSERT INTO article_tag_log (item_id, tag_id, op)
    VALUES (NEW.item_id, NEW.tag_id, 'I');
    RETURN NEW;
END
$$;
CREATE TRIGGER article_tag_logged AFTER INSERT OR DELETE ON articles_tags
    FOR EACH ROW EXECUTE FUNCTION article_tag_logged();

CREATE TABLE bookmarks (
    id  uuid PRIMARY KEY,
    url text NOT NULL UNIQUE
);
SELECT tags_enable('bookmarks');

INSERT INTO posts (title, status, created_at, deleted_at)
SELECT 'Post ' || i,
       CASE WHEN i % 7 = 0 THEN 'draft' ELSE 'published' END,
       timestamptz '2024-01-01 00:00:00.123456+00' + (i / 2) * interval '1 hour',
       CASE WHEN i % 13 = 0 THEN timestamptz '2024-06-01 00:00:00+00' END
FROM generate_series(1, 60) AS i;

INSERT INTO articles (id, title, status, published_at, deleted_at, word_count)
SELECT i, 'Article ' || i,
       CASE WHEN i % 6 = 0 THEN 'draft' ELSE 'published' END,
       timestamptz '2024-02-01 00:00:00.5+00' + (i / 2) * interval '1 hour 1.25 seconds',
       CASE WHEN i % 9 = 0 THEN timestamptz '2024-07-01 00:00:00+00' + i * interval '1 minute' END,
       i * 10
FROM generate_series(1, 120) AS i;

INSERT INTO bookmarks (id, url)
SELECT md5('b' || i)::uuid, 'https://example.com/' || i
FROM generate_series(1, 80) AS i;

CREATE TEMP TABLE vocab AS
SELECT ARRAY['Python', 'PostgreSQL', 'ＰＹＴＨＯＮ', ' rust ', 'cafe', 'café',
             'C', 'C++', 'C#', '🐍', '日本語', 'Москва', 'Straße', 'Go',
             'Haskell', 'Zig', 'Lisp', 'SQL', 'NoSQL', 'Web']::text[] AS v;

-- ordered lists, written by every writer
SELECT count(*)
FROM posts AS p, vocab,
     LATERAL post_set_tags(p.id,
         ARRAY(SELECT v[1 + (p.id * 7 + j * 3) % 20]
               FROM generate_series(1, 1 + p.id % 5) AS j ORDER BY j))
WHERE p.id % 11 <> 0;
SELECT count(*)
FROM articles AS a, vocab,
     LATERAL item_set_tags('articles', a.id,
         ARRAY(SELECT v[1 + (a.id * 5 + j * 7) % 20]
               FROM generate_series(1, 1 + a.id % 6) AS j ORDER BY j))
WHERE a.id % 10 <> 0;
SELECT count(*)
FROM articles AS a, vocab,
     LATERAL item_add_tags('articles', a.id, ARRAY[v[1 + a.id % 20], 'Article Only'])
WHERE a.id % 3 = 0 AND a.id % 10 <> 0;
SELECT count(*)
FROM articles AS a, vocab,
     LATERAL item_remove_tags('articles', a.id, ARRAY[v[1 + (a.id * 5 + 7) % 20], 'no such tag'])
WHERE a.id % 4 = 0;
SELECT count(*)
FROM (SELECT row_number() OVER (ORDER BY url) AS i, id FROM bookmarks) AS b, vocab,
     LATERAL item_set_tags('bookmarks', b.id,
         ARRAY(SELECT v[1 + (b.i * 3 + j * 11) % 20]
               FROM generate_series(1, 1 + b.i % 4) AS j ORDER BY j))
WHERE b.i % 8 <> 0;
SELECT count(*)
FROM bookmarks AS b, LATERAL item_add_tags('bookmarks', b.id, ARRAY['Bookmarked Only'])
WHERE b.url LIKE '%3';

-- ORM rows: a plain insert leaves position NULL, and the copies to the
-- triggers
INSERT INTO articles_tags (item_id, tag_id, added_by, note)
SELECT a.id, t.id, 'orm', 'by hand'
FROM articles AS a, tags AS t
WHERE a.id % 10 = 5 AND t.name IN ('zig', 'lisp')
ON CONFLICT DO NOTHING;
INSERT INTO bookmarks_tags (item_id, tag_id)
SELECT b.id, t.id FROM bookmarks AS b, tags AS t
WHERE b.url LIKE '%7' AND t.name = 'web'
ON CONFLICT DO NOTHING;

-- articles hidden, shown and redated after they were tagged
UPDATE articles SET status = 'draft' WHERE id % 8 = 1;
UPDATE articles SET status = 'published' WHERE id % 12 = 6;
UPDATE articles SET deleted_at = timestamptz '2024-08-01 00:00:00+00' WHERE id % 17 = 0;
UPDATE articles SET published_at = published_at + interval '3 days 0.75 seconds' WHERE id % 7 = 0;

-- tag care across the targets
SELECT count(*) FROM tag_add_synonym('py', 'python');
SELECT tag_merge('nosql', 'sql');
SELECT tags_fold_counts() >= 0;
});

# expected: the load has what the checks need: both targets registered,
# ORM rows without a position in both association tables, hidden and
# visible articles, items without tags, tags of one target only, a synonym
# and a merge, and counters both folded and pending
is( $node->safe_psql(
		'src', q{
SELECT (SELECT string_agg(target::text || ':' || association::text || ':' || sort_column,
                          ',' ORDER BY target::text) FROM tag_targets),
       (SELECT count(*) FROM articles_tags WHERE position IS NULL) > 10,
       (SELECT count(*) FROM bookmarks_tags WHERE position IS NULL) > 3,
       (SELECT count(DISTINCT item_visible) FROM articles_tags),
       (SELECT count(*) FROM articles a
        WHERE NOT EXISTS (SELECT FROM articles_tags WHERE item_id = a.id)) > 5,
       (SELECT count(*) FROM bookmarks b
        WHERE NOT EXISTS (SELECT FROM bookmarks_tags WHERE item_id = b.id)) > 5,
       (SELECT count(*) FROM tags t WHERE slug = 'article-only'
        AND NOT EXISTS (SELECT FROM post_tags WHERE tag_id = t.id)
        AND NOT EXISTS (SELECT FROM bookmarks_tags WHERE tag_id = t.id)),
       (SELECT count(*) FROM tags t WHERE slug = 'bookmarked-only'
        AND NOT EXISTS (SELECT FROM post_tags WHERE tag_id = t.id)
        AND NOT EXISTS (SELECT FROM articles_tags WHERE tag_id = t.id)),
       (SELECT count(*) FROM tag_synonyms),
       (SELECT count(*) FROM tags WHERE slug = 'nosql'),
       (SELECT count(*) FROM articles_tag_counts) > 0,
       (SELECT count(*) FROM article_tag_log) > 300}),
	'articles:articles_tags:published_at,bookmarks:bookmarks_tags:id,posts:post_tags:created_at|t|t|2|t|t|1|1|2|0|t|t',
	'the loaded database has both targets, ORM rows, hidden articles and tags of one target');

# What must survive, each as one text per row, in a fixed order.
my %snapshot_sql = (
	tags => q{SELECT t::text FROM tags AS t ORDER BY id},
	posts => q{SELECT p::text FROM posts AS p ORDER BY id},
	post_tags =>
	  q{SELECT pt::text FROM post_tags AS pt ORDER BY post_id, tag_id},
	tag_synonyms => q{SELECT s::text FROM tag_synonyms AS s ORDER BY name},
	tag_slug_aliases =>
	  q{SELECT a::text FROM tag_slug_aliases AS a ORDER BY slug},
	tag_targets => q{
SELECT format('%s %s %s %s %s %s %s', target, association, counts,
              count_deltas, visible, sort_column, builtin)
FROM tag_targets ORDER BY target::text},
	articles => q{SELECT a::text FROM articles AS a ORDER BY id},
	articles_tags =>
	  q{SELECT a::text FROM articles_tags AS a ORDER BY item_id, tag_id},
	article_tag_log => q{SELECT l::text FROM article_tag_log AS l ORDER BY n},
	bookmarks => q{SELECT b::text FROM bookmarks AS b ORDER BY id},
	bookmarks_tags =>
	  q{SELECT b::text FROM bookmarks_tags AS b ORDER BY item_id, tag_id},
	counters => q{
SELECT 'articles ' || c::text FROM articles_tag_counts AS c
UNION ALL SELECT 'articles delta ' || d::text FROM articles_tag_count_deltas AS d
UNION ALL SELECT 'bookmarks ' || c::text FROM bookmarks_tag_counts AS c
UNION ALL SELECT 'bookmarks delta ' || d::text FROM bookmarks_tag_count_deltas AS d
ORDER BY 1},
	sequences => q{
SELECT 'posts ' || last_value || ' ' || is_called FROM posts_id_seq
UNION ALL
SELECT 'tags ' || last_value || ' ' || is_called FROM tags_id_seq},

	# the schema of the tables of the targets: what the triggers, the
	# foreign keys and the readers' index rest on
	triggers => q{
SELECT tgrelid::regclass || ' ' || pg_get_triggerdef(oid) || ' ' || tgenabled::text
FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1},
	constraints => q{
SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1},
	indexes => q{
SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1},
	tables => q{
SELECT c.relname || ' ' || pg_get_userbyid(c.relowner) || ' '
       || coalesce(array_to_string(c.reloptions, ','), '-')
FROM pg_class AS c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
ORDER BY 1},

	# the readers of posts
	post_get_tags => $TagsReads::POST_GET_TAGS,
	tag_counts => $TagsReads::TAG_COUNTS,

	# the readers of the targets
	tag_item_counts => q{
SELECT tg || ' ' || format('%s|%s|%s|%s', c.id, c.name, c.slug, c.item_count)
FROM unnest(ARRAY['articles', 'bookmarks']) AS tg,
     LATERAL tag_item_counts(tg::regclass) WITH ORDINALITY
         AS c(id, name, slug, item_count, ord)
ORDER BY tg, c.ord},
	tag_item_counts_top => q{
SELECT tg || ' ' || string_agg(c.slug || '=' || c.item_count, ',' ORDER BY c.ord)
FROM unnest(ARRAY['articles', 'bookmarks']) AS tg,
     LATERAL tag_item_counts(tg::regclass, 5) WITH ORDINALITY
         AS c(id, name, slug, item_count, ord)
GROUP BY tg ORDER BY tg},
	items_by_tag => q{
SELECT 'articles ' || t.slug || ' ' || tag_item_count('articles', t.slug)
       || ' page ' || g || ': ' || coalesce(
    (SELECT string_agg(b.id::text, ',' ORDER BY b.ordinality)
     FROM items_by_tag(NULL::articles, t.slug, g, 7) WITH ORDINALITY AS b), '')
FROM tags AS t,
     generate_series(1, (tag_item_count('articles', t.slug) / 7 + 2)::integer) AS g
UNION ALL
SELECT 'bookmarks ' || t.slug || ' ' || tag_item_count('bookmarks', t.slug)
       || ' page ' || g || ': ' || coalesce(
    (SELECT string_agg(b.id::text, ',' ORDER BY b.ordinality)
     FROM items_by_tag(NULL::bookmarks, t.slug, g, 7) WITH ORDINALITY AS b), '')
FROM tags AS t,
     generate_series(1, (tag_item_count('bookmarks', t.slug) / 7 + 2)::integer) AS g
ORDER BY 1},
	item_get_tags => q{
SELECT 'articles ' || a.id || ': ' || coalesce(
    (SELECT string_agg(format('%s/%s/%s/%s', t.id, t.name, t.slug, t.created_at),
                       ', ' ORDER BY t.ord)
     FROM item_get_tags('articles', a.id) WITH ORDINALITY
          AS t(id, name, slug, created_at, ord)), '')
FROM articles AS a
UNION ALL
SELECT 'bookmarks ' || b.id || ': ' || coalesce(
    (SELECT string_agg(format('%s/%s/%s/%s', t.id, t.name, t.slug, t.created_at),
                       ', ' ORDER BY t.ord)
     FROM item_get_tags('bookmarks', b.id) WITH ORDINALITY
          AS t(id, name, slug, created_at, ord)), '')
FROM bookmarks AS b
ORDER BY 1});

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

# expected: the source's snapshot covers every row, so comparing with it
# compares something
my %min_lines = (
	tags => 19,
	posts => 60,
	post_tags => 100,
	tag_synonyms => 2,
	tag_slug_aliases => 1,
	tag_targets => 3,
	articles => 120,
	articles_tags => 300,
	article_tag_log => 300,
	bookmarks => 80,
	bookmarks_tags => 100,
	counters => 30,
	sequences => 2,
	triggers => 14,
	constraints => 20,
	indexes => 15,
	tables => 15,
	post_get_tags => 60,
	tag_counts => 19,
	tag_item_counts => 38,
	tag_item_counts_top => 2,
	items_by_tag => 76,
	item_get_tags => 200);
is_deeply(
	{
		map { $_ => scalar(@{ $source->{$_} }) >= $min_lines{$_} }
		  keys %min_lines
	},
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
		# expected: row for row identical to the source (keys, names, slugs,
		# positions, copies, counters, timestamps; the registry; the
		# triggers, constraints and indexes; the readers' answers in their
		# order)
		is_deeply($restored->{$what}, $source->{$what},
			"$db: $what identical to the source");
	}
}

# Keep working: the same steps in the source and in each restored
# database.  Each step's answer must be the one written with it, and the
# source's.
my $b1 = q{md5('b1')::uuid};

# every count of every target equals a live count of its visible items,
# and every association's copies are its item's
my $exact_sql = q{
SELECT (SELECT count(*) FROM tag_item_counts('articles') AS c
        WHERE c.item_count <> (SELECT count(*) FROM articles_tags x
                               JOIN articles y ON y.id = x.item_id
                               WHERE x.tag_id = c.id AND y.status = 'published'
                                 AND y.deleted_at IS NULL)
           OR c.item_count <> tag_item_count('articles', c.slug))
     + (SELECT count(*) FROM tag_item_counts('bookmarks') AS c
        WHERE c.item_count <> (SELECT count(*) FROM bookmarks_tags x
                               WHERE x.tag_id = c.id)
           OR c.item_count <> tag_item_count('bookmarks', c.slug))
     + (SELECT count(*) FROM tag_counts() AS c
        WHERE c.post_count <> (SELECT count(*) FROM post_tags x
                               JOIN posts y ON y.id = x.post_id
                               WHERE x.tag_id = c.id AND y.status = 'published'
                                 AND y.deleted_at IS NULL)) AS wrong_counts,
       (SELECT count(*) FROM articles_tags x JOIN articles y ON y.id = x.item_id
        WHERE x.item_visible IS DISTINCT FROM (y.status = 'published' AND y.deleted_at IS NULL)
           OR x.item_sort <> y.published_at)
     + (SELECT count(*) FROM bookmarks_tags x
        WHERE NOT x.item_visible OR x.item_sort <> x.item_id) AS wrong_copies};

my @steps = (
	[ 'the copies and counts are exact', $exact_sql, '0|0' ],

	# the writers on both targets and on posts
	[
		'item_set_tags on articles',
		q{SELECT string_agg(slug, ' ') FROM item_set_tags('articles', 2, ARRAY['After Restore', 'Python', 'Go'])},
		'after-restore python go'
	],
	[
		'item_set_tags on bookmarks',
		qq{SELECT string_agg(slug, ' ') FROM item_set_tags('bookmarks', $b1, ARRAY['Rust', 'After Restore'])},
		'rust after-restore'
	],
	[
		'item_add_tags and item_remove_tags on bookmarks, the key as text',
		q{SELECT (SELECT string_agg(slug, ' ') FROM item_add_tags('bookmarks', md5('b2'), ARRAY['After Restore'])) IS NOT NULL,
		         (SELECT string_agg(slug, ' ') FROM item_remove_tags('bookmarks', md5('b2')::text, ARRAY['After Restore']))
		         IS NOT DISTINCT FROM (SELECT string_agg(slug, ' ') FROM item_get_tags('bookmarks', md5('b2')::uuid))},
		't|t'
	],
	[
		'post_add_tags',
		q{SELECT string_agg(slug, ' ') LIKE '%after-restore' FROM post_add_tags(1, ARRAY['After Restore'])},
		't'
	],
	[
		"the application's trigger on articles_tags still logs",
		q{SELECT string_agg(l.op || ':' || t.slug, ' ' ORDER BY l.n)
		  FROM article_tag_log AS l JOIN tags AS t ON t.id = l.tag_id
		  WHERE l.item_id = 2 AND l.op = 'I'
		    AND l.n > (SELECT max(n) - 10 FROM article_tag_log) AND t.slug = 'after-restore'},
		'I:after-restore'
	],

	# an UPDATE of an article's status changes its tags' counts, through
	# the restored trigger on articles: each of its three tags counts one
	# less, and its page lists it no more
	[
		'an article hidden',
		q{CREATE TEMP TABLE counted AS
		  SELECT t.slug, tag_item_count('articles', t.slug) AS n
		  FROM item_get_tags('articles', 2) AS t;
		  UPDATE articles SET status = 'draft' WHERE id = 2 AND status = 'published';
		  SELECT count(*) FILTER (WHERE tag_item_count('articles', c.slug) = c.n - 1),
		         count(*),
		         (SELECT count(*) FROM items_by_tag(NULL::articles, 'after-restore'))
		  FROM counted AS c},
		'3|3|0'
	],
	[
		'an article shown again',
		q{UPDATE articles SET status = 'published' WHERE id = 2;
		  SELECT tag_item_count('articles', 'after-restore'),
		         (SELECT string_agg(id::text, ',') FROM items_by_tag(NULL::articles, 'after-restore'))},
		'1|2'
	],

	# a plain INSERT into the association tables: the restored triggers
	# copy the item into it and count it
	[
		'an ORM row on articles and on bookmarks',
		qq{INSERT INTO articles_tags (item_id, tag_id, added_by)
		   SELECT 3, id, 'orm' FROM tags WHERE slug = 'after-restore';
		   INSERT INTO bookmarks_tags (item_id, tag_id)
		   SELECT md5('b3')::uuid, id FROM tags WHERE slug = 'after-restore';
		   SELECT tag_item_count('articles', 'after-restore'),
		          tag_item_count('bookmarks', 'after-restore')},
		'2|2'
	],
	[ 'the copies and counts are still exact', $exact_sql, '0|0' ],

	# tags_prune keeps the tags of every target; tag_merge moves the
	# associations of every target
	[
		'tags_prune',
		q{SELECT count(*) FROM tags_get_or_create(ARRAY['Lonely After Restore']);
		  SELECT tags_prune() >= 1;
		  SELECT string_agg(slug, ' ' ORDER BY slug) FROM tags
		  WHERE slug IN ('lonely-after-restore', 'article-only', 'bookmarked-only', 'after-restore')},
		"1\nt\nafter-restore article-only bookmarked-only"
	],
	[
		'tag_merge across the targets',
		q{SELECT tag_merge('after-restore', 'go') >= 1;
		  SELECT (SELECT count(*) FROM tags WHERE slug = 'after-restore'),
		         (SELECT count(*) FROM articles_tags a JOIN tags t ON t.id = a.tag_id
		          WHERE t.slug = 'go' AND a.item_id IN (2, 3)),
		         (SELECT count(*) FROM bookmarks_tags b JOIN tags t ON t.id = b.tag_id
		          WHERE t.slug = 'go' AND b.item_id IN (md5('b1')::uuid, md5('b3')::uuid)),
		         (SELECT count(*) FROM post_tags p JOIN tags t ON t.id = p.tag_id
		          WHERE t.slug = 'go' AND p.post_id = 1)},
		"t\n0|2|2|1"
	],
	[ 'the copies and counts are exact after the merge', $exact_sql, '0|0' ],
	[
		'the synonym the merge left resolves on both targets',
		qq{SELECT count(*) FROM item_add_tags('articles', 4, ARRAY['After Restore']) WHERE slug = 'go';
		   SELECT count(*) FROM item_get_tags('bookmarks', $b1) WHERE slug = 'go'},
		"1\n1"
	],

	# DROP TABLE ... CASCADE forgets a target and drops what was made
	# for it; the others keep working
	[
		'DROP TABLE bookmarks CASCADE',
		q{DROP TABLE bookmarks CASCADE;
		  SELECT string_agg(target::text, ',' ORDER BY target::text) FROM tag_targets;
		  SELECT to_regclass('bookmarks_tags') IS NULL,
		         to_regclass('bookmarks_tag_counts') IS NULL,
		         to_regclass('bookmarks_tag_count_deltas') IS NULL},
		"articles,posts\nt|t|t"
	],
	[
		'the remaining target after the drop',
		q{SELECT string_agg(slug, ' ') FROM item_set_tags('articles', 5, ARRAY['Rust', 'Web']);
		  SELECT count(*) FROM tags_get_or_create(ARRAY['Lonely Again']);
		  SELECT tags_prune() >= 1;
		  SELECT count(*) FROM tags WHERE slug = 'bookmarked-only'},
		"rust web\n1\nt\n0"
	],
	[ 'the copies and counts of the rest are exact', q{
SELECT (SELECT count(*) FROM tag_item_counts('articles') AS c
        WHERE c.item_count <> (SELECT count(*) FROM articles_tags x
                               JOIN articles y ON y.id = x.item_id
                               WHERE x.tag_id = c.id AND y.status = 'published'
                                 AND y.deleted_at IS NULL)),
       (SELECT count(*) FROM tag_counts() AS c
        WHERE c.post_count <> (SELECT count(*) FROM post_tags x
                               JOIN posts y ON y.id = x.post_id
                               WHERE x.tag_id = c.id AND y.status = 'published'
                                 AND y.deleted_at IS NULL))}, '0|0' ],
	[
		'DROP TABLE articles CASCADE',
		q{DROP TABLE articles CASCADE;
		  SELECT string_agg(target::text, ',') FROM tag_targets;
		  SELECT count(*) FROM pg_class
		  WHERE relnamespace = 'public'::regnamespace AND relname LIKE 'articles%';
		  SELECT count(*) FROM pg_trigger WHERE tgname = 'article_tag_logged'},
		"posts\n0\n0"
	],
	[
		'a new target in the restored database',
		q{CREATE TABLE notes (id integer PRIMARY KEY, body text);
		  INSERT INTO notes VALUES (1, 'one');
		  SELECT tags_enable('notes');
		  SELECT string_agg(slug, ' ') FROM item_set_tags('notes', 1, ARRAY['Go', 'Python']);
		  SELECT tag_item_count('notes', 'go')},
		"notes_tags\ngo python\n1"
	],);

my %answers;
foreach my $db ('src', 'dst_plain', 'dst_custom')
{
	foreach my $step (@steps)
	{
		my ($name, $sql, $expected) = @$step;
		my $got = $node->safe_psql($db, $sql);

		# expected: the answer written in the step
		is($got, $expected, "$db: $name");
		push @{ $answers{$db} }, "$name: $got";
	}
}

foreach my $db ('dst_plain', 'dst_custom')
{
	# expected: the restored database answers every step as the source
	is_deeply($answers{$db}, $answers{src},
		"$db: keeps working as the source does");
}

$node->stop;
done_testing();
