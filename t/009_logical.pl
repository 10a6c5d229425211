# Logical replication: a subscriber of a publication of a tenant target's
# tables reads exact counts, and the same answers as the publisher, without
# tags_rebuild().  The recipe of the README ("Logical replication"): the
# subscriber has the extension and the same tags_enable() (logical
# replication carries rows, not DDL); the publication has every table of
# the target: the target, its association tables, its counters (folded
# counts and pending deltas) and its vocabulary.  The subscriber's own
# triggers do not fire on replicated rows (the apply worker runs with
# session_replication_role = replica), so nothing is counted twice; the
# counters' rows come from the publisher, folds included.  The deltas
# table has no key: tags_enable() gives it REPLICA IDENTITY FULL, without
# which a fold on the publisher (a DELETE) would fail once the table is
# published.
#
# Two tenants (accounts 1 and 2) hold the same names, in the target's list
# and in a context; the writes fold each tenant's deltas several times
# (every 100 of a tenant's deltas: tags.fold_every) and leave some pending; items are hidden,
# deleted, and a tag is renamed and merged in account 1 only.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TagsLoad;

my $pub = TagsLoad::new_node('publisher', allows_streaming => 'logical');
$pub->start;
my $sub = TagsLoad::new_node('subscriber');
$sub->start;

# the same schema on both
my $schema = q{
CREATE EXTENSION tags;
CREATE SCHEMA app;
CREATE TABLE app.articles (
    account_id   bigint NOT NULL,
    id           bigint NOT NULL,
    status       text NOT NULL DEFAULT 'published',
    published_at timestamptz,
    PRIMARY KEY (account_id, id)
);
SELECT tags_enable('app.articles', visible => $$status = 'published'$$,
                   sort_column => 'published_at', tenant_column => 'account_id',
                   contexts => ARRAY['skills']);
};
$pub->safe_psql('postgres', $schema);
$sub->safe_psql('postgres', $schema);
$pub->safe_psql('postgres', 'ALTER DATABASE postgres SET tags.fold_every = 100');

# every deltas table of the target has REPLICA IDENTITY FULL
is( $pub->safe_psql(
		'postgres', q{
SELECT string_agg(c.relname || ' ' || c.relreplident::text, ', ' ORDER BY c.relname)
FROM pg_class c
WHERE c.oid IN (SELECT count_deltas FROM tag_targets WHERE target = 'app.articles'::regclass
                UNION ALL
                SELECT count_deltas FROM tag_contexts WHERE target = 'app.articles'::regclass)}),
	'articles_skills_tag_count_deltas f, articles_tag_count_deltas f',
	'the deltas tables have REPLICA IDENTITY FULL');

# Writes: round r sets the tags of items 1..60 of both accounts (those not
# deleted), in the list and in the context, from names shared by the
# accounts
my $round = sub {
	my ($r) = @_;
	return qq{
SELECT count(*)
FROM generate_series(1, 2) AS a, generate_series(1, 60) AS i,
     LATERAL item_set_tags('app.articles', i,
         ARRAY(SELECT 'tag ' || ((i * 7 + j * $r) % 40)
               FROM generate_series(1, 1 + (i + $r) % 6) AS j),
         tenant => a)
WHERE EXISTS (SELECT FROM app.articles x WHERE x.account_id = a AND x.id = i);
SELECT count(*)
FROM posts AS p,
     LATERAL post_set_tags(p.id,
         ARRAY(SELECT 'tag ' || ((p.id * 5 + j * $r) % 30)
               FROM generate_series(1, 1 + (p.id + $r) % 5) AS j));
SELECT count(*)
FROM generate_series(1, 2) AS a, generate_series(1, 60, 2) AS i,
     LATERAL item_add_tags('app.articles', i,
         ARRAY['skill ' || (i + $r) % 9, 'tag ' || (i * $r) % 40],
         tenant => a, context => 'skills')
WHERE EXISTS (SELECT FROM app.articles x WHERE x.account_id = a AND x.id = i);
};
};

# the items, and a first round, before the subscription: the initial copy
$pub->safe_psql(
	'postgres', q{
INSERT INTO app.articles (account_id, id, status, published_at)
SELECT a, i, CASE WHEN i % 9 = 0 THEN 'draft' ELSE 'published' END,
       CASE WHEN i % 11 <> 0 THEN timestamptz '2025-01-01 00:00+00' + i * interval '1 hour' END
FROM generate_series(1, 2) AS a, generate_series(1, 80) AS i;
INSERT INTO posts (title, status)
SELECT 'Post ' || i, CASE WHEN i % 7 = 0 THEN 'draft' ELSE 'published' END
FROM generate_series(1, 80) AS i;
} . $round->(1));

# the target's tables (schema app), and posts' with the shared vocabulary
# (the extension's tables but its registries, which tags_enable() and
# CREATE EXTENSION fill on the subscriber)
$pub->safe_psql('postgres', q{
CREATE PUBLICATION tags_pub FOR TABLES IN SCHEMA app;
CREATE PUBLICATION tags_pub_posts FOR TABLE posts, post_tags, tags, tag_synonyms,
    tag_slug_aliases, tag_post_counts, tag_post_count_deltas;
});
my $connstr = $pub->connstr . ' dbname=postgres';
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION tags_sub CONNECTION '$connstr' PUBLICATION tags_pub, tags_pub_posts");
$sub->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')})
  or die 'the subscriber did not copy the tables';
$pub->wait_for_catchup('tags_sub');

# more rounds, streamed: enough deltas per tenant for several folds
for my $r (2 .. 7)
{
	$pub->safe_psql('postgres', $round->($r));
}
# hide, redate and delete items; tag care in account 1 only
$pub->safe_psql(
	'postgres', q{
UPDATE app.articles SET status = 'draft' WHERE id % 10 = 3;
UPDATE posts SET status = 'draft' WHERE id % 10 = 3;
DELETE FROM posts WHERE id % 10 = 5;
SELECT tag_rename('tag-3', 'Post three');
UPDATE app.articles SET published_at = NULL WHERE id % 10 = 4;
DELETE FROM app.articles WHERE id % 10 = 5;
SELECT tag_rename('tag-7', 'Renamed seven', target => 'app.articles', tenant => 1);
SELECT tag_merge('tag-8', 'tag-9', target => 'app.articles', tenant => 1);
SELECT count(*) FROM item_set_tags('app.articles', 2, ARRAY['Only one', 'tag 1'], tenant => 2);
});
$pub->wait_for_catchup('tags_sub');

# both parts of the counters are in play on the subscriber
my ($folded, $pending) = split /\|/, $sub->safe_psql(
	'postgres', q{
SELECT (SELECT count(*) FROM app.articles_tag_counts) + (SELECT count(*) FROM app.articles_skills_tag_counts),
       (SELECT count(*) FROM app.articles_tag_count_deltas) + (SELECT count(*) FROM app.articles_skills_tag_count_deltas)});
cmp_ok($folded, '>', 0, 'the subscriber has folded counts');
cmp_ok($pending, '>', 0, 'the subscriber has pending deltas');

# every count of each tenant and list, on the subscriber, equals a GROUP BY
# oracle of the subscriber's rows
for my $list (['list', 'app.articles_tags', 'NULL'],
	['skills', 'app.articles_skills_tags', q{'skills'}])
{
	my ($label, $assoc, $context) = @$list;
	for my $tenant (1, 2)
	{
		is( $sub->safe_psql(
				'postgres', qq{
WITH oracle AS (
    SELECT t.id, t.name::text AS name, t.slug::text AS slug,
           (SELECT count(*) FROM $assoc a
            JOIN app.articles x ON x.account_id = a.tenant AND x.id = a.item_id
            WHERE a.tenant = t.tenant AND a.tag_id = t.id AND x.status = 'published') AS n
    FROM app.tenant_tags t WHERE t.tenant = $tenant)
SELECT count(*)
FROM oracle o
FULL JOIN tag_item_counts('app.articles', tenant => $tenant, context => $context) c
     ON c.id = o.id
WHERE o.id IS NULL OR c.id IS NULL OR c.item_count <> o.n
   OR c.name <> o.name OR c.slug <> o.slug}),
			'0',
			"subscriber: tenant $tenant, $label: every count equals the oracle");
	}
}

# and posts' counts too
is( $sub->safe_psql(
		'postgres', q{
WITH oracle AS (
    SELECT t.id, (SELECT count(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id
                  WHERE pt.tag_id = t.id AND p.status = 'published'
                    AND p.deleted_at IS NULL) AS n
    FROM tags t)
SELECT count(*) FROM oracle o FULL JOIN tag_counts() c ON c.id = o.id
WHERE o.id IS NULL OR c.id IS NULL OR c.post_count <> o.n}),
	'0',
	'subscriber: posts: every count equals the oracle');

# and the subscriber answers as the publisher: counts, pages, item tags,
# search, in both tenants, and posts'
my $answers = q{
SELECT string_agg(format('%s %s %s', c.id, c.slug, c.post_count), ';' ORDER BY c.id)
FROM tag_counts() AS c;
SELECT string_agg(format('%s', p.id), ';') FROM posts_by_tag('post-three', 1, 100) AS p;
} . slurp_file('t/logical_answers.sql');
my $on_pub = $pub->safe_psql('postgres', $answers);
is($sub->safe_psql('postgres', $answers), $on_pub,
	'the subscriber answers as the publisher');
like($on_pub, qr/1 \d+ renamed-seven/, 'the rename is among the answers');
unlike($on_pub, qr/2 \d+ renamed-seven/, 'in account 1 only');

# a fold on the publisher, then more writes: the folded counts arrive too
$pub->safe_psql('postgres', 'SELECT tags_fold_counts()');
$pub->safe_psql('postgres', $round->(8));
$pub->wait_for_catchup('tags_sub');
$on_pub = $pub->safe_psql('postgres', $answers);
is($sub->safe_psql('postgres', $answers), $on_pub,
	'after a fold and more writes, the subscriber answers as the publisher');

$sub->stop;
$pub->stop;
done_testing();
