
# Copyright: the tags extension's authors

=pod

=head1 NAME

TagsLoad - the concurrent load and the invariants shared by the TAP tests
t/001_stress.pl and t/002_crash.pl

=head1 SYNOPSIS

  use TagsLoad;

  my $node = TagsLoad::new_node('main');
  $node->start;
  TagsLoad::setup($node);
  my @cmd = TagsLoad::pgbench_command($node, $dir, seconds => 30);
  ...
  TagsLoad::check_pgbench_output($stdout, $stderr, $exit_code);
  TagsLoad::check_invariants($node, 'after the load');

=head1 DESCRIPTION

The load is pgbench with custom scripts, one transaction each, that mix
every write function of the extension (tags_get_or_create, post_set_tags
with lists, NULL and '{}', post_add_tags, post_remove_tags, tags_prune) with
the direct SQL an application and its ORM run against the same tables:
INSERT and DELETE of posts, DELETE (and INSERT) of tags, a plain two-column
INSERT into post_tags, UPDATE of posts.status and posts.deleted_at, and a
few reads.

The names come from a small vocabulary of hot tags (12 normalized names)
written in several spellings (case, spaces, NBSP, full-width letters), so
that normalization decides which calls meet on the same tag; "café" and
"cafe" share a base slug, so they race for "cafe" and "cafe-2".

Which rows can vanish.  A writer whose post is deleted concurrently raises
P0002 "post N does not exist", which is documented behaviour, and a plain
INSERT into post_tags whose post or tag is deleted concurrently fails its
foreign key (23503), which is PostgreSQL's.  Neither may count as a pgbench
failure, and nothing else may be hidden, so the ids are split:

=over

=item posts 1..200 ("stable") are never hard-deleted (only their status and
deleted_at change), nor are the posts the load inserts without an id (ids
from 1001 up): writers call the functions on them directly.

=item posts 201..400 ("pool") are deleted and inserted again with the same
id all the time: writers on them go through load.post_write(), which
catches exactly P0002 with the message "post N does not exist" for its own
post and re-raises anything else.

=item the tags python, postgresql, rust and linux ("stable") are never
deleted; the other eight are.  The plain INSERT into post_tags of a stable
post and a stable tag runs as it is; the one that may meet a deleted post or
tag goes through load.orm_insert(), which catches foreign_key_violation
only.

=back

=cut

package TagsLoad;

use strict;
use warnings;
use utf8;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Spellings of the tags that are never deleted: python, postgresql, rust,
# linux
my @STABLE_SPELLINGS = (
	'Python', ' python ', 'ＰＹＴＨＯＮ', 'PostgreSQL',
	'postgresql', 'Rust', "RUST\t", 'Linux',
	'linux');

# Spellings of the tags the load deletes: c++, c#, café, cafe,
# machine learning, web dev, devops, go
my @DELETABLE_SPELLINGS = (
	'C++', 'c++', 'C#', 'Café',
	'CAFÉ', 'cafe', 'Cafe ', 'Machine  Learning',
	'machine learning', "Web\x{00A0}Dev", 'web dev', 'DevOps',
	'devops', 'Go', 'GO');

# The normalized names of the vocabulary
our @TAG_NAMES = (
	'python', 'postgresql', 'rust', 'linux',
	'c++', 'c#', 'café', 'cafe',
	'machine learning', 'web dev', 'devops', 'go');

# application_name of the load's connections
our $APPNAME = 'tags_load';

# Number of posts created before the load, and the id ranges of the load
our $INITIAL_POSTS = 300;
my $STABLE_LAST = 200;
my $POOL_FIRST = 201;
my $POOL_LAST = 400;
my $NEW_POST_FIRST = 1001;

# Quote a string as an SQL literal (no backslashes in the vocabulary)
sub _quote
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# An SQL array literal of these spellings, as text[]
sub _array_sql
{
	return 'ARRAY[' . join(', ', map { _quote($_) } @_) . ']::text[]';
}

my $ALL = _array_sql(@STABLE_SPELLINGS, @DELETABLE_SPELLINGS);
my $STABLE = _array_sql(@STABLE_SPELLINGS);
my $DELETABLE = _array_sql(@DELETABLE_SPELLINGS);
my $N_ALL = @STABLE_SPELLINGS + @DELETABLE_SPELLINGS;
my $N_STABLE = @STABLE_SPELLINGS;
my $N_DELETABLE = @DELETABLE_SPELLINGS;

=pod

=item TagsLoad::new_node($name, %params)

A new, initialized cluster in UTF8 with the C locale, which logs errors
(with their statement) and lock waits but not every statement.
%params go to init().

With TAGS_EXTENSION_DESTDIR set, the cluster loads the extension from that
private install (make install DESTDIR=...) through the Debian server's
extension_destdir, as t/007_targets_dump.pl does; unset, it loads the one
installed in the server, as make test does.

=cut

sub new_node
{
	my ($name, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	push @{ $params{extra} }, '--encoding=UTF8', '--locale=C';
	$node->init(%params);
	$node->append_conf(
		'postgresql.conf', q{
log_statement = none
log_min_error_statement = error
log_lock_waits = on
max_connections = 30
});
	$node->append_conf('postgresql.conf',
		"extension_destdir = '$ENV{TAGS_EXTENSION_DESTDIR}'")
	  if $ENV{TAGS_EXTENSION_DESTDIR};
	return $node;
}

=pod

=item TagsLoad::setup($node)

Creates the extension, the load's helper functions (schema load), the
initial posts (a mix of published, draft and archived; some soft-deleted)
and tags on them.

=cut

sub setup
{
	my ($node) = @_;

	$node->safe_psql('postgres', 'CREATE EXTENSION tags');
	$node->safe_psql(
		'postgres', q{
CREATE SCHEMA load;

-- A writer on a post that may be deleted concurrently: the documented
-- P0002 "post N does not exist" for this post is the only error caught.
CREATE FUNCTION load.post_write(op text, p integer, names text[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF op = 'set' THEN
		PERFORM public.post_set_tags(p, names);
	ELSIF op = 'add' THEN
		PERFORM public.post_add_tags(p, names);
	ELSIF op = 'remove' THEN
		PERFORM public.post_remove_tags(p, names);
	ELSE
		RAISE 'unknown operation %', op;
	END IF;
EXCEPTION WHEN no_data_found THEN
	IF SQLERRM IS DISTINCT FROM format('post %s does not exist', p) THEN
		RAISE;
	END IF;
END
$$;

-- An ORM's plain INSERT of an association whose post or tag may be deleted
-- concurrently: only the foreign key's 23503 is caught, PostgreSQL's own.
CREATE FUNCTION load.orm_insert(p integer, tag_name text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.post_tags (post_id, tag_id)
	SELECT p, t.id FROM public.tags t
	WHERE t.name = public.tag_normalize(tag_name)
	ON CONFLICT DO NOTHING;
EXCEPTION WHEN foreign_key_violation THEN
	NULL;
END
$$;
});

	# posts 1..300: published, draft or archived, every seventh
	# soft-deleted; the load inserts posts without an id from 1001 up
	$node->safe_psql(
		'postgres', qq{
INSERT INTO posts (title, status, created_at, deleted_at)
SELECT 'post ' || i,
       (ARRAY['published', 'published', 'draft', 'archived'])[i % 4 + 1],
       now() - i * interval '1 minute',
       CASE WHEN i % 7 = 0 THEN now() END
FROM generate_series(1, $INITIAL_POSTS) i;
SELECT setval(pg_get_serial_sequence('posts', 'id'), $NEW_POST_FIRST - 1);
});

	# each post gets up to three tags of the vocabulary (the spellings are
	# not ASCII: psql reads the script as UTF-8 bytes)
	my $tag_posts = qq{
SELECT count(*) FROM generate_series(1, $INITIAL_POSTS) i,
	LATERAL post_set_tags(i, ARRAY[
		($ALL)[i % $N_ALL + 1],
		($ALL)[(i * 7) % $N_ALL + 1],
		($ALL)[(i * 13) % ($N_ALL + 3) + 1]]);
};
	utf8::encode($tag_posts);
	$node->safe_psql('postgres', $tag_posts);
	return;
}

# The pgbench scripts: file name => [weight, text].  Each SQL command is one
# transaction (autocommit); \if picks between variants.
sub _scripts
{
	# 1 to 4 names of the whole vocabulary, an index past the end giving
	# a NULL element now and then
	my $names_vars = <<"EOS";
\\set a random(1, $N_ALL + 1)
\\set b random(1, $N_ALL)
\\set c random(1, $N_ALL)
\\set d random(1, $N_ALL + 4)
EOS
	my $names = "ARRAY[($ALL)[:a], ($ALL)[:b], ($ALL)[:c], ($ALL)[:d]]";
	my $two_names = "ARRAY[($ALL)[:b], ($ALL)[:c]]";

	return {
		# get-or-create of hot names, some of which are being deleted
		get_or_create => [
			10, <<"EOS"
$names_vars
SELECT count(*) FROM tags_get_or_create($names);
EOS
		],

		# replace a post's tags: a list, NULL (unchanged) or '{}' (remove
		# all); on a stable post directly, on a pool post through the
		# wrapper
		set_tags => [
			12, <<"EOS"
$names_vars
\\set k random(1, 10)
\\set p random(1, $STABLE_LAST)
\\set q random($POOL_FIRST, $POOL_LAST)
\\if :k <= 5
SELECT count(*) FROM post_set_tags(:p, $names);
\\elif :k = 6
SELECT count(*) FROM post_set_tags(:p, NULL);
\\elif :k = 7
SELECT count(*) FROM post_set_tags(:p, '{}');
\\elif :k = 8
SELECT load.post_write('set', :q, NULL);
\\elif :k = 9
SELECT load.post_write('set', :q, '{}');
\\else
SELECT load.post_write('set', :q, $names);
\\endif
EOS
		],

		add_tags => [
			8, <<"EOS"
$names_vars
\\set k random(1, 2)
\\set p random(1, $STABLE_LAST)
\\set q random($POOL_FIRST, $POOL_LAST)
\\if :k = 1
SELECT count(*) FROM post_add_tags(:p, $two_names);
\\else
SELECT load.post_write('add', :q, $two_names);
\\endif
EOS
		],

		remove_tags => [
			6, <<"EOS"
$names_vars
\\set k random(1, 2)
\\set p random(1, $STABLE_LAST)
\\set q random($POOL_FIRST, $POOL_LAST)
\\if :k = 1
SELECT count(*) FROM post_remove_tags(:p, $two_names);
\\else
SELECT load.post_write('remove', :q, $two_names);
\\endif
EOS
		],

		# hard delete of a pool post: its associations go by the cascade
		delete_post => [
			3, <<"EOS"
\\set q random($POOL_FIRST, $POOL_LAST)
DELETE FROM posts WHERE id = :q;
EOS
		],

		# a pool post inserted again with its id, or a new post inserted
		# without one and then tagged (it is never hard-deleted)
		insert_post => [
			4, <<"EOS"
$names_vars
\\set k random(1, 3)
\\set q random($POOL_FIRST, $POOL_LAST)
\\if :k <= 2
INSERT INTO posts (id, title, status) VALUES (:q, 'pool post', 'published')
ON CONFLICT (id) DO NOTHING;
\\else
INSERT INTO posts (title, status) VALUES ('new post', 'published')
RETURNING id AS new_id \\gset
SELECT count(*) FROM post_set_tags(:new_id, $names);
\\endif
EOS
		],

		# direct DELETE of a deletable tag (cascade to post_tags), and now
		# and then a direct INSERT of one, whose slug the trigger picks
		tag_sql => [
			3, <<"EOS"
\\set k random(1, 4)
\\set e random(1, $N_DELETABLE)
\\if :k <= 3
DELETE FROM tags WHERE name = tag_normalize(($DELETABLE)[:e]);
\\else
INSERT INTO tags (name) VALUES (($DELETABLE)[:e]) ON CONFLICT (name) DO NOTHING;
\\endif
EOS
		],

		# an ORM's plain two-column INSERT of an association
		orm_insert => [
			5, <<"EOS"
\\set k random(1, 2)
\\set p random(1, $STABLE_LAST)
\\set q random($POOL_FIRST, $POOL_LAST)
\\set s random(1, $N_STABLE)
\\set a random(1, $N_ALL)
\\if :k = 1
INSERT INTO post_tags (post_id, tag_id)
SELECT :p, id FROM tags WHERE name = tag_normalize(($STABLE)[:s])
ON CONFLICT DO NOTHING;
\\else
SELECT load.orm_insert(:q, ($ALL)[:a]);
\\endif
EOS
		],

		# publish, unpublish, archive, soft-delete and restore posts
		update_post => [
			5, <<"EOS"
\\set p random(1, $POOL_LAST)
\\set s random(1, 3)
\\set d random(0, 3)
UPDATE posts
SET status = (ARRAY['draft', 'published', 'archived'])[:s],
    deleted_at = CASE WHEN :d = 0 THEN now() END
WHERE id = :p;
EOS
		],

		# tag care: deletes the tags on no post, while the writers above
		# attach them (a writer that meets one being deleted creates it
		# anew; the plain INSERTs of stable tags meet tags that are always
		# on some post)
		prune => [
			2, <<"EOS"
SELECT tags_prune();
EOS
		],

		# readers next to the writers
		read => [
			2, <<"EOS"
\\set p random(1, $STABLE_LAST)
SELECT count(*) FROM tag_counts();
SELECT count(*) FROM post_get_tags(:p);
EOS
		],
	};
}

=pod

=item TagsLoad::pgbench_command($node, $dir, seconds => N)

Writes the scripts into $dir and returns the pgbench command line: 8
clients, 2 threads, READ COMMITTED (the default), no retries, for N
seconds, with a random seed it prints so that a run can be repeated
(pass seed => S to repeat one).  The clients' application_name is
$TagsLoad::APPNAME.

=cut

sub pgbench_command
{
	my ($node, $dir, %params) = @_;
	my $seconds = $params{seconds} || 30;
	my $seed = $params{seed} // int(rand(2**31));
	my @cmd = (
		'env', "PGAPPNAME=$APPNAME",
		'pgbench', '-n', '-c', '8', '-j', '2', '-T', $seconds,
		'-M', 'prepared', '--failures-detailed', "--random-seed=$seed",
		'-h', $node->host, '-p', $node->port);

	my $scripts = _scripts();
	for my $name (sort keys %$scripts)
	{
		my ($weight, $text) = @{ $scripts->{$name} };
		my $file = "$dir/$name.sql";
		open my $fh, '>:encoding(UTF-8)', $file or die "$file: $!";
		print $fh $text;
		close $fh;
		push @cmd, '-f', "$file\@$weight";
	}
	push @cmd, 'postgres';
	note "pgbench seed $seed, scripts in $dir";
	return @cmd;
}

=pod

=item TagsLoad::check_pgbench_output($stdout, $stderr, $exit_code)

Asserts, from pgbench's report, that the run had no failed transaction, no
deadlock and no serialization failure, that no client aborted, and that it
processed transactions.

=cut

sub check_pgbench_output
{
	my ($stdout, $stderr, $exit_code) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	note "pgbench stdout:\n$stdout";
	note "pgbench stderr:\n$stderr" if $stderr ne '';

	# pgbench ends normally: no client aborted on an error
	is($exit_code, 0, 'pgbench exits with 0');
	unlike($stderr, qr/aborted|error/i, 'no client aborted, no error');

	# it did work
	my ($processed) =
	  $stdout =~ /^number of transactions actually processed: (\d+)/m;
	ok(defined $processed && $processed > 0,
		'pgbench processed transactions (' . ($processed // 'none') . ')');

	# every script ran: the mix really had each kind of write
	my %ran = $stdout =~
	  /^SQL script \d+: \S*\/(\w+)\.sql\n - weight: .*\n - (\d+) transactions/mg;
	my $scripts = _scripts();
	is_deeply(
		[ sort grep { ($ran{$_} // 0) > 0 } keys %$scripts ],
		[ sort keys %$scripts ],
		'every script of the load ran');

	# no transaction failed, none on a deadlock, none on a serialization
	# failure (each line must be present: --failures-detailed prints them)
	for my $what ('failed transactions', 'serialization failures',
		'deadlock failures')
	{
		my ($n) = $stdout =~ /^number of \Q$what\E: (\d+)/m;
		is($n, 0, "pgbench reports 0 $what");
	}
	return;
}

=pod

=item TagsLoad::check_invariants($node, $label)

Asserts the invariants of the three tables and the readers against an oracle
in plain SQL.  Each query returns the offending rows, so a failure shows
them.

=cut

sub check_invariants
{
	my ($node, $label) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $q = sub { $node->safe_psql('postgres', $_[0]) };

	# the load left rows to check
	my ($posts, $tags, $assocs) = split /\|/,
	  $q->('SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM tags),
			(SELECT count(*) FROM post_tags)');
	note "$label: $posts posts, $tags tags, $assocs associations";
	ok($posts > 0 && $tags > 0 && $assocs > 0,
		"$label: posts, tags and associations exist");

	# every association points at an existing post and an existing tag
	is( $q->(
			'SELECT pt.post_id, pt.tag_id FROM post_tags pt
			 WHERE NOT EXISTS (SELECT FROM posts p WHERE p.id = pt.post_id)
			    OR NOT EXISTS (SELECT FROM tags t WHERE t.id = pt.tag_id)
			 ORDER BY 1, 2'),
		'',
		"$label: every association points at a live post and tag");

	# no two tags share a normalized name
	is( $q->(
			'SELECT tag_normalize(name), count(*) FROM tags
			 GROUP BY 1 HAVING count(*) > 1 ORDER BY 1'),
		'',
		"$label: no two tags share a normalized name");

	# no two tags share a slug
	is( $q->(
			'SELECT slug, count(*) FROM tags
			 GROUP BY 1 HAVING count(*) > 1 ORDER BY 1'),
		'',
		"$label: no two tags share a slug");

	# every name is its own normalized form
	is( $q->(
			'SELECT id, name FROM tags
			 WHERE name::text IS DISTINCT FROM tag_normalize(name) ORDER BY 1'),
		'',
		"$label: every name equals tag_normalize(name)");

	# every slug is lower-case ASCII words joined by single hyphens
	is( $q->(
			q{SELECT id, slug FROM tags
			  WHERE slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' ORDER BY 1}),
		'',
		"$label: every slug is valid");

	# no two of a post's associations share a position, so its order is
	# one caller's list, never a mix
	is( $q->(
			'SELECT post_id, position, count(*) FROM post_tags
			 WHERE position IS NOT NULL
			 GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2'),
		'',
		"$label: no two tags of a post share a position");

	# tag_counts() has every tag once, with the oracle's count: the
	# published, non-deleted posts carrying it, 0 for none
	is( $q->(
			q{WITH oracle AS (
				SELECT t.id, t.name::text AS name, t.slug::text AS slug,
					(SELECT count(*) FROM post_tags pt
					 JOIN posts p ON p.id = pt.post_id
					 WHERE pt.tag_id = t.id AND p.status = 'published'
					   AND p.deleted_at IS NULL) AS n
				FROM tags t)
			  SELECT o.id, o.name, o.n, c.id, c.name, c.post_count
			  FROM oracle o FULL JOIN tag_counts() c ON c.id = o.id
			  WHERE o.id IS NULL OR c.id IS NULL
				 OR c.post_count <> o.n OR c.name <> o.name OR c.slug <> o.slug
			  ORDER BY 1, 4}),
		'',
		"$label: tag_counts() equals the oracle for every tag");

	# tag_counts() returns as many rows as there are tags
	is($q->('SELECT count(*) FROM tag_counts()'),
		$tags, "$label: tag_counts() has one row per tag");

	# for a tag with fewer than 100 posts, tag_post_count(slug) and the rows
	# of posts_by_tag(slug, 1, 100) equal the oracle's count
	my $small = $q->(
		q{SELECT count(*) FROM tags t
		  WHERE (SELECT count(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id
				 WHERE pt.tag_id = t.id AND p.status = 'published'
				   AND p.deleted_at IS NULL) < 100});
	note "$label: $small tags have fewer than 100 posts";
	is( $q->(
			q{WITH oracle AS (
				SELECT t.slug::text AS slug,
					(SELECT count(*) FROM post_tags pt
					 JOIN posts p ON p.id = pt.post_id
					 WHERE pt.tag_id = t.id AND p.status = 'published'
					   AND p.deleted_at IS NULL) AS n
				FROM tags t)
			  SELECT slug, n, tag_post_count(slug),
				  (SELECT count(*) FROM posts_by_tag(slug, 1, 100))
			  FROM oracle
			  WHERE n < 100
				AND (tag_post_count(slug) <> n
				  OR (SELECT count(*) FROM posts_by_tag(slug, 1, 100)) <> n)
			  ORDER BY 1}),
		'',
		"$label: tag_post_count and posts_by_tag agree with the oracle for tags under 100 posts"
	);

	# for every tag, paging through posts_by_tag(slug, page, 100) gives
	# exactly the oracle's posts, each once, and tag_post_count their number
	is( $q->(
			q{WITH oracle AS (
				SELECT t.slug::text AS slug,
					array(SELECT p.id FROM post_tags pt
						  JOIN posts p ON p.id = pt.post_id
						  WHERE pt.tag_id = t.id AND p.status = 'published'
							AND p.deleted_at IS NULL ORDER BY p.id) AS ids
				FROM tags t),
			  paged AS (
				SELECT o.slug, o.ids,
					array(SELECT b.id
						  FROM generate_series(1,
								cardinality(o.ids) / 100 + 1) page,
							LATERAL posts_by_tag(o.slug, page, 100) b
						  ORDER BY b.id) AS got
				FROM oracle o)
			  SELECT slug, cardinality(ids), cardinality(got),
				  tag_post_count(slug)
			  FROM paged
			  WHERE ids <> got OR tag_post_count(slug) <> cardinality(ids)
			  ORDER BY 1}),
		'',
		"$label: for every tag, posts_by_tag pages through exactly the oracle's posts"
	);

	# every association's copy of its post is the post's
	is( $q->(
			q{SELECT pt.post_id, pt.tag_id FROM post_tags pt
			  JOIN posts p ON p.id = pt.post_id
			  WHERE pt.post_visible <> (p.status = 'published' AND p.deleted_at IS NULL)
				 OR pt.post_created_at <> p.created_at
			  ORDER BY 1, 2}),
		'',
		"$label: every association's copy of its post is the post's");

	# tag_counts(top) is the first top rows of tag_counts()
	is( $q->(
			q{SELECT top FROM unnest(ARRAY[1, 3, 10, 50, 1000]) AS top
			  WHERE ARRAY(SELECT row(c.*)::text FROM tag_counts(top) c)
				 IS DISTINCT FROM
					ARRAY(SELECT row(c.*)::text FROM tag_counts() c LIMIT top)}),
		'',
		"$label: tag_counts(top) is the first rows of tag_counts()");

	# for every tag, walking posts_by_tag_after from the last post of each
	# page gives posts_by_tag's posts in its order
	is( $q->(
			q{CREATE FUNCTION pg_temp.walk(tag text) RETURNS integer[]
			  LANGUAGE plpgsql AS $$
			  DECLARE
				  ids integer[] := '{}';
				  last posts;
				  n integer;
			  BEGIN
				  LOOP
					  n := 0;
					  FOR last IN SELECT * FROM posts_by_tag_after(tag, last.created_at, last.id, 7) LOOP
						  ids := ids || last.id;
						  n := n + 1;
					  END LOOP;
					  EXIT WHEN n < 7;
				  END LOOP;
				  RETURN ids;
			  END $$;
			  SELECT t.slug FROM tags t
			  WHERE pg_temp.walk(t.slug)
				 IS DISTINCT FROM
					ARRAY(SELECT b.id FROM generate_series(1, 1000) AS page,
						  LATERAL posts_by_tag(t.slug, page, 100) WITH ORDINALITY AS b
						  WHERE page <= tag_post_count(t.slug) / 100 + 1
						  ORDER BY page, b.ordinality)
			  ORDER BY 1}),
		'',
		"$label: for every tag, posts_by_tag_after walks posts_by_tag's list"
	);
	return;
}

=pod

=item TagsLoad::run_pgbench_and_check($node, $dir, seconds => N)

Runs the load in the foreground and checks pgbench's report.

=cut

sub run_pgbench_and_check
{
	my ($node, $dir, %params) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my @cmd = pgbench_command($node, $dir, %params);
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr);
	check_pgbench_output($stdout, $stderr, $? >> 8);
	return;
}

=pod

What the dump tests share: restoring a database every way doc/tables.md
says it may be restored, and rendering two databases as lines to compare.

=item TagsLoad::dump_and_restore($node, $db, $dir)

pg_dump of database $db into $dir in plain format, restored with psql into
dst_plain, and in custom format, restored with pg_restore into dst_custom
and, into dst_data, schema first, then data only with --disable-triggers,
followed by tags_rebuild() for what the triggers did not keep.  Each step
is a test that it exits with 0 and writes nothing on stderr (psql's
stdout, the dump's own SELECTs, is not looked at).  Returns the three
databases' names.

=cut

sub dump_and_restore
{
	my ($node, $db, $dir) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	$node->command_checks_all(
		[ 'pg_dump', '--no-sync', '-Fp', '-f', "$dir/$db.sql", $db ],
		0, [qr/^$/], [qr/^$/], "pg_dump of $db in plain format");
	$node->command_checks_all(
		[ 'pg_dump', '--no-sync', '-Fc', '-f', "$dir/$db.dump", $db ],
		0, [qr/^$/], [qr/^$/], "pg_dump of $db in custom format");

	$node->safe_psql('postgres', "CREATE DATABASE $_")
	  foreach ('dst_plain', 'dst_custom', 'dst_data');
	$node->command_checks_all(
		[
			'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
			'-f', "$dir/$db.sql", '-d', 'dst_plain'
		],
		0, [qr//], [qr/^$/], 'dst_plain: the plain dump restores with psql');
	$node->command_checks_all(
		[ 'pg_restore', '--exit-on-error', '-d', 'dst_custom', "$dir/$db.dump" ],
		0, [qr/^$/], [qr/^$/],
		'dst_custom: the custom dump restores with pg_restore');
	$node->command_checks_all(
		[
			'pg_restore', '--exit-on-error', '--schema-only',
			'-d', 'dst_data', "$dir/$db.dump"
		],
		0, [qr/^$/], [qr/^$/],
		'dst_data: the schema of the custom dump restores');
	$node->command_checks_all(
		[
			'pg_restore', '--exit-on-error', '--data-only',
			'--disable-triggers', '-d', 'dst_data', "$dir/$db.dump"
		],
		0, [qr/^$/], [qr/^$/],
		'dst_data: its data restores with --disable-triggers');
	$node->command_checks_all(
		[ 'psql', '-X', '-q', '-c', 'SELECT tags_rebuild()', '-d', 'dst_data' ],
		0, [qr//], [qr/^$/],
		'dst_data: tags_rebuild() after the data-only restore');
	return ('dst_plain', 'dst_custom', 'dst_data');
}

=pod

=item TagsLoad::snapshot($node, $db, \%sql)

Runs each query of %sql in $db and returns a hash of the same keys whose
values are the lines of its answer, one per row in the query's order: two
databases' snapshots are compared with is_deeply.

=cut

sub snapshot
{
	my ($node, $db, $sql) = @_;
	my %snap;
	foreach my $what (keys %$sql)
	{
		$snap{$what} = [ split /\n/, $node->safe_psql($db, $sql->{$what}) ];
	}
	return \%snap;
}

=pod

=item TagsLoad::definition_sql($schema)

Queries that render the definition of every table and sequence of
$schema, one line per object: for TagsLoad::snapshot().  columns: type,
collation other than the type's, NOT NULL, default, identity; constraints
and indexes as PostgreSQL deparses them; triggers with their state (a
restore with --disable-triggers must switch them back); relations with
their kind, owner, storage options, row-level security and the extension
they belong to; sequence_parameters: each sequence's, and its owning column.

=cut

sub definition_sql
{
	my ($schema) = @_;
	my $ns = "'$schema'::regnamespace";
	return {
		columns => qq{
SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attcollation <> t.typcollation
               THEN ' collate ' || a.attcollation::regcollation::text ELSE '' END
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE a.attidentity WHEN 'a' THEN ' identity always'
                             WHEN 'd' THEN ' identity by default' ELSE '' END
FROM pg_class AS c
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type AS t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef AS d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = $ns AND c.relkind IN ('r', 'p', 'v')
ORDER BY c.relname, a.attnum},
		constraints => qq{
SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = $ns ORDER BY 1},
		indexes => qq{
SELECT indexdef FROM pg_indexes WHERE schemaname = '$schema' ORDER BY 1},
		triggers => qq{
SELECT g.tgrelid::regclass || ' ' || pg_get_triggerdef(g.oid) || ' ' || g.tgenabled::text
FROM pg_trigger AS g JOIN pg_class AS c ON c.oid = g.tgrelid
WHERE c.relnamespace = $ns AND NOT g.tgisinternal ORDER BY 1},
		relations => qq{
SELECT c.relname || ' ' || c.relkind::text || ' ' || pg_get_userbyid(c.relowner)
       || ' ' || coalesce(array_to_string(c.reloptions, ','), '-')
       || ' rls ' || c.relrowsecurity
       || coalesce((SELECT ' extension ' || e.extname
                    FROM pg_depend AS x JOIN pg_extension AS e ON e.oid = x.refobjid
                    WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid
                      AND x.refclassid = 'pg_extension'::regclass
                      AND x.deptype = 'e'), '')
FROM pg_class AS c
WHERE c.relnamespace = $ns AND c.relkind IN ('r', 'p', 'v', 'S')
ORDER BY 1},
		sequence_parameters => qq{
SELECT s.sequencename || ' ' || s.data_type || ' ' || s.start_value || ' '
       || s.min_value || ' ' || s.max_value || ' ' || s.increment_by || ' '
       || s.cycle || ' ' || s.cache_size || coalesce(
    (SELECT ' owned by ' || x.refobjid::regclass || '.' || a.attname
     FROM pg_depend AS x
     JOIN pg_attribute AS a ON a.attrelid = x.refobjid AND a.attnum = x.refobjsubid
     WHERE x.classid = 'pg_class'::regclass
       AND x.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
       AND x.refclassid = 'pg_class'::regclass AND x.deptype IN ('a', 'i')), '')
FROM pg_sequences AS s WHERE s.schemaname = '$schema' ORDER BY 1},
	};
}

=pod

=item TagsLoad::rows_sql($node, $db, $schema)

For every table of $schema in $db, a query that renders its rows, each as
its text form, in text order: the key is "rows of <table>".  For
TagsLoad::snapshot(); a test replaces the query of a table whose rows may
rightly differ.

=cut

sub rows_sql
{
	my ($node, $db, $schema) = @_;
	my %sql;
	foreach my $table (
		split /\n/,
		$node->safe_psql(
			$db, qq{
SELECT c.relname FROM pg_class AS c
WHERE c.relnamespace = '$schema'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY 1}))
	{
		$sql{"rows of $table"} =
		  qq{SELECT x::text FROM "$schema"."$table" AS x ORDER BY 1};
	}
	return \%sql;
}

=pod

=item TagsLoad::sequences_sql($schema)

A query that renders where each sequence of $schema stands (its last
value, NULL before the first, and so the value the next nextval() gives):
for TagsLoad::snapshot().

=cut

sub sequences_sql
{
	my ($schema) = @_;
	return qq{
SELECT sequencename || ' ' || coalesce(last_value::text, 'unused')
FROM pg_sequences WHERE schemaname = '$schema' ORDER BY 1};
}

1;
