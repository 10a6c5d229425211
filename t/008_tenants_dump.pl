# Tenant targets survive a dump.  The source has three tenant targets:
# articles, keyed (account_id bigint, id), with a visibility predicate, a
# nullable sort column and a context; documents, keyed (workspace_id uuid,
# id), with two contexts; tickets, keyed by id beside a NOT NULL account_id,
# with a nullable sort column and a context added by tags_add_context.
# articles and tickets share the vocabulary tenant_tags, documents has
# tenant_tags_uuid.  Two tenants of each type (accounts 1001 and 2002,
# workspaces w1 and w2) hold the same tag names; account 1001 has a
# synonym, a rename and a merge, w1 a rename.
#
# pg_dump of it is restored whole (plain with psql, custom with
# pg_restore), data-only with --disable-triggers followed by
# tags_rebuild() (TagsLoad::dump_and_restore), and data-only without the
# counters' rows, which only tags_rebuild() can count.  Each restored
# database has every table's definition and every row of the source (the
# counters' folded and pending parts summed where tags_rebuild() counted
# afresh), its registries (tag_targets, tag_vocabularies, tag_contexts)
# and the positions of the vocabularies' identity sequences.  In the
# source and in each restored database, before and after the writes
# below, the counts of every tenant and list equal a GROUP BY oracle, and
# so do the copies, each item's tags and each tag's pages.  The writes, the
# same in every database with the same answers: new tags in both tenants
# get ids past the restored ones; each tenant resolves only its own names,
# synonyms and old slugs, finds only its own tags, and tag care in one
# tenant leaves the other as it was; contexts count apart; an item without
# a sort value is paged last; another tenant's item or tag is refused.
#
# TAGS_EXTENSION_DESTDIR runs the test against a private install (see
# TagsLoad::new_node); unset, against the extension installed in the
# server, as make test does.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TagsLoad;

my $node = TagsLoad::new_node('tenants_dump');
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', 'CREATE EXTENSION tags');

# The load: the three targets, the items of both tenants of each (the same
# article ids in both accounts), ordered lists written by every writer in
# every list from one vocabulary, ORM rows without a position, items
# without a sort value, items hidden and redated after they were tagged,
# a fold halfway (so that counters are both folded and pending), and tag
# care in account 1001 and workspace w1 only.
$node->safe_psql('src', q{
CREATE TABLE articles (
    account_id   bigint NOT NULL,
    id           bigint NOT NULL,
    title        text NOT NULL,
    status       text NOT NULL DEFAULT 'draft',
    published_at timestamptz,
    PRIMARY KEY (account_id, id)
);
SELECT tags_enable('articles', visible => $$status = 'published'$$,
                   sort_column => 'published_at', tenant_column => 'account_id',
                   contexts => ARRAY['skills']);

CREATE TABLE documents (
    workspace_id uuid NOT NULL,
    id           uuid NOT NULL,
    title        text NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
SELECT tags_enable('documents', tenant_column => 'workspace_id',
                   contexts => ARRAY['topics', 'audience']);

CREATE TABLE tickets (
    id         bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    subject    text NOT NULL,
    priority   integer
);
SELECT tags_enable('tickets', sort_column => 'priority',
                   tenant_column => 'account_id');
SELECT tags_add_context('tickets', 'labels');

-- the same ids in both accounts, each shown, hidden and dated its own way
INSERT INTO articles (account_id, id, title, status, published_at)
SELECT a, i, 'Article ' || a || '/' || i,
       CASE WHEN (i + a) % 6 = 0 THEN 'draft' ELSE 'published' END,
       CASE WHEN (i + a) % 7 <> 3
            THEN timestamptz '2024-02-01 00:00:00.5+00' + (i / 2) * interval '1 hour 1.25 seconds'
                 + (a / 1001) * interval '17 minutes' END
FROM unnest(ARRAY[1001, 2002]) AS a, generate_series(1, 40) AS i;

INSERT INTO documents (workspace_id, id, title)
SELECT md5(w)::uuid, md5(w || '/' || i)::uuid, 'Document ' || w || '/' || i
FROM unnest(ARRAY['w1', 'w2']) AS w, generate_series(1, 30) AS i;

INSERT INTO tickets (id, account_id, subject, priority)
SELECT i, CASE WHEN i % 2 = 1 THEN 1001 ELSE 2002 END, 'Ticket ' || i,
       CASE WHEN i % 4 <> 0 THEN i % 7 END
FROM generate_series(1, 40) AS i;

CREATE TEMP TABLE vocab AS
SELECT ARRAY['Python', 'PostgreSQL', 'ＰＹＴＨＯＮ', ' rust ', 'cafe', 'café',
             'C', 'C++', 'Go', 'SQL', 'NoSQL', 'Web', 'Zig', 'Lisp']::text[] AS v;

-- the own lists, then a fold
SELECT count(*)
FROM articles AS a, vocab,
     LATERAL item_set_tags('articles', a.id,
         ARRAY(SELECT v[1 + (a.id * 5 + j * 3 + a.account_id) % 14]
               FROM generate_series(1, 1 + a.id % 5) AS j ORDER BY j),
         tenant => a.account_id)
WHERE a.id % 10 <> 0;
SELECT count(*)
FROM tickets AS t, vocab,
     LATERAL item_set_tags('tickets', t.id,
         ARRAY(SELECT v[1 + (t.id * 5 + j * 3) % 14]
               FROM generate_series(1, 1 + t.id % 4) AS j ORDER BY j),
         tenant => t.account_id)
WHERE t.id % 9 <> 0;
SELECT count(*)
FROM documents AS d, vocab,
     LATERAL item_set_tags('documents', d.id,
         ARRAY(SELECT v[1 + (abs(hashtext(d.id::text)) + j * 3) % 14]
               FROM generate_series(1, 1 + abs(hashtext(d.title)) % 4) AS j ORDER BY j),
         tenant => d.workspace_id)
WHERE abs(hashtext(d.title)) % 7 <> 0;
SELECT tags_fold_counts() > 0;

-- the contexts, the other writers and ORM rows, left pending
SELECT count(*)
FROM articles AS a, vocab,
     LATERAL item_set_tags('articles', a.id,
         ARRAY(SELECT v[1 + (a.id * 3 + j * 5) % 14]
               FROM generate_series(1, 1 + a.id % 3) AS j ORDER BY j),
         tenant => a.account_id, context => 'skills')
WHERE a.id % 4 <> 0;
SELECT count(*)
FROM articles AS a, vocab,
     LATERAL item_add_tags('articles', a.id, ARRAY[v[1 + a.id % 14], 'Article Only'],
                           tenant => a.account_id)
WHERE a.id % 3 = 0 AND a.id % 10 <> 0;
SELECT count(*)
FROM articles AS a, vocab,
     LATERAL item_remove_tags('articles', a.id, ARRAY[v[1 + (a.id * 5 + 3 + a.account_id) % 14]],
                              tenant => a.account_id)
WHERE a.id % 4 = 1;
SELECT count(*)
FROM tickets AS t, vocab,
     LATERAL item_add_tags('tickets', t.id, ARRAY['Urgent', v[1 + t.id % 14]],
                           tenant => t.account_id, context => 'labels')
WHERE t.id % 3 = 0;
SELECT count(*)
FROM documents AS d,
     LATERAL item_set_tags('documents', d.id, ARRAY['Beginners', 'Experts'],
                           tenant => d.workspace_id, context => 'audience')
WHERE abs(hashtext(d.title)) % 3 = 0;
SELECT count(*)
FROM documents AS d, vocab,
     LATERAL item_set_tags('documents', d.id, ARRAY[v[1 + abs(hashtext(d.title)) % 14]],
                           tenant => d.workspace_id, context => 'topics')
WHERE abs(hashtext(d.title)) % 2 = 0;
INSERT INTO articles_tags (tenant, item_id, tag_id)
SELECT a.account_id, a.id, t.id
FROM articles AS a JOIN tenant_tags AS t ON t.tenant = a.account_id
WHERE a.id % 10 = 5 AND t.name IN ('zig', 'lisp')
ON CONFLICT DO NOTHING;
INSERT INTO documents_topics_tags (tenant, item_id, tag_id)
SELECT d.workspace_id, d.id, t.id
FROM documents AS d JOIN tenant_tags_uuid AS t ON t.tenant = d.workspace_id
WHERE abs(hashtext(d.title)) % 5 = 0 AND t.name = 'web'
ON CONFLICT DO NOTHING;

-- items hidden, shown, redated and left without a sort value after they
-- were tagged
UPDATE articles SET status = 'draft' WHERE (id + account_id) % 8 = 1;
UPDATE articles SET status = 'published' WHERE (id + account_id) % 12 = 6;
UPDATE articles SET published_at = NULL WHERE (id + account_id) % 11 = 2;
UPDATE articles SET published_at = timestamptz '2024-03-01 12:00:00+00'
WHERE published_at IS NULL AND (id + account_id) % 17 = 3;
UPDATE tickets SET priority = NULL WHERE id % 5 = 1;
UPDATE tickets SET priority = 9 WHERE priority IS NULL AND id % 3 = 0;

-- tag care in one tenant of each type
SELECT count(*) FROM tag_add_synonym('py', 'python', target => 'articles', tenant => 1001);
SELECT count(*) FROM tag_rename('go', 'Golang', target => 'articles', tenant => 1001);
SELECT tag_merge('nosql', 'sql', target => 'tickets', tenant => 1001) > 0;
SELECT count(*) FROM tag_rename('rust', 'Rust Lang', target => 'documents',
                                tenant => md5('w1')::uuid);
});

# The lists of the targets, with what an oracle needs: the vocabulary, the
# two tenants (as SQL), how an association finds its item, whether the
# item is visible and its sort value (a NULL one copies as the type's
# lowest value), and the key items_by_tag orders by.
my %targets = (
	articles => {
		vocabulary => 'tenant_tags',
		tenant_column => 'account_id',
		tenants => [ '1001', '2002' ],
		visible => q{i.status = 'published'},
		sort => q{coalesce(i.published_at, '-infinity')},
		contexts => ['skills'],
	},
	documents => {
		vocabulary => 'tenant_tags_uuid',
		tenant_column => 'workspace_id',
		tenants => [ q{md5('w1')::uuid}, q{md5('w2')::uuid} ],
		visible => 'true',
		sort => 'i.id',
		contexts => [ 'audience', 'topics' ],
	},
	tickets => {
		vocabulary => 'tenant_tags',
		tenant_column => 'account_id',
		tenants => [ '1001', '2002' ],
		visible => 'true',
		sort => 'coalesce(i.priority, -2147483648)',
		contexts => ['labels'],
	},);

my @lists;
foreach my $target (sort keys %targets)
{
	foreach my $context (undef, @{ $targets{$target}{contexts} })
	{
		my $prefix = defined $context ? "${target}_$context" : $target;
		push @lists,
		  {
			%{ $targets{$target} },
			target => $target,
			label => defined $context ? "$target/$context" : $target,
			context => defined $context ? "'$context'" : 'NULL',
			assoc => "${prefix}_tags",
			counts => "${prefix}_tag_counts",
			deltas => "${prefix}_tag_count_deltas",
		  };
	}
}

# One query of the queries $make returns for each list and tenant
# ($make->($list, $tenant)), or for each list ($make->($list)): each row
# as the list's label and the row's text, in that order.
sub each_list
{
	my ($make, $per_tenant) = @_;
	my @parts;
	foreach my $l (@lists)
	{
		foreach my $tenant ($per_tenant ? @{ $l->{tenants} } : (undef))
		{
			my $label = $l->{label} . (defined $tenant ? " $tenant" : '');
			$label =~ s/'/''/g;
			push @parts,
			  "SELECT '$label' AS list, x::text AS row FROM ("
			  . $make->($l, $tenant) . ') AS x';
		}
	}
	return join("\nUNION ALL\n", @parts) . "\nORDER BY 1, 2";
}

# The oracle: each query returns the rows that disagree with it, so that
# a failure shows them.
my %oracle_sql = (

	# tag_item_counts() has every tag of the tenant's vocabulary once, with
	# the number of the visible items of the tenant that carry it in this
	# list, and tag_item_count() of its slug says the same
	counts => each_list(
		sub {
			my ($l, $tenant) = @_;
			return qq{
WITH oracle AS (
    SELECT t.id, t.name::text AS name, t.slug::text AS slug,
           count(i.id) FILTER (WHERE $l->{visible}) AS n
    FROM $l->{vocabulary} AS t
    LEFT JOIN $l->{assoc} AS a ON a.tenant = t.tenant AND a.tag_id = t.id
    LEFT JOIN $l->{target} AS i
           ON i.$l->{tenant_column} = a.tenant AND i.id = a.item_id
    WHERE t.tenant = $tenant
    GROUP BY t.id, t.name, t.slug),
by_slug AS (
    SELECT o.*, tag_item_count('$l->{target}', o.slug, tenant => $tenant,
                               context => $l->{context}) AS by_slug
    FROM oracle AS o)
SELECT o.id, o.slug, o.n, o.by_slug, c.id, c.slug, c.item_count
FROM by_slug AS o
FULL JOIN tag_item_counts('$l->{target}', tenant => $tenant,
                          context => $l->{context}) AS c ON c.id = o.id
WHERE o.id IS NULL OR c.id IS NULL OR c.item_count <> o.n OR o.by_slug <> o.n
   OR c.name <> o.name OR c.slug <> o.slug};
		},
		1),

	# every association's item is of its tenant, and its copies of the
	# item's visibility and sort value are the item's
	copies => each_list(
		sub {
			my ($l) = @_;
			return qq{
SELECT a.tenant::text, a.item_id::text, a.tag_id, a.item_visible, a.item_sort::text
FROM $l->{assoc} AS a
LEFT JOIN $l->{target} AS i ON i.$l->{tenant_column} = a.tenant AND i.id = a.item_id
WHERE i.id IS NULL OR a.item_visible IS DISTINCT FROM ($l->{visible})
   OR a.item_sort IS DISTINCT FROM $l->{sort}};
		}),

	# item_get_tags() of each item of the tenant gives its associations'
	# tags, of the tenant's vocabulary, in their order
	item_tags => each_list(
		sub {
			my ($l, $tenant) = @_;
			return qq{
SELECT y.id::text, y.got, y.expected FROM (
    SELECT i.id,
           ARRAY(SELECT g.id FROM item_get_tags('$l->{target}', i.id, tenant => $tenant,
                                                context => $l->{context})
                                  WITH ORDINALITY AS g(id, name, slug, created_at, ord)
                 ORDER BY g.ord) AS got,
           ARRAY(SELECT t.id FROM $l->{assoc} AS a
                 JOIN $l->{vocabulary} AS t ON t.tenant = a.tenant AND t.id = a.tag_id
                 WHERE a.tenant = $tenant AND a.item_id = i.id
                 ORDER BY a.position NULLS LAST, a.tag_id) AS expected
    FROM $l->{target} AS i WHERE i.$l->{tenant_column} = $tenant) AS y
WHERE y.got <> y.expected};
		},
		1),

	# items_by_tag() of each tag of the tenant lists the visible items of
	# the tenant that carry it, by the sort value (NULL last), then the key,
	# newest first
	pages => each_list(
		sub {
			my ($l, $tenant) = @_;
			return qq{
SELECT y.slug, y.got, y.expected FROM (
    SELECT t.slug::text AS slug,
           ARRAY(SELECT p.id::text FROM items_by_tag(NULL::$l->{target}, t.slug, 1, 100,
                                                     tenant => $tenant,
                                                     context => $l->{context})
                                        WITH ORDINALITY AS p
                 ORDER BY p.ordinality) AS got,
           ARRAY(SELECT i.id::text FROM $l->{assoc} AS a
                 JOIN $l->{target} AS i
                   ON i.$l->{tenant_column} = a.tenant AND i.id = a.item_id
                 WHERE a.tenant = t.tenant AND a.tag_id = t.id AND $l->{visible}
                 ORDER BY $l->{sort} DESC, i.id DESC) AS expected
    FROM $l->{vocabulary} AS t WHERE t.tenant = $tenant) AS y
WHERE y.got <> y.expected};
		},
		1),);

my %oracle_says = (
	counts =>
	  'tag_item_counts and tag_item_count of every list and tenant equal a GROUP BY oracle',
	copies =>
	  'every association is of its item\'s tenant and its copies are the item\'s',
	item_tags =>
	  'item_get_tags of every item of every list and tenant is its associations in order',
	pages =>
	  'items_by_tag of every tag of every list and tenant is its visible items by sort value, NULL last'
);

# Every check of the oracle in $db, at the moment $when
sub check_oracle
{
	my ($db, $when) = @_;
	foreach my $what (sort keys %oracle_sql)
	{
		# expected: no row disagrees with the oracle, in any list or tenant
		is($node->safe_psql($db, $oracle_sql{$what}),
			'', "$db, $when: $oracle_says{$what}");
	}
	return;
}

# expected: the load has what the checks need: the registry holds the
# three tenant targets with their vocabularies and contexts, each tenant
# holds the names the other holds, tag care left synonyms and old slugs in
# account 1001 and workspace w1 only, the shared tags are untouched, items
# without a sort value and ORM rows are tagged, and the counters are both
# folded and pending
is( $node->safe_psql(
		'src', q{
SELECT (SELECT count(*) FROM (SELECT name FROM tenant_tags GROUP BY name
                              HAVING count(DISTINCT tenant) = 2) AS n) >= 10,
       (SELECT count(*) FROM (SELECT name FROM tenant_tags_uuid GROUP BY name
                              HAVING count(DISTINCT tenant) = 2) AS n) >= 10,
       (SELECT string_agg(s.tenant || ' ' || s.name || '>' || t.slug, ',' ORDER BY s.name)
        FROM tenant_tag_synonyms s
        JOIN tenant_tags t ON t.tenant = s.tenant AND t.id = s.tag_id),
       (SELECT string_agg(s.tenant || ' ' || s.slug || '>' || t.slug, ',' ORDER BY s.slug)
        FROM tenant_tag_slug_aliases s
        JOIN tenant_tags t ON t.tenant = s.tenant AND t.id = s.tag_id),
       (SELECT string_agg(s.slug || '>' || t.slug, ',')
        FROM tenant_tag_slug_aliases_uuid s
        JOIN tenant_tags_uuid t ON t.tenant = s.tenant AND t.id = s.tag_id
        WHERE s.tenant = md5('w1')::uuid),
       (SELECT count(*) FROM tenant_tag_synonyms_uuid)
         + (SELECT count(*) FROM tenant_tag_slug_aliases_uuid WHERE tenant = md5('w2')::uuid),
       (SELECT count(*) FROM tags) + (SELECT count(*) FROM tag_synonyms),
       (SELECT count(*) FROM articles_tags x JOIN articles a
          ON a.account_id = x.tenant AND a.id = x.item_id
        WHERE a.published_at IS NULL AND a.status = 'published') >= 4,
       (SELECT count(*) FROM tickets_tags x JOIN tickets t ON t.id = x.item_id
        WHERE t.priority IS NULL) >= 4,
       (SELECT count(*) FROM articles_tags WHERE position IS NULL) >= 4,
       (SELECT count(*) FROM documents_topics_tags WHERE position IS NULL) >= 2,
       (SELECT count(*) FROM articles_tag_counts) > 0
         AND (SELECT count(*) FROM articles_tag_count_deltas) > 0
         AND (SELECT count(*) FROM documents_tag_counts) > 0
         AND (SELECT count(*) FROM articles_skills_tag_count_deltas) > 0}),
	't|t|1001 nosql>sql,1001 py>python|1001 go>golang,1001 nosql>sql|rust>rust-lang|0|0|t|t|t|t|t',
	'the load has both tenants with the same names, synonyms and old slugs in one, NULL sort values, ORM rows, folded and pending counters'
);

# expected: every list of every tenant has visible items with tags to
# count, so that the oracle compares something
is( $node->safe_psql(
		'src',
		each_list(
			sub {
				my ($l, $tenant) = @_;
				return qq{
SELECT count(*) FROM $l->{assoc} AS a
JOIN $l->{target} AS i ON i.$l->{tenant_column} = a.tenant AND i.id = a.item_id
WHERE a.tenant = $tenant AND $l->{visible}
HAVING count(*) < 10 OR count(DISTINCT a.tag_id) < 2};
			},
			1)),
	'',
	'every list of every tenant has at least 10 visible associations of 2 tags or more');

# The registry, as the source's tags_enable and tags_add_context made it
my $registry_sql = q{
SELECT format('%s %s %s %s %s %s %s %s', target, association, counts, count_deltas,
              coalesce(visible, '-'), sort_column, tenant_column, vocabulary)
FROM tag_targets WHERE NOT builtin
UNION ALL
SELECT format('vocabulary %s %s %s %s', tags, synonyms, slug_aliases, tenant_type)
FROM tag_vocabularies
UNION ALL
SELECT format('context %s %s %s %s %s', target, context, association, counts, count_deltas)
FROM tag_contexts
ORDER BY 1};
my $registry = join(
	"\n",
	q{articles articles_tags articles_tag_counts articles_tag_count_deltas (status = 'published'::text) published_at account_id tenant_tags},
	q{context articles skills articles_skills_tags articles_skills_tag_counts articles_skills_tag_count_deltas},
	q{context documents audience documents_audience_tags documents_audience_tag_counts documents_audience_tag_count_deltas},
	q{context documents topics documents_topics_tags documents_topics_tag_counts documents_topics_tag_count_deltas},
	q{context tickets labels tickets_labels_tags tickets_labels_tag_counts tickets_labels_tag_count_deltas},
	q{documents documents_tags documents_tag_counts documents_tag_count_deltas - id workspace_id tenant_tags_uuid},
	q{tickets tickets_tags tickets_tag_counts tickets_tag_count_deltas - priority account_id tenant_tags},
	q{vocabulary tenant_tags tenant_tag_synonyms tenant_tag_slug_aliases bigint},
	q{vocabulary tenant_tags_uuid tenant_tag_synonyms_uuid tenant_tag_slug_aliases_uuid uuid}
);

# What must survive, each as one text per row, in a fixed order: the
# definition of every table and sequence, the rows of every table (the
# built-in target's row without its created_at, which CREATE EXTENSION
# sets in the restored database, as pg_dump does not dump that row), where
# each sequence stands, and each list's count per tenant and tag, folded
# or pending.
my %snapshot_sql = (
	%{ TagsLoad::definition_sql('public') },
	%{ TagsLoad::rows_sql($node, 'src', 'public') },
	'rows of tag_targets' => q{
SELECT CASE WHEN builtin THEN format('%s %s', target, association) ELSE r::text END
FROM tag_targets AS r ORDER BY 1},
	sequence_positions => TagsLoad::sequences_sql('public'),
	net_counts => each_list(
		sub {
			my ($l) = @_;
			return qq{
SELECT tenant::text, tag_id, sum(n) FROM (
    SELECT tenant, tag_id, item_count AS n FROM $l->{counts}
    UNION ALL SELECT tenant, tag_id, delta FROM $l->{deltas}) AS c
GROUP BY tenant, tag_id HAVING sum(n) <> 0};
		}));

my $source = TagsLoad::snapshot($node, 'src', \%snapshot_sql);

# expected: the source's snapshot covers every table the targets made,
# with its columns and rows, so that comparing with it compares something
my @made = map { ($_->{assoc}, $_->{counts}, $_->{deltas}) } @lists;
push @made, map { ($_, "${_}_uuid") }
  ('tenant_tags', 'tenant_tag_synonyms', 'tenant_tag_slug_aliases');
my %covered;
foreach my $table (@made)
{
	$covered{$table} = exists $snapshot_sql{"rows of $table"}
	  && grep({ /^\Q$table\E\./ } @{ $source->{columns} }) > 0;
}
is_deeply(\%covered, { map { $_ => 1 } @made },
	'the snapshot has the columns and rows of every table the targets made');

my %min_lines = (
	'rows of tenant_tags' => 25,
	'rows of tenant_tags_uuid' => 25,
	'rows of tenant_tag_synonyms' => 2,
	'rows of tenant_tag_slug_aliases' => 2,
	'rows of tenant_tag_slug_aliases_uuid' => 1,
	'rows of articles' => 80,
	'rows of articles_tags' => 150,
	'rows of articles_skills_tags' => 50,
	'rows of tickets_tags' => 50,
	'rows of tickets_labels_tags' => 20,
	'rows of documents_tags' => 50,
	'rows of documents_topics_tags' => 20,
	'rows of documents_audience_tags' => 20,
	'rows of articles_tag_counts' => 20,
	'rows of articles_tag_count_deltas' => 20,
	'rows of tag_targets' => 4,
	'rows of tag_vocabularies' => 2,
	'rows of tag_contexts' => 4,
	net_counts => 100,
	sequence_positions => 4,
	sequence_parameters => 4,
	triggers => 40,
	constraints => 50,
	indexes => 40,
	columns => 100,
	relations => 40);
is_deeply(
	{
		map { $_ => scalar(@{ $source->{$_} }) >= $min_lines{$_} }
		  keys %min_lines
	},
	{ map { $_ => 1 } keys %min_lines },
	'the source snapshot has enough lines of each kind to compare');

my $dir = PostgreSQL::Test::Utils::tempdir;
my @restored = TagsLoad::dump_and_restore($node, 'src', $dir);

# One more data-only restore with --disable-triggers, of a dump without the
# counters' rows (--exclude-table-data, as for derived data), and copies
# then forged with the triggers bypassed (session_replication_role =
# replica) in account 2002's articles, whose ids account 1001 has too:
# only tags_rebuild() can count the restored associations and mend the
# copies there, tenant by tenant.
$node->command_checks_all(
	[
		'pg_dump', '--no-sync', '-Fc', '--exclude-table-data=public.*_tag_count*',
		'-f', "$dir/nocounts.dump", 'src'
	],
	0, [qr/^$/], [qr/^$/], 'pg_dump of src without the counters\' rows');
$node->safe_psql('postgres', 'CREATE DATABASE dst_rebuilt');
$node->command_checks_all(
	[
		'pg_restore', '--exit-on-error', '--schema-only',
		'-d', 'dst_rebuilt', "$dir/nocounts.dump"
	],
	0, [qr/^$/], [qr/^$/], 'dst_rebuilt: the schema restores');
$node->command_checks_all(
	[
		'pg_restore', '--exit-on-error', '--data-only', '--disable-triggers',
		'-d', 'dst_rebuilt', "$dir/nocounts.dump"
	],
	0, [qr/^$/], [qr/^$/],
	'dst_rebuilt: the data without the counters restores with --disable-triggers');
$node->safe_psql(
	'dst_rebuilt', q{
SET session_replication_role = replica;
UPDATE articles_tags SET item_visible = NOT item_visible, item_sort = '-infinity'
WHERE tenant = 2002;
UPDATE tickets_labels_tags SET item_sort = 0;
UPDATE documents_topics_tags SET item_visible = false
WHERE tenant = md5('w2')::uuid});

# expected: the restored lists have associations but no counts, so that
# the oracle finds every count wrong until tags_rebuild()
is( $node->safe_psql(
		'dst_rebuilt', q{
SELECT (SELECT count(*) FROM articles_tags) > 0,
       (SELECT count(*) FROM articles_tag_counts) + (SELECT count(*) FROM articles_tag_count_deltas)
       + (SELECT count(*) FROM documents_topics_tag_counts)
       + (SELECT count(*) FROM tickets_labels_tag_count_deltas),
       (SELECT count(*) FROM tag_item_counts('articles', tenant => 2002) WHERE item_count > 0)}),
	't|0|0',
	'dst_rebuilt: before tags_rebuild() the lists have associations and no counts');
like(
	$node->safe_psql('dst_rebuilt', $oracle_sql{copies}),
	qr/^articles\|.*\ndocuments\/topics\|.*\ntickets\/labels\|/s,
	'dst_rebuilt: before tags_rebuild() the forged copies disagree with the oracle');
$node->safe_psql('dst_rebuilt', 'SELECT tags_rebuild()');
push @restored, 'dst_rebuilt';

foreach my $db (@restored)
{
	my $snap = TagsLoad::snapshot($node, $db, \%snapshot_sql);

	foreach my $what (sort keys %snapshot_sql)
	{
		# tags_rebuild() counted afresh what a data-only restore loaded
		# without its triggers: the folded and pending parts of a count may
		# differ there, their sum (net_counts) may not
		next
		  if ($db eq 'dst_data' || $db eq 'dst_rebuilt')
		  && $what =~ /^rows of \w+_(tag_counts|tag_count_deltas)$/;

		# expected: identical to the source: the definitions (columns,
		# constraints, indexes, triggers and their state, owners), every
		# row, the sequences, the counts
		is_deeply($snap->{$what}, $source->{$what},
			"$db: $what identical to the source");
	}
}

foreach my $db ('src', @restored)
{
	# expected: the registry as tags_enable and tags_add_context made it
	is($node->safe_psql($db, $registry_sql),
		$registry, "$db: the registry has the three targets, their vocabularies and contexts");
	check_oracle($db, 'as dumped');
}

# What another tenant's call must not reach, each with its SQLSTATE and
# message
my @refused = (
	[
		'a ticket of account 1001 called with tenant 2002 does not exist',
		q{SELECT * FROM item_get_tags('tickets', 1, tenant => 2002)},
		qr/ERROR:  P0002: item 1 of tenant 2002 of table "tickets" does not exist/
	],
	[
		'a document of w1 called with w2 does not exist',
		q{SELECT * FROM item_get_tags('documents', md5('w1/3')::uuid, tenant => md5('w2')::uuid)},
		qr/ERROR:  P0002: item [0-9a-f-]+ of tenant [0-9a-f-]+ of table "documents" does not exist/
	],
	[
		'account 1001\'s new slug golang is no tag of account 2002',
		q{SELECT * FROM items_by_tag(NULL::articles, 'golang', tenant => 2002)},
		qr/ERROR:  P0002: tag "golang" does not exist/
	],
	[
		'workspace w1\'s new slug rust-lang is no tag of w2',
		q{SELECT tag_item_count('documents', 'rust-lang', tenant => md5('w2')::uuid,
		                        context => 'topics')},
		qr/ERROR:  P0002: tag "rust-lang" does not exist/
	],
	[
		'an association of account 2002 with a tag of account 1001 violates the restored foreign key',
		q{INSERT INTO articles_tags (tenant, item_id, tag_id)
		  SELECT 2002, 9, id FROM tenant_tags WHERE tenant = 1001 AND slug = 'python'},
		qr/ERROR:  23503: .* violates foreign key constraint "articles_tags_tenant_tag_id_fkey"/
	],
	[
		'an association of tenant 2002 with a ticket of account 1001 is refused by the restored trigger',
		q{INSERT INTO tickets_tags (tenant, item_id, tag_id)
		  SELECT 2002, 1, id FROM tenant_tags WHERE tenant = 2002 AND slug = 'python'},
		qr/ERROR:  23503: item 1 of table "tickets" is not of tenant 2002/
	],
	[
		'a write without a tenant is refused: articles is still a tenant target',
		q{SELECT * FROM item_set_tags('articles', 7, ARRAY['Python'])},
		qr/ERROR:  22004: tenant must not be null/
	],);

# Keep working: the same steps in the source and in each restored
# database, each answer the one written with it.
my @steps = (

	# the identity sequences of the vocabularies go on where they stood:
	# a new tag of either tenant gets an id past every restored one
	[
		'a new tag in each account gets an id past the restored ones',
		q{CREATE TEMP TABLE restored AS
		  SELECT max(id) AS max_id,
		         pg_sequence_last_value(pg_get_serial_sequence('tenant_tags', 'id')::regclass) AS last_id
		  FROM tenant_tags;
		  SELECT string_agg(format('%s %s %s', x.tenant, t.slug,
		                           t.id > r.max_id AND t.id > r.last_id), ', ' ORDER BY x.tenant, t.ord)
		  FROM restored AS r, (VALUES (1001), (2002)) AS x(tenant),
		       LATERAL item_set_tags('articles', 7, ARRAY['Python', 'After Restore'],
		                             tenant => x.tenant)
		           WITH ORDINALITY AS t(id, name, slug, created_at, ord);
		  SELECT count(DISTINCT id), count(DISTINCT tenant) FROM tenant_tags
		  WHERE slug = 'after-restore'},
		"1001 python f, 1001 after-restore t, 2002 python f, 2002 after-restore t\n2|2"
	],
	[
		'a new tag in each workspace gets an id past the restored ones',
		q{CREATE TEMP TABLE restored AS
		  SELECT max(id) AS max_id,
		         pg_sequence_last_value(pg_get_serial_sequence('tenant_tags_uuid', 'id')::regclass) AS last_id
		  FROM tenant_tags_uuid;
		  SELECT string_agg(format('%s %s %s', x.w, t.slug,
		                           t.id > r.max_id AND t.id > r.last_id), ', ' ORDER BY x.w, t.ord)
		  FROM restored AS r, (VALUES ('w1'), ('w2')) AS x(w),
		       LATERAL item_set_tags('documents', md5(x.w || '/3')::uuid,
		                             ARRAY['Go', 'After Restore'], tenant => md5(x.w)::uuid,
		                             context => 'topics')
		           WITH ORDINALITY AS t(id, name, slug, created_at, ord)},
		'w1 go f, w1 after-restore t, w2 go f, w2 after-restore t'
	],

	# names: a synonym and a merged name are one tenant's
	[
		'py and nosql are account 1001\'s python and sql, and account 2002\'s own',
		q{CREATE TEMP TABLE written AS
		  SELECT x.tenant, t.id, t.slug, t.ord
		  FROM (VALUES (1001), (2002)) AS x(tenant),
		       LATERAL item_set_tags('articles', 8, ARRAY['py', 'nosql', 'PostgreSQL'],
		                             tenant => x.tenant)
		           WITH ORDINALITY AS t(id, name, slug, created_at, ord);
		  SELECT w.tenant,
		         string_agg(w.slug || CASE WHEN v.tenant = w.tenant THEN ''
		                                   ELSE ' of tenant ' || coalesce(v.tenant::text, 'none') END,
		                    ' ' ORDER BY w.ord)
		  FROM written AS w LEFT JOIN tenant_tags AS v ON v.id = w.id
		  GROUP BY w.tenant ORDER BY 1},
		"1001|python sql postgresql\n2002|py nosql postgresql"
	],
	[
		'tags_search in each account finds its own tags only',
		q{SELECT x.tenant,
		         string_agg(s.slug || CASE WHEN v.tenant = x.tenant THEN ''
		                                   ELSE ' of tenant ' || coalesce(v.tenant::text, 'none') END,
		                    ' ' ORDER BY s.slug)
		  FROM (VALUES (1001), (2002)) AS x(tenant),
		       LATERAL tags_search('p', 100, target => 'articles', tenant => x.tenant) AS s
		  LEFT JOIN tenant_tags AS v ON v.id = s.id
		  GROUP BY x.tenant ORDER BY 1},
		"1001|postgresql python\n2002|postgresql py python"
	],
	[
		'rust is workspace w1\'s old slug, so a tag named rust is new there, and w2\'s own',
		q{SELECT x.w, string_agg(t.slug, ' ' ORDER BY t.ord)
		  FROM (VALUES ('w1'), ('w2')) AS x(w),
		       LATERAL item_add_tags('documents', md5(x.w || '/4')::uuid, ARRAY['Rust'],
		                             tenant => md5(x.w)::uuid, context => 'audience')
		           WITH ORDINALITY AS t(id, name, slug, created_at, ord)
		  WHERE t.name = 'rust'
		  GROUP BY x.w ORDER BY 1},
		"w1|rust-2\nw2|rust"
	],

	# slugs: an old slug leads to its tag in its tenant only
	[
		'the old slugs go and nosql of account 1001 lead to golang and sql there',
		q{SELECT s.old, s.new,
		         ARRAY(SELECT id FROM items_by_tag(NULL::articles, s.old, 1, 100, tenant => 1001))
		           = ARRAY(SELECT id FROM items_by_tag(NULL::articles, s.new, 1, 100, tenant => 1001)),
		         tag_item_count('tickets', s.old, tenant => 1001)
		           = tag_item_count('tickets', s.new, tenant => 1001),
		         tag_item_count('articles', s.new, tenant => 1001) > 0
		  FROM (VALUES ('go', 'golang'), ('nosql', 'sql')) AS s(old, new)
		  ORDER BY 1},
		"go|golang|t|t|t\nnosql|sql|t|t|t"
	],
	[
		'the slugs go and nosql are account 2002\'s own tags',
		q{SELECT s.slug, tag_item_count('articles', s.slug, tenant => 2002)
		         = (SELECT count(*) FROM articles_tags AS a
		            JOIN articles AS i ON i.account_id = a.tenant AND i.id = a.item_id
		            JOIN tenant_tags AS t ON t.tenant = a.tenant AND t.id = a.tag_id
		            WHERE a.tenant = 2002 AND t.slug = s.slug AND i.status = 'published'),
		         tag_item_count('articles', s.slug, tenant => 2002) > 0
		  FROM (VALUES ('go'), ('nosql')) AS s(slug) ORDER BY 1},
		"go|t|t\nnosql|t|t"
	],

	# tag care after the restore, in account 2002: the slug golang is free
	# there, and account 1001 is left as it was
	[
		'a rename and a merge in account 2002 leave account 1001 as it was',
		q{CREATE TEMP TABLE account_1001 AS
		  SELECT t::text AS r FROM tenant_tags AS t WHERE tenant = 1001
		  UNION ALL SELECT s::text FROM tenant_tag_synonyms AS s WHERE tenant = 1001
		  UNION ALL SELECT a::text FROM tenant_tag_slug_aliases AS a WHERE tenant = 1001
		  UNION ALL SELECT c::text FROM tag_item_counts('articles', tenant => 1001) AS c
		  UNION ALL SELECT c::text FROM tag_item_counts('tickets', tenant => 1001) AS c;
		  SELECT slug FROM tag_rename('go', 'Golang', target => 'tickets', tenant => 2002);
		  SELECT tag_merge('nosql', 'sql', target => 'articles', tenant => 2002) > 0;
		  CREATE TEMP TABLE account_1001_after AS
		  SELECT t::text AS r FROM tenant_tags AS t WHERE tenant = 1001
		  UNION ALL SELECT s::text FROM tenant_tag_synonyms AS s WHERE tenant = 1001
		  UNION ALL SELECT a::text FROM tenant_tag_slug_aliases AS a WHERE tenant = 1001
		  UNION ALL SELECT c::text FROM tag_item_counts('articles', tenant => 1001) AS c
		  UNION ALL SELECT c::text FROM tag_item_counts('tickets', tenant => 1001) AS c;
		  SELECT (SELECT count(*) FROM account_1001) > 40,
		         NOT EXISTS (SELECT r FROM account_1001 EXCEPT ALL SELECT r FROM account_1001_after),
		         NOT EXISTS (SELECT r FROM account_1001_after EXCEPT ALL SELECT r FROM account_1001)},
		"golang\nt\nt|t|t"
	],
	[
		'the rename and the merge resolve in account 2002: nosql is sql, go leads to golang',
		q{SELECT string_agg(slug, ' ' ORDER BY ord)
		  FROM item_set_tags('articles', 9, ARRAY['NoSQL', 'Golang'], tenant => 2002)
		      WITH ORDINALITY AS t(id, name, slug, created_at, ord);
		  SELECT ARRAY(SELECT id FROM items_by_tag(NULL::articles, 'go', 1, 100, tenant => 2002))
		           = ARRAY(SELECT id FROM items_by_tag(NULL::articles, 'golang', 1, 100, tenant => 2002)),
		         tag_item_count('articles', 'golang', tenant => 2002) > 0,
		         (SELECT count(*) FROM tenant_tags WHERE tenant = 2002 AND slug IN ('go', 'nosql'))},
		"sql golang\nt|t|0"
	],

	# a context is a list of its own
	[
		'a tag added in a context counts there, not in the own list',
		q{SELECT string_agg(slug, ' ') FROM item_add_tags('articles', 2, ARRAY['Context Only'],
		                                                 tenant => 1001, context => 'skills')
		  WHERE slug = 'context-only';
		  SELECT (SELECT status FROM articles WHERE account_id = 1001 AND id = 2),
		         tag_item_count('articles', 'context-only', tenant => 1001, context => 'skills'),
		         tag_item_count('articles', 'context-only', tenant => 1001),
		         (SELECT count(*) FROM articles_skills_tags a JOIN tenant_tags t
		            ON t.tenant = a.tenant AND t.id = a.tag_id WHERE t.slug = 'context-only'),
		         (SELECT count(*) FROM articles_tags a JOIN tenant_tags t
		            ON t.tenant = a.tenant AND t.id = a.tag_id WHERE t.slug = 'context-only')},
		"context-only\npublished|1|0|1|0"
	],

	# the nullable sort columns: an item without a value is paged last,
	# through the restored trigger on the target
	[
		'an article whose published_at becomes NULL is paged last, and back in place with a value',
		q{SELECT count(*) FROM (VALUES (4), (5)) AS a(id),
		      LATERAL item_set_tags('articles', a.id, ARRAY['Sort Test'], tenant => 2002);
		  UPDATE articles SET status = 'published', published_at = timestamptz '2024-05-01 00:00:00+00'
		  WHERE account_id = 2002 AND id = 4;
		  UPDATE articles SET status = 'published', published_at = timestamptz '2024-04-01 00:00:00+00'
		  WHERE account_id = 2002 AND id = 5;
		  SELECT string_agg(id::text, ',') FROM items_by_tag(NULL::articles, 'sort-test', tenant => 2002);
		  UPDATE articles SET published_at = NULL WHERE account_id = 2002 AND id = 4;
		  SELECT string_agg(id::text, ',') FROM items_by_tag(NULL::articles, 'sort-test', tenant => 2002);
		  UPDATE articles SET published_at = timestamptz '2024-06-01 00:00:00+00'
		  WHERE account_id = 2002 AND id = 4;
		  SELECT string_agg(id::text, ',') FROM items_by_tag(NULL::articles, 'sort-test', tenant => 2002)},
		"2\n4,5\n5,4\n4,5"
	],
	[
		'a ticket whose priority becomes NULL is paged last',
		q{SELECT count(*) FROM (VALUES (2), (6)) AS t(id),
		      LATERAL item_set_tags('tickets', t.id, ARRAY['Sort Test'], tenant => 2002);
		  UPDATE tickets SET priority = 5 WHERE id = 2;
		  UPDATE tickets SET priority = 3 WHERE id = 6;
		  SELECT string_agg(id::text, ',') FROM items_by_tag(NULL::tickets, 'sort-test', tenant => 2002);
		  UPDATE tickets SET priority = NULL WHERE id = 2;
		  SELECT string_agg(id::text, ',') FROM items_by_tag(NULL::tickets, 'sort-test', tenant => 2002)},
		"2\n2,6\n6,2"
	],

	# tags_prune of one tenant: only its tags on no item of any target of
	# its vocabulary
	[
		'tags_prune in account 2002 deletes only its tags that no list uses',
		q{SELECT count(*) FROM tags_get_or_create(ARRAY['Lonely'], target => 'articles', tenant => 1001);
		  SELECT count(*) FROM tags_get_or_create(ARRAY['Lonely'], target => 'tickets', tenant => 2002);
		  SELECT tags_prune(target => 'articles', tenant => 2002) >= 1;
		  SELECT string_agg(tenant || ' ' || slug, ',' ORDER BY tenant, slug) FROM tenant_tags
		  WHERE slug IN ('lonely', 'urgent', 'article-only')},
		"1\n1\nt\n1001 article-only,1001 lonely,1001 urgent,2002 article-only,2002 urgent"
	],

	# the shared tags stay apart from every tenant's
	[
		'no tenant write touched the shared tags',
		q{SELECT (SELECT count(*) FROM tags), (SELECT count(*) FROM tag_synonyms),
		         (SELECT count(*) FROM tag_slug_aliases)},
		'0|0|0'
	],);

foreach my $db ('src', @restored)
{
	foreach my $refusal (@refused)
	{
		my ($name, $sql, $error) = @$refusal;
		my ($ret, $stdout, $stderr) =
		  $node->psql($db, "\\set VERBOSITY verbose\n$sql");

		# expected: the error, with its SQLSTATE
		ok($ret != 0 && $stderr =~ $error, "$db: $name") or diag $stderr;
	}

	foreach my $step (@steps)
	{
		my ($name, $sql, $expected) = @$step;
		my $got = $node->safe_psql($db, $sql);

		# expected: the answer written in the step, the same in the source
		# and in every restored database
		is($got, $expected, "$db: $name");
	}

	check_oracle($db, 'after the writes');
}

$node->stop;
done_testing();
