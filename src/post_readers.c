/*-------------------------------------------------------------------------
 *
 * post_readers.c
 *	  Reads of posts: a post's tags, a tag's posts, the posts that have
 *	  some tags, related posts.
 *
 * Only listed posts (published, not soft-deleted) are listed.  A tag's
 * posts are read off the index of post_tags that the triggers of copies.c
 * keep in page order.  The readers lock nothing and read in the caller's
 * snapshot, read-only; each runs a fixed number of statements.  See
 * doc/functions.md and doc/plans.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(post_get_tags);
PG_FUNCTION_INFO_V1(posts_by_tag);
PG_FUNCTION_INFO_V1(posts_by_tag_after);
PG_FUNCTION_INFO_V1(posts_tagged);
PG_FUNCTION_INFO_V1(posts_related);

static Datum tag_ids_by_use(Datum names);

/*
 * The post $1's tags in order, through posts, so that a hidden post has
 * none.  Each tag is read through the primary key (the LATERAL subquery
 * with OFFSET 0; see doc/plans.md).
 */
static const TagsStatement stmt_post_tags = {
	"post_tags",
	"SELECT t.* FROM @extschema@.posts p"
	" JOIN @extschema@.post_tags pt"
	"   ON pt.post_id OPERATOR(pg_catalog.=) p.id"
	" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
	"                     WHERE t.id OPERATOR(pg_catalog.=) pt.tag_id OFFSET 0) t"
	" WHERE p.id OPERATOR(pg_catalog.=) $1"
	" ORDER BY pt.position NULLS LAST, t.id",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The post $1, if it exists */
static const TagsStatement stmt_post_exists = {
	"post_exists",
	"SELECT p.id FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Read a post's tags in order (rows in SPI_tuptable); returns how many.
 * The caller must be connected to SPI.
 */
uint64
tags_read_post_tags(int32 post_id, bool read_only)
{
	Datum		param = Int32GetDatum(post_id);

	return tags_execute(&stmt_post_tags, &param, NULL, read_only, 0);
}

/*
 * Put a post's tags, in order, into the result set of fcinfo.  The caller
 * must be connected to SPI.  A writer has locked the post (post_locked): it
 * exists, and the statement must see the writer's changes.  A reader reads
 * in its snapshot, and learns here whether the post exists (P0002).
 */
void
tags_put_post_tags(FunctionCallInfo fcinfo, int32 post_id, bool post_locked)
{
	Datum		param = Int32GetDatum(post_id);

	if (tags_read_post_tags(post_id, !post_locked) > 0)
		tags_put_spi_result(fcinfo);
	else if (!post_locked &&
			 tags_execute(&stmt_post_exists, &param, NULL, true, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("post %d does not exist", post_id));
}

/*
 * post_get_tags(post_id integer) RETURNS SETOF tags
 *
 * The post's tags in the order they were given, those without a position
 * last.  Reads in the caller's snapshot and locks nothing.
 */
Datum
post_get_tags(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_put_post_tags(fcinfo, post_id, false);
	SPI_finish();
	return (Datum) 0;
}

/*
 * Tag $1's listed posts, off the index (tag_id, post_visible,
 * post_created_at, post_id), which keeps them in their page order; posts is
 * joined, so row-level security on it applies.  A page: offset $2, limit
 * $3.
 */
static const TagsStatement stmt_tag_posts_page = {
	"tag_posts_page",
	"SELECT p.* FROM @extschema@.post_tags pt"
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	" WHERE pt.tag_id OPERATOR(pg_catalog.=) $1 AND pt.post_visible"
	" ORDER BY pt.post_created_at DESC, pt.post_id DESC"
	" OFFSET $2 LIMIT $3",
	3, {INT4OID, INT8OID, INT8OID}, 0, SPI_OK_SELECT
};

/*
 * posts_by_tag(slug text, page integer, page_size integer) RETURNS SETOF posts
 *
 * Page 1 is the newest posts.  The offset is computed in 64 bits, so no page
 * number overflows it; a page past the end is empty.  Read off the index of
 * the tag's visible posts: page 1 costs the same for every tag, page n
 * grows with n (see posts_by_tag_after()).
 */
Datum
posts_by_tag(PG_FUNCTION_ARGS)
{
	int32		page = tags_int32_arg(fcinfo, 1, "page");
	int32		page_size = tags_int32_arg(fcinfo, 2, "page size");
	Datum		params[3];

	if (page < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page must be at least 1"));
	tags_check_page_size(page_size);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	/* $1 tag, $2 offset, $3 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	params[1] = Int64GetDatum((int64) (page - 1) * page_size);
	params[2] = Int64GetDatum((int64) page_size);
	tags_execute(&stmt_tag_posts_page, params, NULL, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/* The same, after the post ($2 created_at, $3 id), limit $4 */
static const TagsStatement stmt_tag_posts_after = {
	"tag_posts_after",
	"SELECT p.* FROM @extschema@.post_tags pt"
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	" WHERE pt.tag_id OPERATOR(pg_catalog.=) $1 AND pt.post_visible"
	"   AND (pt.post_created_at, pt.post_id) OPERATOR(pg_catalog.<) ($2, $3)"
	" ORDER BY pt.post_created_at DESC, pt.post_id DESC"
	" LIMIT $4",
	4, {INT4OID, TIMESTAMPTZOID, INT4OID, INT8OID}, 0, SPI_OK_SELECT
};

/*
 * posts_by_tag_after(slug text, after_created_at timestamptz,
 *					  after_id integer, page_size integer) RETURNS SETOF posts
 *
 * The page that follows the post (after_created_at, after_id), in the order
 * of posts_by_tag(): pass the created_at and id of the last post of the
 * page before; both NULL give the first page.  The post need not exist any
 * more.  Each page costs the same however deep it is.
 */
Datum
posts_by_tag_after(PG_FUNCTION_ARGS)
{
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	Datum		params[4];

	tags_check_page_size(page_size);
	if (PG_ARGISNULL(1) != PG_ARGISNULL(2))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("after_created_at and after_id must both be null or both be given"));

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	/* $1 tag, then $2 offset, $3 limit or $2 created_at, $3 id, $4 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	if (PG_ARGISNULL(1))
	{
		params[1] = Int64GetDatum(0);
		params[2] = Int64GetDatum((int64) page_size);
		tags_execute(&stmt_tag_posts_page, params, NULL, true, 0);
	}
	else
	{
		params[1] = PG_GETARG_DATUM(1);
		params[2] = PG_GETARG_DATUM(2);
		params[3] = Int64GetDatum((int64) page_size);
		tags_execute(&stmt_tag_posts_after, params, NULL, true, 0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * The distinct tag ids the names $1 resolve to, NULL for an unknown name,
 * least used first, by the counters; the pending deltas are read once for
 * all the names
 */
static const TagsStatement stmt_tagged_ids_by_use = {
	"tagged_ids_by_use",
	"WITH k AS MATERIALIZED ("
	"    SELECT DISTINCT (SELECT t.id FROM @extschema@.tags t"
	" WHERE t.name OPERATOR(pg_catalog.=) n.name"
	" UNION ALL"
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	" WHERE s.name OPERATOR(pg_catalog.=) n.name"
	" LIMIT 1) AS id"
	"    FROM pg_catalog.unnest($1) AS n(name))"
	" SELECT k.id FROM k LEFT JOIN (SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	" FROM @extschema@.tag_post_count_deltas d GROUP BY d.tag_id) pd"
	"   ON pd.tag_id OPERATOR(pg_catalog.=) k.id"
	" ORDER BY COALESCE((SELECT c.post_count FROM @extschema@.tag_post_counts c"
	"          WHERE c.tag_id OPERATOR(pg_catalog.=) k.id), 0) OPERATOR(pg_catalog.+) COALESCE(pd.delta, 0), k.id NULLS FIRST",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* The same counted live up to a cap: past it, any tag is as good */
static const TagsStatement stmt_tagged_ids_by_use_live = {
	"tagged_ids_by_use_live",
	"SELECT k.id FROM (SELECT DISTINCT (SELECT t.id FROM @extschema@.tags t"
	" WHERE t.name OPERATOR(pg_catalog.=) n.name"
	" UNION ALL"
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	" WHERE s.name OPERATOR(pg_catalog.=) n.name"
	" LIMIT 1) AS id"
	"                  FROM pg_catalog.unnest($1) AS n(name)) k"
	" ORDER BY (SELECT pg_catalog.count(*)"
	"           FROM (SELECT FROM @extschema@.post_tags pt"
	"                 WHERE pt.tag_id OPERATOR(pg_catalog.=) k.id"
	"                   AND pt.post_visible LIMIT 1000) u), k.id NULLS FIRST",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * The distinct ids of the tags the normalized names (a text[]) resolve to,
 * least used first, as an int4[] in SPI's memory; or (Datum) 0 if a name
 * is no tag.  The caller must be connected to SPI.  The counters order
 * them when they answer for the caller (read as their owner: the order is
 * all that comes of them); else a count of each tag's listed associations,
 * capped, does.
 */
static Datum
tag_ids_by_use(Datum names)
{
	Datum	   *ids;
	uint64		n;
	uint64		i;

	if (tags_counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		n = tags_execute(&stmt_tagged_ids_by_use, &names, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
		n = tags_execute(&stmt_tagged_ids_by_use_live, &names, NULL, true, 0);

	ids = palloc(Max(n, 1) * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
							   1, &isnull);
		if (isnull)
			return (Datum) 0;
	}
	return PointerGetDatum(construct_array(ids, (int) n, INT4OID,
										   sizeof(int32), true,
										   TYPALIGN_INT));
}

/*
 * posts_tagged()'s 'all' page: the posts of the tag ($1)[1], least used,
 * read off its index in page order, each kept if its post_tags rows x
 * (read through the primary key) have every tag of $1 and none of the
 * names $2; offset $3, limit $4.  The read stops when the page is full.
 * Generic: that plan is right for a tag on ten posts or on a hundred
 * thousand, which only the counts tell apart.
 */
static const TagsStatement stmt_posts_tagged_all = {
	"posts_tagged_all",
	"SELECT p.* FROM @extschema@.post_tags pt"
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	" WHERE pt.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND pt.post_visible"
	"   AND (SELECT pg_catalog.count(*) FILTER (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))"
	"   OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)"
	" AND pg_catalog.count(*) FILTER (WHERE x.tag_id OPERATOR(pg_catalog.=)"
	"                                 ANY (ARRAY(SELECT (SELECT t.id FROM @extschema@.tags t"
	" WHERE t.name OPERATOR(pg_catalog.=) n.name"
	" UNION ALL"
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	" WHERE s.name OPERATOR(pg_catalog.=) n.name"
	" LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name))))"
	"   OPERATOR(pg_catalog.=) 0"
	"        FROM @extschema@.post_tags x"
	"        WHERE x.post_id OPERATOR(pg_catalog.=) pt.post_id)"
	" ORDER BY pt.post_created_at DESC, pt.post_id DESC"
	" OFFSET $3 LIMIT $4",
	4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* 'exact': the same, with no other tag */
static const TagsStatement stmt_posts_tagged_exact = {
	"posts_tagged_exact",
	"SELECT p.* FROM @extschema@.post_tags pt"
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	" WHERE pt.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND pt.post_visible"
	"   AND (SELECT pg_catalog.count(*) FILTER (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))"
	"   OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)"
	" AND pg_catalog.count(*) FILTER (WHERE x.tag_id OPERATOR(pg_catalog.=)"
	"                                 ANY (ARRAY(SELECT (SELECT t.id FROM @extschema@.tags t"
	" WHERE t.name OPERATOR(pg_catalog.=) n.name"
	" UNION ALL"
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	" WHERE s.name OPERATOR(pg_catalog.=) n.name"
	" LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name))))"
	"   OPERATOR(pg_catalog.=) 0"
	" AND pg_catalog.count(*) OPERATOR(pg_catalog.=)"
	"     pg_catalog.cardinality($1)"
	"        FROM @extschema@.post_tags x"
	"        WHERE x.post_id OPERATOR(pg_catalog.=) pt.post_id)"
	" ORDER BY pt.post_created_at DESC, pt.post_id DESC"
	" OFFSET $3 LIMIT $4",
	4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * 'any': posts with any of the names $1 and none of $2, ordered by the
 * number of names they match, which only counting every listed post of
 * every named tag tells: every one is counted and sorted, then posts is
 * read for the page only (OFFSET 0 keeps it a lookup); offset $3, limit $4
 */
static const TagsStatement stmt_posts_tagged_any = {
	"posts_tagged_any",
	"SELECT p.* FROM"
	" (SELECT pt.post_id, pg_catalog.count(*) AS matched,"
	"         pg_catalog.max(pt.post_created_at) AS created_at"
	"  FROM @extschema@.post_tags pt"
	"  WHERE pt.tag_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT (SELECT t.id FROM @extschema@.tags t"
	" WHERE t.name OPERATOR(pg_catalog.=) n.name"
	" UNION ALL"
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	" WHERE s.name OPERATOR(pg_catalog.=) n.name"
	" LIMIT 1)"
	"      FROM pg_catalog.unnest($1) AS n(name)))"
	"    AND pt.post_visible"
	"    AND NOT EXISTS (SELECT FROM @extschema@.post_tags x"
	"                    WHERE x.post_id OPERATOR(pg_catalog.=) pt.post_id"
	"                      AND x.tag_id OPERATOR(pg_catalog.=)"
	"                          ANY (ARRAY(SELECT (SELECT t.id FROM @extschema@.tags t"
	" WHERE t.name OPERATOR(pg_catalog.=) n.name"
	" UNION ALL"
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	" WHERE s.name OPERATOR(pg_catalog.=) n.name"
	" LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name))))"
	"  GROUP BY pt.post_id"
	"  ORDER BY matched DESC, created_at DESC, post_id DESC) m"
	" CROSS JOIN LATERAL (SELECT p.* FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) m.post_id OFFSET 0) p"
	" ORDER BY m.matched DESC, m.created_at DESC, m.post_id DESC"
	" OFFSET $3 LIMIT $4",
	4, {TEXTARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * posts_tagged(names text[], match text, exclude text[], page integer,
 *				page_size integer) RETURNS SETOF posts
 *
 * One page of the listed posts that have every one of the names ('all'),
 * at least one ('any'), or exactly these tags ('exact'), and none of the
 * names in exclude.  Names are read as every names array is; a name that
 * is no tag is on no post, so it leaves 'all' and 'exact' empty and counts
 * for nothing in 'any' and exclude.  No names at all give no rows.
 *
 * Two statements at most, whatever the number of names.  'all' and
 * 'exact' first resolve the names to tag ids ordered least used first
 * (tag_ids_by_use()), then read the least used tag's posts off its index in
 * page order, as posts_by_tag() does, and check each one's tags through the
 * primary key: a page stops when it is full, and each post costs one
 * descent of the primary key, however many names there are.  'any' orders
 * by the number of names a post has, which needs every listed post of
 * every named tag: one statement that counts them.
 */
Datum
posts_tagged(PG_FUNCTION_ARGS)
{
	TagsTaggedArgs args;
	Datum		params[4];

	tags_tagged_args(fcinfo, 0, &args);
	/* $1 names or tag ids, $2 names to exclude, $3 offset, $4 limit */
	params[1] = args.exclude;
	params[2] = Int64GetDatum(args.offset);
	params[3] = Int64GetDatum(args.limit);

	InitMaterializedSRF(fcinfo, 0);
	if (args.nnames == 0)
		return (Datum) 0;
	tags_spi_connect(fcinfo);
	if (strcmp(args.match, "any") == 0)
	{
		params[0] = args.names;
		tags_execute(&stmt_posts_tagged_any, params, NULL, true, 0);
		tags_put_spi_result(fcinfo);
	}
	else
	{
		params[0] = tag_ids_by_use(args.names);
		if (params[0] != (Datum) 0)
		{
			tags_execute(strcmp(args.match, "all") == 0 ?
						 &stmt_posts_tagged_all : &stmt_posts_tagged_exact,
						 params, NULL, true, 0);
			tags_put_spi_result(fcinfo);
		}
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * The first $2 listed posts sharing the most tags with post $1, read
 * through posts so that a hidden post has no tags; posts is read for the
 * page only
 */
static const TagsStatement stmt_posts_related = {
	"posts_related",
	"SELECT p.*, r.shared_tags FROM"
	" (SELECT o.post_id, pg_catalog.count(*) AS shared_tags,"
	"         pg_catalog.max(o.post_created_at) AS created_at"
	"  FROM @extschema@.posts me"
	"  JOIN @extschema@.post_tags mine"
	"    ON mine.post_id OPERATOR(pg_catalog.=) me.id"
	"  JOIN @extschema@.post_tags o"
	"    ON o.tag_id OPERATOR(pg_catalog.=) mine.tag_id"
	"  WHERE me.id OPERATOR(pg_catalog.=) $1 AND o.post_visible"
	"    AND o.post_id OPERATOR(pg_catalog.<>) $1"
	"  GROUP BY o.post_id"
	"  ORDER BY shared_tags DESC, created_at DESC, post_id DESC) r"
	" CROSS JOIN LATERAL (SELECT p.* FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) r.post_id OFFSET 0) p"
	" ORDER BY r.shared_tags DESC, r.created_at DESC, r.post_id DESC"
	" LIMIT $2",
	2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * posts_related(post_id integer, lim integer)
 *		RETURNS TABLE (id, title, body, status, created_at, deleted_at,
 *					   shared_tags)
 *
 * The lim listed posts that share the most tags with the post, with that
 * number, then newest first; the post itself is not among them.  It reads
 * every listed post of each of the post's tags: the cost grows with them.
 * A post that does not exist, or that row-level security hides, is P0002.
 */
Datum
posts_related(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);
	int32		lim = tags_lim_arg(fcinfo, 1);
	Datum		params[2];

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	/* $1 post, $2 limit */
	params[0] = Int32GetDatum(post_id);
	params[1] = Int32GetDatum(lim);
	if (tags_execute(&stmt_posts_related, params, NULL, true, 0) > 0)
		tags_put_spi_result(fcinfo);
	else if (tags_execute(&stmt_post_exists, params, NULL, true, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("post %d does not exist", post_id));
	SPI_finish();
	return (Datum) 0;
}
